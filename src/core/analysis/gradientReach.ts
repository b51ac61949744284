// The gradient reach of one traced loss ℓ_τ and the running product of the forget gate:
// how far back in time the gradient still arrives (lecture §1–3). Pure; [T] arrays.

/** The default "gone" threshold: reach below 1e-3 of its peak. */
export const REACH_THRESHOLD = 1e-3;

export interface ReachSummary {
  /** Largest finite reach value over t ≤ τ. */
  peak: number;
  /** Lag τ − t at which the peak occurs. */
  peakLag: number;
  /**
   * Smallest lag beyond the peak where the reach falls below threshold·peak, or null if it never
   * does within the sequence (the gradient reaches the first step).
   */
  lag: number | null;
  /** Longest lag the sequence allows (= τ). */
  maxLag: number;
  /** Reach at the longest lag divided by the peak. */
  ratioAtMaxLag: number;
}

/** reach[τ − k] for k = 0..τ: the reach curve against the lag. */
export function reachByLag(reach: ArrayLike<number>, tau: number): Float64Array {
  const out = new Float64Array(tau + 1);
  for (let k = 0; k <= tau; k++) out[k] = reach[tau - k];
  return out;
}

/** Peak and the lag where the reach (‖∂ℓ_τ/∂h_t‖ or ‖∂ℓ_τ/∂c_t‖, [T]) falls below threshold·peak. */
export function summariseReach(reach: ArrayLike<number>, tau: number, threshold = REACH_THRESHOLD): ReachSummary {
  const byLag = reachByLag(reach, tau);
  let peak = 0, peakLag = 0;
  for (let k = 0; k < byLag.length; k++) if (Number.isFinite(byLag[k]) && byLag[k] > peak) { peak = byLag[k]; peakLag = k; }
  let lag: number | null = null;
  if (peak > 0) {
    for (let k = peakLag + 1; k < byLag.length; k++) if (!(byLag[k] >= threshold * peak)) { lag = k; break; }
  }
  return { peak, peakLag, lag, maxLag: tau, ratioAtMaxLag: peak > 0 ? byLag[tau] / peak : 0 };
}

/**
 * The direct-path factor ∂c_τ/∂c_t = ∏_{k=t+1..τ} f_k (lecture §3: ∂c_t/∂c_{t-1} = diag(f_t))
 * for every t, [T]: 1 at t = τ, NaN after τ. `unit` picks one unit; 'mean' averages the
 * per-unit products. `f` is the forget gate, [T, H].
 */
export function forgetProduct(f: ArrayLike<number>, steps: number, units: number, tau: number, unit: number | 'mean'): Float64Array {
  const out = new Float64Array(steps).fill(NaN);
  if (tau < 0 || tau >= steps) return out;
  if (unit === 'mean') {
    const prod = new Float64Array(units).fill(1);
    out[tau] = 1;
    for (let t = tau - 1; t >= 0; t--) {
      let s = 0;
      for (let u = 0; u < units; u++) { prod[u] *= f[(t + 1) * units + u]; s += prod[u]; }
      out[t] = s / units;
    }
  } else {
    let p = 1;
    out[tau] = 1;
    for (let t = tau - 1; t >= 0; t--) { p *= f[(t + 1) * units + unit]; out[t] = p; }
  }
  return out;
}
