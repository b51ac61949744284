// The fused LSTM kernel against the independent float64 reference: loss, every weight gradient,
// final state and the recorded trace (h, c, gates, ∂L/∂h_t, ∂L/∂c_t, gradient reach), on the
// JavaScript GEMM, the WebAssembly SIMD GEMM (one thread with copied operands; two threads with
// every product split and the work buffers in the kernel's memory) and whatever defaultGemm()
// picks on this machine (printed and asserted: wasm SIMD unless an OpenBLAS bridge is built and
// finds OpenBLAS). The two-thread kernel gives bitwise the one-thread kernel's results.

import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { ModelSpec } from '../../../src/protocol/spec';
import type { ModelIO } from '../../../src/core/types';
import { referenceForwardBackward } from '../../../src/core/float64Reference';
import { FusedLstm } from '../../../src/core/fast/lstm-kernel';
import { fusedShape } from '../../../src/core/fast/model';
import { defaultGemm, jsGemm, jsSgemm, loadNativeBlas, wasmGemm, type GemmProvider } from '../../../src/core/fast/gemm';
import { defaultWasmThreads, instantiateWasmKernel, loadWasmKernel, WASM_KERNEL_FILE, type WasmKernel } from '../../../src/core/fast/wasmKernel';
import { installDistDir } from '../../../src/core/installDir';
import type { FusedResult } from '../../../src/core/fast/lstm-kernel';
import { fusedWeightsOf, lstmSpec, norms, randomBatch, randomWeights, relErr } from './helpers';

const TOL = 2e-5;

/** Runs the kernel on `gemm` and asserts every output against the reference; returns the kernel's result. */
function checked(spec: ModelSpec, io: ModelIO, B: number, T: number, gemm: GemmProvider, reachFrom = -1, sample = 1, scale = 0.5): FusedResult {
  const weights = randomWeights(spec, io, 7, scale);
  const batch = randomBatch(io, B, T, 11);
  const H = spec.hiddenSize;
  const rng = randomWeights({ ...spec }, io, 99, 0.3); // reuse for initial states
  const initial = {
    h: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => (rng['readout.W'].data[(k + l) % rng['readout.W'].data.length] as number))),
    c: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => 2 * (rng['readout.b'].data[(k + l) % rng['readout.b'].data.length] as number))),
  };
  const ref = referenceForwardBackward(spec, io, weights, batch, { sample, reachFrom, initial });
  const kernel = new FusedLstm(fusedShape(spec, io), gemm.sgemm, gemm.lstmStep ?? null, gemm.heap ?? null);
  const lstm = spec.cell !== 'rnn';
  const wt = fusedWeightsOf(weights, spec.layers);
  const tau = reachFrom < 0 ? T - 1 : reachFrom;
  const layers = Array.from({ length: spec.layers }, (_, l) => l);
  const res = kernel.run(batch, B, T, wt, initial.h, lstm ? initial.c : null, { sample, layers, reachFrom: tau });

  assert.ok(Math.abs(res.loss - ref.loss) <= TOL * Math.max(1, Math.abs(ref.loss)), `loss ${res.loss} vs ${ref.loss}`);
  const g = res.grads;
  for (let l = 0; l < spec.layers; l++) {
    assert.ok(relErr(g.Wx[l], ref.grads[`layer${l}.Wx`]) < TOL, `layer${l}.Wx ${relErr(g.Wx[l], ref.grads[`layer${l}.Wx`])}`);
    assert.ok(relErr(g.Wh[l], ref.grads[`layer${l}.Wh`]) < TOL, `layer${l}.Wh`);
    assert.ok(relErr(g.b[l], ref.grads[`layer${l}.b`]) < TOL, `layer${l}.b`);
    assert.ok(relErr(res.finalH[l], ref.finalState.h[l]) < TOL, `final h ${l}`);
    if (lstm) assert.ok(relErr(res.finalC[l], ref.finalState.c![l]) < TOL, `final c ${l}`);
  }
  assert.ok(relErr(g.Wr, ref.grads['readout.W']) < TOL, 'readout.W');
  assert.ok(relErr(g.br, ref.grads['readout.b']) < TOL, 'readout.b');
  if (ref.grads.embedding) assert.ok(relErr(g.embedding!, ref.grads.embedding) < TOL, 'embedding');
  else assert.equal(g.embedding, undefined);

  const stepLoss = Array.from({ length: T }, (_, t) => batch.mask[sample * T + t] * ref.stepLoss[sample * T + t]);
  assert.ok(relErr(res.stepLoss!, stepLoss) < TOL, 'stepLoss');
  for (let l = 0; l < spec.layers; l++) {
    const r = res.records![l], q = ref.layers[l];
    assert.ok(relErr(r.dh, q.dh) < TOL, `layer ${l} dh ${relErr(r.dh, q.dh)}`);
    assert.ok(relErr(r.reachH, norms(q.reachH, T, H)) < TOL, `layer ${l} reachH`);
    if (!lstm) {
      assert.ok(relErr(r.h, q.values.h) < TOL, `layer ${l} h`);
      assert.ok(relErr(r.a!, q.values.a) < TOL, `layer ${l} a`);
      continue;
    }
    for (const k of ['h', 'c', 'f', 'i', 'g', 'o'] as const) assert.ok(relErr(r[k], q.values[k]) < TOL, `layer ${l} ${k}`);
    assert.ok(relErr(r.dc, q.dc!) < TOL, `layer ${l} dc`);
    assert.ok(relErr(r.reachC, norms(q.reachC!, T, H)) < TOL, `layer ${l} reachC`);
    for (let t = tau + 1; t < T; t++) assert.equal(r.reachH[t], 0);
  }
  kernel.release();
  return res;
}
function check(...args: Parameters<typeof checked>): void {
  checked(...args);
}

