// The fused LSTM kernel against the independent float64 reference: loss, every weight gradient,
// final state and the recorded trace (h, c, gates, ∂L/∂h_t, ∂L/∂c_t, gradient reach), on every
// GEMM and elementwise-step combination this machine has (gemmProviders(): JS, wasm SIMD with JS
// or wasm steps, the wasm kernel on two threads with its work buffers in its memory, OpenBLAS when
// its bridge finds it, and defaultGemm()'s pick, printed and asserted). The two-thread kernel gives
// bitwise the one-thread kernel's results.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSpec } from '../../../src/protocol/spec';
import type { ModelIO } from '../../../src/core/types';
import { createFusedKernel } from '../../../src/core/fast/model';
import { defaultGemm, jsGemm, loadNativeBlas } from '../../../src/core/fast/gemm';
import { defaultWasmThreads, loadWasmKernel } from '../../../src/core/fast/wasmKernel';
import {
  buildWasmKernel, checkKernelAgainstReference as check, checkedKernelResult, closeWasmKernels, flat, gemmProviders, lstmSpec, randomBatch, randomWeights, wasmGemm, wasmGemmOn,
  wasmKernelOn,
} from './helpers';

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

// The kernel from the current sources (the build never fails; a missing toolchain shows here).
before(buildWasmKernel);
after(closeWasmKernels);

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
test('H = 64, T = 100, one-hot: the wasm SIMD kernel on two threads matches the reference, the worker computing its share', { timeout: 120_000 }, () => {
  const g = wasmGemmOn(2);
  const before = wasmKernelOn(2).workerShares();
  check(lstmSpec({ hiddenSize: 64 }), charIO, 4, 100, g, { reachFrom: 60, sample: 2 });
  // Each of the 2·100 per-step products and the whole-sequence ones: the worker took its columns.
  const shares = wasmKernelOn(2).workerShares() - before;
  assert.ok(shares >= 200, `worker shares: ${shares}`);
});

// Bitwise, not within rounding: each element of C is computed by the same instructions (the same
// k order, the same tile or edge code, no FMA) whichever thread computes it, the split falls on a
// multiple of 8 columns, and the gate maths run on the calling thread.
test('the two-thread kernel gives bitwise the one-thread kernel\'s results (loss, gradients, state, recording)', { timeout: 120_000 }, () => {
  const cases: [ModelSpec, ModelIO, number, number][] = [
    [lstmSpec({ hiddenSize: 64 }), charIO, 4, 100],
    [lstmSpec({ hiddenSize: 20, layers: 2, embeddingSize: 12 }), charIO, 5, 9],
    [lstmSpec({ hiddenSize: 6, candidateActivation: 'relu' }), tokenIO, 5, 4],
  ];
  for (const [spec, io, B, T] of cases) {
    const one = flat(checkedKernelResult(spec, io, B, T, wasmGemmOn(1))), two = flat(checkedKernelResult(spec, io, B, T, wasmGemmOn(2)));
    assert.equal(one.length, two.length);
    one.forEach((a, k) => assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(two[k].buffer, two[k].byteOffset, two[k].byteLength)), `H=${spec.hiddenSize}: array ${k} differs`));
  }
});

test('defaultGemm picks OpenBLAS only when its bridge finds OpenBLAS, else the wasm kernel; it says which and why', () => {
  const g = defaultGemm();
  const nat = loadNativeBlas();
  console.log(`GEMM that ran by default: ${g.name} (${g.label}); passed over: ${(g.skipped ?? []).join(' | ') || 'nothing'}`);
  if (nat && /openblas/i.test(nat.library)) assert.equal(g.name, `native:${nat.library}`);
  else {
    assert.equal(g.name, 'wasm-simd');
    // Two threads where the machine has two cores (the worker thread from this build's dist/).
    assert.equal(g.label, defaultWasmThreads() === 2 ? 'wasm SIMD (2 threads)' : 'wasm SIMD (1 thread)');
    assert.equal(loadWasmKernel().kernel!.threads, defaultWasmThreads(), loadWasmKernel().kernel!.threadProblem ?? '');
    assert.ok(g.lstmStep && g.gruStep && g.rnnStep, 'the wasm kernel brings the elementwise steps too');
    assert.ok(g.heap, 'and its memory for the work buffers');
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
