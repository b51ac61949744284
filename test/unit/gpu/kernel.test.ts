// The WebGPU LSTM kernel against the independent float64 reference: loss, every weight gradient,
// final state and the recording (h, c, gates, ∂L/∂h_t, ∂L/∂c_t, gradient reach, per-step loss).
// Runs on whatever adapter exists (in CI: Mesa's llvmpipe through OpenGL).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSpec } from '../../../src/protocol/spec';
import type { ModelIO } from '../../../src/core/types';
import { lstmBlocks, referenceForwardBackward, type RefWeights } from '../../../src/core/float64Reference';
import { GATE_ORDER, hasCellState } from '../../../src/protocol/spec';
import { fusedShape } from '../../../src/core/fast/model';
import { GpuRecurrent } from '../../../src/core/gpu/recurrent-kernel';
import { fusedWeightsOf, lstmSpec, norms, randomBatch, randomWeights, relErr } from '../fast/helpers';
import { testGpu } from './adapter';
import type { GpuDevice } from '../../../src/core/gpu/dawn';

/** randomWeights of the fast tests, with the column blocks of the cell's gates (3 or 2 for the variants). */
function cellWeights(spec: ModelSpec, io: ModelIO, seed: number, scale: number): RefWeights {
  const w = randomWeights(spec, io, seed, scale);
  const G = GATE_ORDER[spec.cell].length * spec.hiddenSize;
  for (const name of Object.keys(w)) {
    if (!/^layer\d+\.(Wx|Wh|b)$/.test(name)) continue;
    const { shape, data } = w[name];
    const rows = shape.length === 2 ? shape[0] : 1, cols = shape[shape.length - 1];
    const out = new Float32Array(rows * G);
    for (let r = 0; r < rows; r++) for (let c = 0; c < G; c++) out[r * G + c] = data[r * cols + c] as number;
    w[name] = { shape: shape.length === 2 ? [rows, G] : [G], data: out };
  }
  return w;
}

/** Runs the GPU kernel and the reference on the same weights, batch and initial state; asserts every output within tol. */
async function check(gpu: GpuDevice, spec: ModelSpec, io: ModelIO, B: number, T: number, tol: number, reachFrom = -1, sample = 1, scale = 0.5): Promise<void> {
  const weights = cellWeights(spec, io, 7, scale);
  const batch = randomBatch(io, B, T, 11);
  const H = spec.hiddenSize;
  const initial = {
    h: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => 0.5 * Math.sin(k + l))),
    c: hasCellState(spec.cell) ? Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => Math.cos(2 * k + l))) : null,
  };
  const ref = referenceForwardBackward(spec, io, weights, batch, { sample, reachFrom, initial });
  const kernel = await GpuRecurrent.create({ ...fusedShape(spec, io), cell: spec.cell, blocks: lstmBlocks(spec.cell), rnnActivation: spec.rnnActivation }, gpu);
  const wt = fusedWeightsOf(weights, spec.layers);
  const tau = reachFrom < 0 ? T - 1 : reachFrom;
  const cellState = hasCellState(spec.cell);
  const layers = Array.from({ length: spec.layers }, (_, l) => l);
  try {
    const res = await kernel.run(batch, B, T, wt, initial.h, initial.c, { sample, layers, reachFrom: tau });
    const near = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
      const e = relErr(a, b);
      assert.ok(e < tol, `${what}: relative error ${e} ≥ ${tol}`);
    };
    assert.ok(Math.abs(res.loss - ref.loss) <= tol * Math.max(1, Math.abs(ref.loss)), `loss ${res.loss} vs ${ref.loss}`);
    const g = res.grads;
    for (let l = 0; l < spec.layers; l++) {
      near(g.Wx[l], ref.grads[`layer${l}.Wx`], `layer${l}.Wx`);
      near(g.Wh[l], ref.grads[`layer${l}.Wh`], `layer${l}.Wh`);
      near(g.b[l], ref.grads[`layer${l}.b`], `layer${l}.b`);
      near(res.finalH[l], ref.finalState.h[l], `final h ${l}`);
      if (cellState) near(res.finalC[l], ref.finalState.c![l], `final c ${l}`);
    }
    near(g.Wr, ref.grads['readout.W'], 'readout.W');
    near(g.br, ref.grads['readout.b'], 'readout.b');
    if (ref.grads.embedding) near(g.embedding!, ref.grads.embedding, 'embedding');
    else assert.equal(g.embedding, undefined);
    const stepLoss = Array.from({ length: T }, (_, t) => batch.mask[sample * T + t] * ref.stepLoss[sample * T + t]);
    near(res.stepLoss!, stepLoss, 'stepLoss');
    for (let l = 0; l < spec.layers; l++) {
      const r = res.records![l], q = ref.layers[l];
      assert.equal(r.layer, l);
      assert.deepEqual(Object.keys(q.values).sort(), [...(cellState ? ['c'] : []), 'h', ...GATE_ORDER[spec.cell]].sort());
      for (const k of Object.keys(q.values)) near(r.gates?.[k] ?? r[k as 'h'], q.values[k], `layer ${l} ${k}`);
      near(r.dh, q.dh, `layer ${l} ∂L/∂h`);
      near(r.reachH, norms(q.reachH, T, H), `layer ${l} reach h`);
      if (cellState) {
        near(r.dc, q.dc!, `layer ${l} ∂L/∂c`);
        near(r.reachC, norms(q.reachC!, T, H), `layer ${l} reach c`);
      }
      for (let t = tau + 1; t < T; t++) assert.equal(r.reachH[t], 0);
    }
    // The loss-only pass (validation) gives the same loss and final state.
    const ev = await kernel.run(batch, B, T, wt, initial.h, initial.c, null, true);
    assert.ok(Math.abs(ev.loss - ref.loss) <= tol * Math.max(1, Math.abs(ref.loss)), `evaluate loss ${ev.loss} vs ${ref.loss}`);
  } finally {
    kernel.release();
  }
}

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };
// Float32 on the GPU against float64, relative to the largest entry of each array (measured on
// llvmpipe: ≤ 3e-7 at small sizes, ≤ 1.3e-6 at H = 64, T = 100).
const SMALL_TOL = 1e-5;