const tokenIO: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
const numericIO: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

// The kernel from the current sources (the build never fails; a missing toolchain shows here).
before(() => {
  spawnSync(process.execPath, [join(import.meta.dirname, '../../../src/core/fast/wasm/build.mjs')], { stdio: 'inherit' });
});

/** The wasm kernel, failing the test (with the reason) when it cannot be built or loaded. */
function wasm(gates: boolean): GemmProvider {
  const w = loadWasmKernel();
  assert.ok(w.kernel, `wasm SIMD kernel unavailable: ${w.problem}`);
  return { name: 'wasm-simd', sgemm: w.kernel.sgemm, ...(gates ? { lstmStep: w.kernel.lstmStep } : {}) };
}

/**
 * A kernel of its own on `threads` threads. Two threads split every product (threshold 0), so
 * the small shapes below run the worker's share too; the work buffers live in its memory.
 */
const kernels = new Map<number, WasmKernel>();
function wasmOn(threads: number): GemmProvider {
  let k = kernels.get(threads);
  if (!k) {
    k = instantiateWasmKernel(join(installDistDir(), WASM_KERNEL_FILE), { threads, splitThreshold: 0 });
    kernels.set(threads, k);
  }
  assert.equal(k.threads, threads, `the kernel runs on ${k.threads} thread(s): ${k.threadProblem}`);
  const g = wasmGemm(k);
  assert.equal(g.label, threads === 1 ? 'wasm SIMD (1 thread)' : `wasm SIMD (${threads} threads)`);
  return g;
}
after(() => {
  for (const k of kernels.values()) k.close();
});

const providers: [string, () => GemmProvider][] = [
  ['js GEMM', () => jsGemm],
  ['wasm SIMD GEMM, JS gates', () => wasm(false)],
  ['wasm SIMD GEMM and gates', () => wasm(true)],
  ['wasm SIMD ×2 threads, buffers in its memory', () => wasmOn(2)],
  [`default = ${defaultGemm().name}`, () => defaultGemm()],
];
for (const [name, gemm] of providers) {
  test(`one-hot LSTM, 1 layer, matches the reference (${name})`, () => check(lstmSpec(), tokenIO, 3, 7, gemm()));
  test(`embedding LSTM, 2 layers, reach from the middle (${name})`, () =>
    check(lstmSpec({ layers: 2, embeddingSize: 4 }), tokenIO, 3, 6, gemm(), 3, 2));
  test(`numeric MSE LSTM, 3 layers, relu cell and candidate (${name})`, () =>
    check(lstmSpec({ layers: 3, cellActivation: 'relu', candidateActivation: 'relu' }), numericIO, 2, 5, gemm(), -1, 0));
  test(`H = 6 (not a multiple of 4: the SIMD tails), tanh cell, relu candidate (${name})`, () =>
    check(lstmSpec({ hiddenSize: 6, candidateActivation: 'relu' }), tokenIO, 5, 4, gemm(), -1, 4));
}

