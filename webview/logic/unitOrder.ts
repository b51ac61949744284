// Orders of the units (rows) of a heatmap: by index, by variance over time, or by how often the
// value is saturated. Pure; matrices are [T, H] row-major.

export const UNIT_ORDERS = ['index', 'variance', 'saturation'] as const;
export type UnitOrder = (typeof UNIT_ORDERS)[number];

/** Variance over time of every unit of a [T, H] matrix, [H]. Non-finite values are skipped. */
export function unitVariance(values: ArrayLike<number>, steps: number, units: number): Float64Array {
  const mean = new Float64Array(units), sq = new Float64Array(units), count = new Float64Array(units);
  for (let t = 0; t < steps; t++) {
    for (let u = 0; u < units; u++) {
      const v = values[t * units + u];
      if (!Number.isFinite(v)) continue;
      mean[u] += v; sq[u] += v * v; count[u]++;
    }
  }
  const out = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    if (count[u] === 0) continue;
    const m = mean[u] / count[u];
    out[u] = Math.max(0, sq[u] / count[u] - m * m);
  }
  return out;
}

/**
 * Fraction of timesteps where each unit is saturated, [H]: for gates (values in [0, 1]) below 0.1
 * or above 0.9; for signed values beyond 90 % of the largest |value| of the matrix.
 */
export function unitSaturation(values: ArrayLike<number>, steps: number, units: number, signed: boolean): Float64Array {
  let limit = 0;
  if (signed) for (let k = 0; k < steps * units; k++) { const a = Math.abs(values[k]); if (Number.isFinite(a) && a > limit) limit = a; }
  const out = new Float64Array(units);
  if (steps === 0) return out;
  for (let t = 0; t < steps; t++) {
    for (let u = 0; u < units; u++) {
      const v = values[t * units + u];
      const sat = signed ? limit > 0 && Math.abs(v) >= 0.9 * limit : v < 0.1 || v > 0.9;
      if (sat) out[u]++;
    }
  }
  for (let u = 0; u < units; u++) out[u] /= steps;
  return out;
}

/** Row order of the units: row r shows unit order[r]. Ties keep index order (stable). */
export function orderUnits(values: ArrayLike<number>, steps: number, units: number, mode: UnitOrder, signed: boolean): Int32Array {
  const order = Int32Array.from({ length: units }, (_, u) => u);
  if (mode === 'index') return order;
  const key = mode === 'variance' ? unitVariance(values, steps, units) : unitSaturation(values, steps, units, signed);
  return Int32Array.from([...order].sort((a, b) => key[b] - key[a] || a - b));
}
