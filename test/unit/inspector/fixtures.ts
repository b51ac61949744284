// Small hand-built trace snapshots for the inspector tests: values are chosen so that the
// expected hover lines, bins and rankings can be read off by hand.
import type { CellKind } from '../../../src/protocol/spec';
import type { LayerTrace, TraceSnapshot } from '../../../src/protocol/trace';
import { GATE_ORDER, hasCellState } from '../../../src/protocol/spec';

/** A [T, H] matrix whose entry (t, u) is f(t, u). */
export function matrix(T: number, H: number, f: (t: number, u: number) => number): Float32Array {
  const m = new Float32Array(T * H);
  for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) m[t * H + u] = f(t, u);
  return m;
}

/** A one-layer trace over `text` with every value a smooth, distinct function of (t, u). */
export function fakeTrace(text: string, H: number, cell: CellKind = 'lstm'): TraceSnapshot {
  const chars = Array.from(text);
  const T = chars.length;
  const values: Record<string, Float32Array> = {};
  const names = [...(hasCellState(cell) ? ['c'] : []), 'h', ...GATE_ORDER[cell]];
  names.forEach((n, k) => {
    values[n] = matrix(T, H, (t, u) => Math.sin(0.3 * t + 0.7 * u + k) * (n === 'c' ? 3 : 1));
  });
  for (const g of ['f', 'i', 'o', 'z', 'r']) if (values[g]) values[g] = values[g].map((v) => (v + 1) / 2);
  const dh = matrix(T, H, (t, u) => 1e-3 * Math.cos(t + u));
  const dc = hasCellState(cell) ? matrix(T, H, (t, u) => 1e-2 * Math.cos(2 * t + u)) : undefined;
  const norm = (m: Float32Array): Float32Array => {
    const out = new Float32Array(T);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let u = 0; u < H; u++) s += m[t * H + u] ** 2;
      out[t] = Math.sqrt(s);
    }
    return out;
  };
  const layer: LayerTrace = {
    layer: 0,
    units: H,
    values,
    dh,
    dc,
    dhNorm: norm(dh),
    dcNorm: dc ? norm(dc) : undefined,
    reachH: new Float32Array(T),
    saturation: {},
  };
  return {
    step: 40,
    sample: 0,
    cell,
    steps: T,
    tokens: Int32Array.from(chars, (c) => c.codePointAt(0) ?? 0),
    inputs: null,
    stepLoss: Float32Array.from({ length: T }, (_, t) => 1 + t / 100),
    reachFrom: T - 1,
    layers: [layer],
  };
}
