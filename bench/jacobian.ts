// Prints what the Jacobian diagnostics cost at trace sizes: jacobianSpectra over T steps of one
// layer (every σ(J_t) and the default lags), for each cell family. Run: node --import tsx bench/jacobian.ts [T] [H]

import { GATE_ORDER, hasCellState } from '../src/protocol/spec';
import type { CellKind, ModelSpec } from '../src/protocol/spec';
import { referenceCellStep } from '../src/core/float64Reference';
import { jacobianSpectra } from '../src/core/analysis/jacobian';

const T = Number(process.argv[2] ?? 1000);
const H = Number(process.argv[3] ?? 256);
let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;

for (const cell of ['lstm', 'gru', 'rnn'] as CellKind[]) {
  const spec: ModelSpec = { cell, hiddenSize: H, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false, cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh' };
  const GH = GATE_ORDER[cell].length * H;
  const inW = 16;
  // Weights at the usual initial scale (≈ 1/√H), so the trajectory looks like an untrained model's.
  const s = 1 / Math.sqrt(H);
  const w = { Wx: Float64Array.from({ length: inW * GH }, () => rand() * s * 2), Wh: Float64Array.from({ length: H * GH }, () => rand() * s * 1.7), b: new Float64Array(GH), inputWidth: inW };
  const values: Record<string, Float64Array> = { h: new Float64Array(T * H) };
  if (hasCellState(cell)) values.c = new Float64Array(T * H);
  for (const g of GATE_ORDER[cell]) values[g] = new Float64Array(T * H);
  let h: Float64Array = new Float64Array(H);
  let c: Float64Array | null = hasCellState(cell) ? new Float64Array(H) : null;
  for (let t = 0; t < T; t++) {
    const r = referenceCellStep(spec, w, Float64Array.from({ length: inW }, rand), h, c);
    values.h.set(r.h, t * H);
    if (r.c) values.c.set(r.c, t * H);
    GATE_ORDER[cell].forEach((g, k) => values[g].set(r.gates.subarray(k * H, (k + 1) * H), t * H));
    h = r.h;
    c = r.c;
  }
  const f32: Record<string, Float32Array> = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Float32Array.from(v)]));
  const Wh = Float32Array.from(w.Wh);
  for (const iterations of [64]) { // the cap only applies above 2H (or H) = 256
    const t0 = performance.now();
    const sigmaOnly = jacobianSpectra({ cell, spec, Wh, H, values: f32, reachFrom: -1, iterations, lags: [] });
    const t1 = performance.now();
    const full = jacobianSpectra({ cell, spec, Wh, H, values: f32, reachFrom: -1, iterations });
    const t2 = performance.now();
    const mean = sigmaOnly.sigma.reduce((a, b) => a + b, 0) / T;
    console.log(`${cell.padEnd(5)} T=${T} H=${H} Lanczos (≤ ${iterations} iterations above 256 dims): sigma over all t ${((t1 - t0) / 1000).toFixed(2)} s; `
      + `with ${full.lags.length} lags ${((t2 - t1) / 1000).toFixed(2)} s  (mean σ ${mean.toFixed(3)}, `
      + `log10 σ at lag ${full.lags[full.lags.length - 1]} = ${full.lagLog10Sigma[full.lags.length - 1].toFixed(1)})`);
  }
}
