// Downsampling of long metric series for drawing: keeps each bucket's minimum and maximum so
// spikes (a gradient blow-up, a NaN-ing loss) stay visible however long the run.

/** One point of a chart series. */
export interface Point { x: number; y: number }

/**
 * At most ~maxPoints points of (xs, ys), in x order: the first and last points, and the min and
 * max of every bucket. Non-finite y values are dropped (a log axis cannot show them; the
 * diagnostics report NaNs in words). Returns every point when there are few enough.
 */
export function downsampleMinMax(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number): Point[] {
  const n = Math.min(xs.length, ys.length);
  const out: Point[] = [];
  if (n <= maxPoints) {
    for (let k = 0; k < n; k++) if (Number.isFinite(ys[k])) out.push({ x: xs[k], y: ys[k] });
    return out;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(n, Math.floor((b + 1) * size));
    let lo = -1, hi = -1;
    for (let k = start; k < end; k++) {
      const y = ys[k];
      if (!Number.isFinite(y)) continue;
      if (lo < 0 || y < ys[lo]) lo = k;
      if (hi < 0 || y > ys[hi]) hi = k;
    }
    if (lo < 0) continue;
    if (lo === hi) out.push({ x: xs[lo], y: ys[lo] });
    else {
      const [a, c] = lo < hi ? [lo, hi] : [hi, lo];
      out.push({ x: xs[a], y: ys[a] }, { x: xs[c], y: ys[c] });
    }
  }
  // Keep the newest point exact: a live chart must end where the run is.
  const last = n - 1;
  if (Number.isFinite(ys[last]) && (out.length === 0 || out[out.length - 1].x !== xs[last])) out.push({ x: xs[last], y: ys[last] });
  return out;
}
