// The fused GRU kernel (reset_after = false, the engine's and tf.layers.gru's formulation) against
// the independent float64 reference: loss, every weight gradient, final state and the recorded
// trace (h, z, r, n, ∂L/∂h_t, gradient reach; no cell state), on every GEMM and elementwise-step
// combination this machine has; and its loss gradient against central finite differences.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelIO } from '../../../src/core/types';
import { createFusedKernel, fusedShape } from '../../../src/core/fast/model';
import { jsGemm } from '../../../src/core/fast/gemm';
import { Rng } from '../../../src/core/init';
import { buildWasmKernel, closeWasmKernels, checkKernelAgainstReference as check, fusedWeightsOf, gemmProviders, initialStates, lstmSpec, randomBatch, randomWeights, wasmGemm } from './helpers';

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };
const gru = (over: Parameters<typeof lstmSpec>[0] = {}): ReturnType<typeof lstmSpec> => lstmSpec({ cell: 'gru', ...over });

before(buildWasmKernel);
after(closeWasmKernels);

for (const [name, gemm] of gemmProviders()) {
  test(`one-hot GRU, 1 layer, matches the reference (${name})`, () => check(gru(), tokenIO, 3, 7, gemm()));
  test(`embedding GRU, 2 layers, reach from the middle (${name})`, () =>
    check(gru({ layers: 2, embeddingSize: 4 }), tokenIO, 3, 6, gemm(), { reachFrom: 3, sample: 2 }));
  test(`numeric MSE GRU, 3 layers, reach from step 0 (${name})`, () =>
    check(gru({ layers: 3 }), numericIO, 2, 5, gemm(), { reachFrom: 0, sample: 0 }));
  test(`H = 6 (not a multiple of 4: the SIMD tails), B = 5 (${name})`, () =>
    check(gru({ hiddenSize: 6 }), tokenIO, 5, 4, gemm(), { sample: 4 }));
}

const charIO: ModelIO = { vocabSize: 32, inputSize: 0, outputSize: 32, loss: 'xent' };
test('H = 64, T = 100, one-hot (the bench shape): the wasm SIMD kernel matches the reference', { timeout: 120_000 }, () =>
  check(gru({ hiddenSize: 64 }), charIO, 4, 100, wasmGemm(true), { reachFrom: 60, sample: 2 }));
test('H = 64, T = 100, 2 layers with embedding: the wasm SIMD kernel matches the reference', { timeout: 120_000 }, () =>
  check(gru({ hiddenSize: 64, layers: 2, embeddingSize: 16 }), charIO, 3, 100, wasmGemm(true)));
test('H = 64, T = 100, one-hot: the JavaScript steps match the reference', { timeout: 120_000 }, () =>
  check(gru({ hiddenSize: 64 }), charIO, 2, 100, wasmGemm(false), { sample: 1 }));

test('the GRU\'s weight gradient equals central finite differences of its own loss (directional, float32)', () => {
  // L(θ + εd) − L(θ − εd) = 2ε·∇L·d + O(ε³) along a few random directions d: checks the BPTT
  // against the kernel's own forward, independently of the reference.
  const spec = gru({ hiddenSize: 5, layers: 2, embeddingSize: 3 });
  const B = 3, T = 6;
  const w = fusedWeightsOf(randomWeights(spec, tokenIO, 5, 0.6), spec.layers);
  const batch = randomBatch(tokenIO, B, T, 8);
  const h0 = initialStates(spec, B).h;
  for (const [name, provider] of [['js', jsGemm], ['wasm', wasmGemm(true)]] as const) {
    const kernel = createFusedKernel(fusedShape(spec, tokenIO), provider);
    const grads = kernel.run(batch, B, T, w, h0, null, null).grads;
    const all = (x: typeof w): Float32Array[] => [...x.Wx, ...x.Wh, ...x.b, x.Wr, x.br, x.embedding!];
    const rng = new Rng(3);
    for (let k = 0; k < 4; k++) {
      const dirs = all(w).map((a) => Float32Array.from(a, () => rng.uniform(-1, 1)));
      const at = (eps: number): number => {
        const moved = all(w).map((a, q) => Float32Array.from(a, (v, j) => v + eps * dirs[q][j]));
        const L = spec.layers;
        const ww = { Wx: moved.slice(0, L), Wh: moved.slice(L, 2 * L), b: moved.slice(2 * L, 3 * L), Wr: moved[3 * L], br: moved[3 * L + 1], embedding: moved[3 * L + 2] };
        return kernel.run(batch, B, T, ww, h0, null, null, true).loss;
      };
      const eps = 1e-2;
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      let an = 0;
      all(grads).forEach((g, q) => g.forEach((v, j) => (an += v * dirs[q][j])));
      // Measured here: |fd − ∇L·d| ≈ 3e-5 (float32 rounding of the loss over 2ε); a 10 % error in one
      // path of the BPTT shows as ≥ 3e-3.
      assert.ok(Math.abs(fd - an) <= 1e-4 + 5e-3 * Math.abs(an), `${name} direction ${k}: finite difference ${fd} vs gradient ${an}`);
    }
  }
});
