// The fused LSTM kernel against the independent float64 reference: loss, every weight gradient,
// final state and the recorded trace (h, c, gates, ∂L/∂h_t, ∂L/∂c_t, gradient reach), on every
// GEMM and elementwise-step combination this machine has (gemmProviders(): JS, wasm SIMD with JS
// or wasm steps, OpenBLAS when its bridge finds it, and defaultGemm()'s pick, printed and asserted).

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelIO } from '../../../src/core/types';
import { createFusedKernel } from '../../../src/core/fast/model';
import { defaultGemm, jsGemm, loadNativeBlas } from '../../../src/core/fast/gemm';
import { loadWasmKernel } from '../../../src/core/fast/wasmKernel';
import { buildWasmKernel, checkKernelAgainstReference as check, gemmProviders, lstmSpec, randomBatch, randomWeights, wasmGemm } from './helpers';

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

// The kernel from the current sources (the build never fails; a missing toolchain shows here).
before(buildWasmKernel);

for (const [name, gemm] of gemmProviders()) {
  test(`one-hot LSTM, 1 layer, matches the reference (${name})`, () => check(lstmSpec(), tokenIO, 3, 7, gemm()));
  test(`embedding LSTM, 2 layers, reach from the middle (${name})`, () =>
    check(lstmSpec({ layers: 2, embeddingSize: 4 }), tokenIO, 3, 6, gemm(), { reachFrom: 3, sample: 2 }));
  test(`numeric MSE LSTM, 3 layers, relu cell and candidate (${name})`, () =>
    check(lstmSpec({ layers: 3, cellActivation: 'relu', candidateActivation: 'relu' }), numericIO, 2, 5, gemm(), { sample: 0 }));
  test(`H = 6 (not a multiple of 4: the SIMD tails), tanh cell, relu candidate (${name})`, () =>
    check(lstmSpec({ hiddenSize: 6, candidateActivation: 'relu' }), tokenIO, 5, 4, gemm(), { sample: 4 }));
}

const charIO: ModelIO = { vocabSize: 32, inputSize: 0, outputSize: 32, loss: 'xent' };
test('H = 64, T = 100, one-hot (the bench shape): the wasm SIMD kernel matches the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ hiddenSize: 64 }), charIO, 4, 100, wasmGemm(true), { reachFrom: 60, sample: 2 }));
test('H = 64, T = 100, 2 layers with embedding: the wasm SIMD kernel matches the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ hiddenSize: 64, layers: 2, embeddingSize: 16 }), charIO, 3, 100, wasmGemm(true)));

test('defaultGemm picks OpenBLAS only when its bridge finds OpenBLAS, else the wasm kernel; it says which and why', () => {
  const g = defaultGemm();
  const nat = loadNativeBlas();
  console.log(`GEMM that ran by default: ${g.name} (${g.label}); passed over: ${(g.skipped ?? []).join(' | ') || 'nothing'}`);
  if (nat && /openblas/i.test(nat.library)) assert.equal(g.name, `native:${nat.library}`);
  else {
    assert.equal(g.name, 'wasm-simd');
    assert.equal(g.label, 'wasm SIMD (1 thread)');
    assert.ok(g.lstmStep && g.gruStep, 'the wasm kernel brings the elementwise steps too');
    assert.match(g.skipped?.[0] ?? '', /^native BLAS: /, 'the reason the native bridge was not used is given');
  }
});

test('an all-zero mask gives zero loss and zero gradients', () => {
  const spec = lstmSpec();
  const batch = randomBatch(tokenIO, 2, 4, 3);
  batch.mask.fill(0);
  const w = randomWeights(spec, tokenIO, 1);
  const lstmStep = loadWasmKernel().kernel?.lstmStep;
  const kernel = createFusedKernel({ hidden: 5, layers: 1, input: 'onehot', inputSize: 6, embedSize: 0, outputSize: 6, loss: 'xent', cellActivation: 'tanh', candidateActivation: 'tanh' },
    { ...jsGemm, ...(lstmStep ? { lstmStep } : {}) });
  const f = (n: string): Float32Array => w[n].data as Float32Array;
  const res = kernel.run(batch, 2, 4, { Wx: [f('layer0.Wx')], Wh: [f('layer0.Wh')], b: [f('layer0.b')], Wr: f('readout.W'), br: f('readout.b') }, null, null, null);
  assert.equal(res.loss, 0);
  assert.ok(res.grads.Wh[0].every((v) => v === 0));
});
