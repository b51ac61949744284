// Tick values and labels for a logarithmic axis over any range: Chart.js labels only exact powers
// of ten, so a range inside one decade (a loss of 0.3…0.8, σmax of 0.95…1.02) had no numbers.

/** Smallest positive normal float32: values the trainer stores below it have lost their precision. */
export const LOG_FLOOR = 1.1754944e-38;

/** Most ticks on an axis before labels crowd. */
const MAX_TICKS = 8;

/**
 * Tick values inside [min, max] (both > 0): powers of ten (every k-th decade when many), else
 * 1-2-5 steps, else evenly spaced round values when the range lies within one step. At least two.
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const eps = 1e-9;
  const lo = Math.log10(min), hi = Math.log10(max);
  const decades = hi - lo;
  if (decades >= 2) {
    const every = Math.max(1, Math.ceil(decades / (MAX_TICKS - 1)));
    const out: number[] = [];
    for (let e = Math.ceil(lo / every - eps) * every; e <= hi + eps; e += every) out.push(Number(`1e${e}`));
    if (out.length >= 2) return out;
  }
  for (const mantissas of [[1, 2, 5], [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const out: number[] = [];
    for (let e = Math.floor(lo) - 1; e <= Math.ceil(hi); e++) {
      for (const m of mantissas) {
        const v = Number(`${m}e${e}`);
        if (v >= min * (1 - eps) && v <= max * (1 + eps)) out.push(v);
      }
    }
    if (out.length >= 3 && out.length <= MAX_TICKS + 2) return out;
    if (out.length > MAX_TICKS + 2) break;
  }
  // Within one step: round values spaced evenly (0.95, 0.96, …).
  const step = niceStep((max - min) / 4);
  const out: number[] = [];
  for (let k = Math.ceil(min / step - eps); k * step <= max * (1 + eps); k++) out.push(Number((k * step).toPrecision(12)));
  return out.length >= 2 ? out : [min, max];
}

function niceStep(raw: number): number {
  const e = Math.floor(Math.log10(raw));
  const f = raw / 10 ** e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * 10 ** e;
}

/** A compact label: 0.001, 0.25, 1, 500, 2e4, 1e-42. */
export function tickLabel(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return String(v);
  if (v >= 1e-3 && v < 1e4) return String(Number(v.toPrecision(3)));
  const [m, e] = v.toExponential(2).split('e');
  const mant = String(Number(m));
  return `${mant}e${Number(e)}`;
}

/**
 * Points a log axis can show: y ≤ 0 and non-finite values are dropped, except that with
 * `zeroIsUnderflow` a 0 (a product that underflowed) is kept at the floor; positive values
 * below LOG_FLOOR are drawn at it. Returns the points and how many sit at the floor.
 */
export function onLogAxis<P extends { x: number; y: number }>(points: P[], zeroIsUnderflow = false): { points: P[]; floored: number } {
  const out: P[] = [];
  let floored = 0;
  for (const p of points) {
    if (!Number.isFinite(p.y) || p.y < 0 || (p.y === 0 && !zeroIsUnderflow)) continue;
    if (p.y < LOG_FLOOR) { out.push({ ...p, y: LOG_FLOOR }); floored++; } else out.push(p);
  }
  return { points: out, floored };
}