for (const [name, gemm] of [...providers.slice(0, 2), providers[3]]) {
  test(`vanilla RNN (tanh), 2 layers with embedding, matches the reference (${name})`, () =>
    check(lstmSpec({ cell: 'rnn', layers: 2, embeddingSize: 4 }), tokenIO, 3, 7, gemm(), 4, 1));
  test(`vanilla RNN (relu), numeric MSE, matches the reference (${name})`, () =>
    check(lstmSpec({ cell: 'rnn', rnnActivation: 'relu' }), numericIO, 2, 6, gemm(), -1, 0));
}

const charIO: ModelIO = { vocabSize: 32, inputSize: 0, outputSize: 32, loss: 'xent' };
test('H = 64, T = 100, one-hot (the bench shape): the wasm SIMD kernel matches the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ hiddenSize: 64 }), charIO, 4, 100, wasm(true), 60, 2));
// Weights of ±0.1: with ±0.5 a 64-unit tanh RNN is chaotic (‖Wh‖ ≈ 2.3) and float32 rounding grows
// over 100 steps into 5e-4 of the loss, a property of the network, not of the kernel.
test('H = 64, T = 100, vanilla RNN: the wasm SIMD GEMM matches the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ cell: 'rnn', hiddenSize: 64 }), charIO, 4, 100, wasm(true), -1, 3, 0.1));
test('H = 64, T = 100, 2 layers with embedding: the wasm SIMD kernel matches the reference', { timeout: 120_000 }, () =>
  check(lstmSpec({ hiddenSize: 64, layers: 2, embeddingSize: 16 }), charIO, 3, 100, wasm(true), -1, 1));
test('H = 64, T = 100, one-hot: the wasm SIMD kernel on two threads matches the reference, the worker computing its share', { timeout: 120_000 }, () => {
  const g = wasmOn(2);
  const before = kernels.get(2)!.workerShares();
  check(lstmSpec({ hiddenSize: 64 }), charIO, 4, 100, g, 60, 2);
  // Each of the 2·100 per-step products and the whole-sequence ones: the worker took its columns.
  assert.ok(kernels.get(2)!.workerShares() - before >= 200, `worker shares: ${kernels.get(2)!.workerShares() - before}`);
});

/** Every float of a kernel result, in a fixed order. */
function flat(r: FusedResult): Float32Array[] {
  const g = r.grads;
  const out = [Float32Array.of(r.loss), ...g.Wx, ...g.Wh, ...g.b, g.Wr, g.br, ...(g.embedding ? [g.embedding] : []), ...r.finalH, ...r.finalC, r.stepLoss!];
  for (const rec of r.records!) out.push(rec.h, rec.c, rec.f, rec.i, rec.g, rec.o, rec.dh, rec.dc, rec.reachH, rec.reachC);
  return out;
}

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
    const one = flat(checked(spec, io, B, T, wasmOn(1))), two = flat(checked(spec, io, B, T, wasmOn(2)));
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
    assert.ok(g.lstmStep, 'the wasm kernel brings the elementwise steps too');
    assert.match(g.skipped?.[0] ?? '', /^native BLAS: /, 'the reason the native bridge was not used is given');
  }
});

test('an all-zero mask gives zero loss and zero gradients', () => {
  const spec = lstmSpec();
  const batch = randomBatch(tokenIO, 2, 4, 3);
  batch.mask.fill(0);
  const w = randomWeights(spec, tokenIO, 1);
  const kernel = new FusedLstm({ hidden: 5, layers: 1, input: 'onehot', inputSize: 6, embedSize: 0, outputSize: 6, loss: 'xent', cellActivation: 'tanh', candidateActivation: 'tanh' }, jsSgemm, loadWasmKernel().kernel?.lstmStep ?? null);
  const f = (n: string): Float32Array => w[n].data as Float32Array;
  const res = kernel.run(batch, 2, 4, { Wx: [f('layer0.Wx')], Wh: [f('layer0.Wh')], b: [f('layer0.b')], Wr: f('readout.W'), br: f('readout.b') }, null, null, null);
  assert.equal(res.loss, 0);
  assert.ok(res.grads.Wh[0].every((v) => v === 0));
});
