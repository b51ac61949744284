// The fused vanilla RNN kernel against the independent float64 reference: loss, every weight
// gradient, final state and the recorded trace (h, a, ∂L/∂h_t, gradient reach), on every GEMM
// this machine has (its elementwise step is JavaScript whatever the provider).

import { after, before, test } from 'node:test';
import type { ModelIO } from '../../../src/core/types';
import { buildWasmKernel, closeWasmKernels, checkKernelAgainstReference as check, gemmProviders, lstmSpec, wasmGemm } from './helpers';

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

before(buildWasmKernel);
after(closeWasmKernels);

for (const [name, gemm] of gemmProviders().filter(([n]) => !n.includes('wasm SIMD GEMM and steps'))) {
  test(`vanilla RNN (tanh), 2 layers with embedding, matches the reference (${name})`, () =>
    check(lstmSpec({ cell: 'rnn', layers: 2, embeddingSize: 4 }), tokenIO, 3, 7, gemm(), { reachFrom: 4, sample: 1 }));
  test(`vanilla RNN (relu), numeric MSE, matches the reference (${name})`, () =>
    check(lstmSpec({ cell: 'rnn', rnnActivation: 'relu' }), numericIO, 2, 6, gemm(), { sample: 0 }));
}

const charIO: ModelIO = { vocabSize: 32, inputSize: 0, outputSize: 32, loss: 'xent' };
// Weights of ±0.1: with ±0.5 a 64-unit tanh RNN is chaotic (‖Wh‖ ≈ 2.3) and float32 rounding grows
// over 100 steps into 5e-4 of the loss, a property of the network, not of the kernel.
test('H = 64, T = 100, vanilla RNN: the wasm SIMD GEMM matches the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ cell: 'rnn', hiddenSize: 64 }), charIO, 4, 100, wasmGemm(false), { sample: 3, scale: 0.1 }));