test('GPU: one-hot LSTM, 1 layer, matches the float64 reference', async (t) => {
  const gpu = await testGpu(t);
  if (gpu) await check(gpu, lstmSpec(), tokenIO, 3, 7, SMALL_TOL);
});

test('GPU: embedding LSTM, 2 layers, reach from the middle, matches the reference', async (t) => {
  const gpu = await testGpu(t);
  if (gpu) await check(gpu, lstmSpec({ layers: 2, embeddingSize: 4 }), tokenIO, 3, 6, SMALL_TOL, 3, 2);
});

test('GPU: numeric MSE LSTM, 3 layers, relu cell and candidate, matches the reference', async (t) => {
  const gpu = await testGpu(t);
  if (gpu) await check(gpu, lstmSpec({ layers: 3, cellActivation: 'relu', candidateActivation: 'relu' }), numericIO, 2, 5, SMALL_TOL, -1, 0);
});

for (const cell of ['lstm-no-output-gate', 'lstm-no-input-gate', 'lstm-forget-only'] as const) {
  test(`GPU: ${cell}, 2 layers, matches the float64 reference`, async (t) => {
    const gpu = await testGpu(t);
    if (gpu) await check(gpu, lstmSpec({ cell, layers: 2 }), tokenIO, 3, 6, SMALL_TOL, 4, 1);
  });
}

test('GPU: GRU, 2 layers, matches the float64 reference', async (t) => {
  const gpu = await testGpu(t);
  if (gpu) await check(gpu, lstmSpec({ cell: 'gru', layers: 2 }), tokenIO, 3, 6, SMALL_TOL, 3, 2);
});

test('GPU: GRU with embedding and numeric MSE, 1 and 3 layers, matches the reference', async (t) => {
  const gpu = await testGpu(t);
  if (!gpu) return;
  await check(gpu, lstmSpec({ cell: 'gru', embeddingSize: 4 }), tokenIO, 2, 5, SMALL_TOL);
  await check(gpu, lstmSpec({ cell: 'gru', layers: 3 }), numericIO, 2, 5, SMALL_TOL, -1, 0);
});

for (const rnnActivation of ['tanh', 'relu'] as const) {
  test(`GPU: vanilla RNN (${rnnActivation}), 2 layers, matches the float64 reference`, async (t) => {
    const gpu = await testGpu(t);
    if (gpu) await check(gpu, lstmSpec({ cell: 'rnn', layers: 2, rnnActivation }), numericIO, 3, 6, SMALL_TOL, 2, 1);
  });
}

test('GPU: LSTM at H = 64, T = 100, B = 8 matches the reference within 1e-4', async (t) => {
  const gpu = await testGpu(t);
  // Weights in ±0.15 keep the 100-step recurrence in its working range; float32 accumulation
  // over 100 steps and 800-row weight-gradient sums is what the looser bound is for.
  if (gpu) await check(gpu, lstmSpec({ hiddenSize: 64 }), { vocabSize: 20, inputSize: 0, outputSize: 20, loss: 'xent' }, 8, 100, 1e-4, 60, 5, 0.15);
});

test('GPU: alternating batch shapes (training, validation) reuse their buffers and give the same results', async (t) => {
  const gpu = await testGpu(t);
  if (!gpu) return;
  const spec = lstmSpec();
  const weights = cellWeights(spec, tokenIO, 3, 0.5);
  const wt = fusedWeightsOf(weights, spec.layers);
  const kernel = await GpuRecurrent.create({ ...fusedShape(spec, tokenIO), cell: 'lstm' }, gpu);
  try {
    const a = randomBatch(tokenIO, 3, 7, 1), b = randomBatch(tokenIO, 2, 5, 2);
    const refA = referenceForwardBackward(spec, tokenIO, weights, a, { sample: 0, reachFrom: -1 }).loss;
    const refB = referenceForwardBackward(spec, tokenIO, weights, b, { sample: 0, reachFrom: -1 }).loss;
    const losses: number[] = [];
    for (const x of [a, b, a, b, a]) losses.push((await kernel.run(x, x.batchSize, x.steps, wt, null, null, null)).loss);
    assert.ok(Math.abs(losses[0] - refA) < SMALL_TOL * Math.max(1, refA), `loss ${losses[0]} vs ${refA}`);
    assert.ok(Math.abs(losses[1] - refB) < SMALL_TOL * Math.max(1, refB), `loss ${losses[1]} vs ${refB}`);
    assert.deepEqual(losses, [losses[0], losses[1], losses[0], losses[1], losses[0]]);
  } finally {
    kernel.release();
  }
});
