// Which units are worth looking at: units "on" inside a selected stretch of text and "off" around
// it (LSTMVis-style threshold selection), units with the largest variance over time, and the most
// saturated gate units (Karpathy et al. 2015). Pure functions on [T, H] row-major matrices.

import type { LayerTrace } from '../../protocol/trace';

export interface RangeRankOptions {
  /** A unit is "on" at t when polarity · value ≥ threshold (LSTMVis default 0.3). */
  threshold: number;
  /**
   * Timesteps on each side of the range that count as "around it". Default: as many as the range
   * is long, at least 5, so a short selection is compared with its neighbourhood, not the whole text.
   */
  context?: number;
  /** Signed quantities: also rank units that are strongly negative in the range (polarity −1). */
  signed: boolean;
}

export interface UnitRangeScore {
  unit: number;
  /** +1: on = value ≥ threshold; −1: on = value ≤ −threshold. */
  polarity: 1 | -1;
  /** Fraction of range steps on − fraction of context steps on, in [−1, 1]. The ranking key. */
  score: number;
  insideOn: number;
  outsideOn: number;
  /** Mean value (times polarity) in the range and in the context; their difference breaks ties. */
  insideMean: number;
  outsideMean: number;
}

/**
 * Rank the units of m ([T, H]) for the range [t0, t1): score = on-fraction inside − on-fraction in
 * the context around it (both sides, clipped to the trace); ties go to the larger mean difference.
 * Best first. An empty range gives an empty ranking.
 */
export function rankUnitsInRange(m: Float32Array, H: number, t0: number, t1: number, opts: RangeRankOptions): UnitRangeScore[] {
  const T = Math.floor(m.length / H);
  const a = Math.max(0, Math.min(t0, T));
  const b = Math.max(a, Math.min(t1, T));
  if (b === a) return [];
  const ctx = opts.context ?? Math.max(5, b - a);
  const left = Math.max(0, a - ctx);
  const right = Math.min(T, b + ctx);
  const nIn = b - a;
  const nOut = a - left + (right - b);
  const out: UnitRangeScore[] = [];
  for (let u = 0; u < H; u++) {
    for (const polarity of opts.signed ? ([1, -1] as const) : ([1] as const)) {
      let onIn = 0;
      let sumIn = 0;
      let onOut = 0;
      let sumOut = 0;
      for (let t = a; t < b; t++) {
        const v = polarity * m[t * H + u];
        sumIn += v;
        if (v >= opts.threshold) onIn++;
      }
      for (let t = left; t < right; t++) {
        if (t === a) t = b;
        if (t >= right) break;
        const v = polarity * m[t * H + u];
        sumOut += v;
        if (v >= opts.threshold) onOut++;
      }
      const insideOn = onIn / nIn;
      const outsideOn = nOut ? onOut / nOut : 0;
      out.push({
        unit: u,
        polarity,
        score: insideOn - outsideOn,
        insideOn,
        outsideOn,
        insideMean: sumIn / nIn,
        outsideMean: nOut ? sumOut / nOut : 0,
      });
    }
  }
  // Keep the better polarity of each unit, then order.
  const best = new Map<number, UnitRangeScore>();
  const better = (x: UnitRangeScore, y: UnitRangeScore): number =>
    y.score - x.score || y.insideMean - y.outsideMean - (x.insideMean - x.outsideMean) || x.unit - y.unit;
  for (const s of out) {
    const prev = best.get(s.unit);
    if (!prev || better(s, prev) < 0) best.set(s.unit, s);
  }
  return [...best.values()].sort(better);
}

export interface UnitScore {
  unit: number;
  score: number;
  /** Words for the sidebar: what the score is. */
  detail: string;
}

/** Units by variance over time of m ([T, H]), largest first. */
export function rankByVariance(m: Float32Array, H: number): UnitScore[] {
  const T = Math.floor(m.length / H);
  const res: UnitScore[] = [];
  for (let u = 0; u < H; u++) {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < T; t++) {
      const v = m[t * H + u];
      s += v;
      s2 += v * v;
    }
    const mean = T ? s / T : 0;
    const variance = T ? Math.max(0, s2 / T - mean * mean) : 0;
    res.push({ unit: u, score: variance, detail: `var ${variance.toFixed(4)}` });
  }
  return res.sort((x, y) => y.score - x.score || x.unit - y.unit);
}

/**
 * Units by gate saturation: per unit the gate with the largest fraction of timesteps below 0.1 or
 * above 0.9 (from LayerTrace.saturation); most saturated first.
 */
export function rankBySaturation(layer: LayerTrace): UnitScore[] {
  const res: UnitScore[] = [];
  for (let u = 0; u < layer.units; u++) {
    let best = { score: -1, detail: 'no gates' };
    for (const [gate, { low, high }] of Object.entries(layer.saturation)) {
      const s = low[u] + high[u];
      if (s > best.score) {
        best = { score: s, detail: `${gate}: ${Math.round(100 * low[u])}% < 0.1, ${Math.round(100 * high[u])}% > 0.9` };
      }
    }
    res.push({ unit: u, score: Math.max(0, best.score), detail: best.detail });
  }
  return res.sort((x, y) => y.score - x.score || x.unit - y.unit);
}
