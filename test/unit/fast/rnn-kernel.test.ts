// The fused vanilla RNN kernel against the independent float64 reference: loss, every weight
// gradient, final state and the recorded trace (h, a, ∂L/∂h_t, gradient reach), on every GEMM
// and elementwise-step combination this machine has; and its wasm SIMD step against its
// JavaScript step on the same GEMM.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelIO } from '../../../src/core/types';
import {
  buildWasmKernel, closeWasmKernels, checkKernelAgainstReference as check, checkedKernelResult, flat, gemmProviders, lstmSpec, relErr, wasmGemm,
} from './helpers';

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

before(buildWasmKernel);
after(closeWasmKernels);

for (const [name, gemm] of gemmProviders()) {
  test(`vanilla RNN (tanh), 2 layers with embedding, matches the reference (${name})`, () =>
    check(lstmSpec({ cell: 'rnn', layers: 2, embeddingSize: 4 }), tokenIO, 3, 7, gemm(), { reachFrom: 4, sample: 1 }));
  test(`vanilla RNN (relu), numeric MSE, matches the reference (${name})`, () =>
    check(lstmSpec({ cell: 'rnn', rnnActivation: 'relu' }), numericIO, 2, 6, gemm(), { sample: 0 }));
}

const charIO: ModelIO = { vocabSize: 32, inputSize: 0, outputSize: 32, loss: 'xent' };
// Weights of ±0.1: with ±0.5 a 64-unit tanh RNN is chaotic (‖Wh‖ ≈ 2.3) and float32 rounding grows
// over 100 steps into 5e-4 of the loss, a property of the network, not of the kernel.
test('H = 64, T = 100, vanilla RNN: the wasm SIMD GEMM and steps match the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ cell: 'rnn', hiddenSize: 64 }), charIO, 4, 100, wasmGemm(true), { sample: 3, scale: 0.1 }));
test('H = 64, T = 100, vanilla RNN: the JavaScript steps match the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ cell: 'rnn', hiddenSize: 64 }), charIO, 4, 100, wasmGemm(false), { sample: 3, scale: 0.1 }));

// The same GEMM under both, so only the steps differ. relu is max(a, 0) and dh·[a > 0] either way:
// bitwise. tanh: V8's float64 Math.tanh against the kernel's float32 one, ≈ 1e-7 apart per value,
// grown through the steps and layers to ≈ 1e-6 of an array's largest value (measured).
test('the wasm SIMD step gives the JavaScript step\'s results: relu bitwise, tanh within float32 rounding', { timeout: 120_000 }, () => {
  const cases = [
    { activation: 'relu', H: 6, layers: 2, B: 5, T: 9, io: numericIO }, // H = 6: the SIMD tails
    { activation: 'relu', H: 64, layers: 1, B: 4, T: 100, io: charIO },
    { activation: 'tanh', H: 6, layers: 2, B: 5, T: 9, io: tokenIO },
    { activation: 'tanh', H: 64, layers: 1, B: 4, T: 100, io: charIO },
  ] as const;
  for (const { activation, H, layers, B, T, io } of cases) {
    const spec = lstmSpec({ cell: 'rnn', rnnActivation: activation, hiddenSize: H, layers });
    const opts = { sample: B - 1, reachFrom: T - 3, scale: 0.1 };
    const js = flat(checkedKernelResult(spec, io, B, T, wasmGemm(false), opts));
    const simd = flat(checkedKernelResult(spec, io, B, T, wasmGemm(true), opts));
    assert.equal(js.length, simd.length);
    js.forEach((a, k) => {
      const what = `${activation} H=${H}: array ${k}`;
      if (activation === 'relu') assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(simd[k].buffer, simd[k].byteOffset, simd[k].byteLength)), `${what} differs`);
      else assert.ok(relErr(a, simd[k]) < 1e-5, `${what}: relative error ${relErr(a, simd[k])}`);
    });
  }
});
