// Shared fixtures for the fast-path tests: random specs, weights and batches of small shapes, the
// GEMM providers a kernel can run on, and the check of a fused kernel against the float64 reference.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { GATE_ORDER, hasCellState, type ModelSpec } from '../../../src/protocol/spec';
import type { Batch, ModelIO } from '../../../src/core/types';
import { referenceForwardBackward, type RefWeights } from '../../../src/core/float64Reference';
import { Rng } from '../../../src/core/init';
import { fusedWeightsFrom, type FusedLayerRecord, type FusedResult, type FusedWeights } from '../../../src/core/fast/fused-network';
import { createFusedKernel, fusedShape } from '../../../src/core/fast/model';
import { defaultGemm, jsGemm, loadNativeBlas, wasmGemm as wasmProvider, type GemmProvider } from '../../../src/core/fast/gemm';
import { instantiateWasmKernel, loadWasmKernel, WASM_KERNEL_FILE, type WasmKernel } from '../../../src/core/fast/wasmKernel';
import { installDistDir } from '../../../src/core/installDir';

export function lstmSpec(over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    cell: 'lstm', hiddenSize: 5, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
    cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh', ...over,
  };
}

/** Weights in the engine layout, uniform in ±scale so gates are away from saturation. */
export function randomWeights(spec: ModelSpec, io: ModelIO, seed: number, scale = 0.5): RefWeights {
  const rng = new Rng(seed);
  const H = spec.hiddenSize, G = (spec.cell === 'rnn' ? 1 : spec.cell === 'gru' ? 3 : 4) * H;
  const mk = (shape: number[]): { shape: number[]; data: Float32Array } => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let k = 0; k < n; k++) data[k] = rng.uniform(-scale, scale);
    return { shape, data };
  };
  const w: RefWeights = {};
  let inW = io.vocabSize > 0 ? (spec.embeddingSize > 0 ? spec.embeddingSize : io.vocabSize) : io.inputSize;
  if (io.vocabSize > 0 && spec.embeddingSize > 0) w.embedding = mk([io.vocabSize, spec.embeddingSize]);
  for (let l = 0; l < spec.layers; l++) {
    w[`layer${l}.Wx`] = mk([inW, G]);
    w[`layer${l}.Wh`] = mk([H, G]);
    w[`layer${l}.b`] = mk([G]);
    inW = H;
  }
  w['readout.W'] = mk([H, io.outputSize]);
  w['readout.b'] = mk([io.outputSize]);
  return w;
}

/** A token batch (next-token xent) or a numeric batch (mse) with some masked-out steps. */
export function randomBatch(io: ModelIO, B: number, T: number, seed: number): Batch {
  const rng = new Rng(seed);
  const mask = new Float32Array(B * T);
  for (let k = 0; k < B * T; k++) mask[k] = rng.next() < 0.8 ? 1 : 0;
  if (io.vocabSize > 0) {
    const tokens = new Int32Array(B * T);
    const targetTokens = new Int32Array(B * T);
    for (let k = 0; k < B * T; k++) {
      tokens[k] = Math.floor(rng.next() * io.vocabSize);
      targetTokens[k] = Math.floor(rng.next() * io.outputSize);
    }
    return { batchSize: B, steps: T, tokens, inputs: null, targetTokens, targets: null, mask };
  }
  const inputs = new Float32Array(B * T * io.inputSize);
  for (let k = 0; k < inputs.length; k++) inputs[k] = rng.uniform(-1, 1);
  const targets = new Float32Array(B * T * io.outputSize);
  for (let k = 0; k < targets.length; k++) targets[k] = rng.uniform(-1, 1);
  return { batchSize: B, steps: T, tokens: null, inputs, targetTokens: null, targets, mask };
}

/** Largest |a − b| relative to the largest |b| (so tiny entries do not dominate). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 1e-12;
  for (let k = 0; k < a.length; k++) {
    d = Math.max(d, Math.abs(a[k] - b[k]));
    m = Math.max(m, Math.abs(b[k]));
  }
  return d / m;
}

/** The fused kernels' flat weights (CPU and GPU take the same) from reference weights. */
export function fusedWeightsOf(weights: RefWeights, layers: number): FusedWeights {
  return fusedWeightsFrom((n) => weights[n]?.data as Float32Array | undefined, layers);
}

/** Per-timestep L2 norms of a [T, H] row-major matrix, computed independently of the engine. */
export function norms(m: ArrayLike<number>, T: number, H: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += m[t * H + j] ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}

/** Builds dist/fused-kernel.wasm from the current sources (the build never fails; a missing toolchain shows in the tests that need it). */
export function buildWasmKernel(): void {
  spawnSync(process.execPath, [join(import.meta.dirname, '../../../src/core/fast/wasm/build.mjs')], { stdio: 'inherit' });
}

/**
 * The wasm kernel's GEMM, with its elementwise steps when `steps`, without its memory (every
 * operand copied in and out); fails the test (with the reason) when it cannot load.
 */
export function wasmGemm(steps: boolean): GemmProvider {
  const w = loadWasmKernel();
  assert.ok(w.kernel, `wasm SIMD kernel unavailable: ${w.problem}`);
  const { name, label, sgemm, lstmStep, gruStep, rnnStep } = wasmProvider(w.kernel);
  return { name, label: `${label}, copied operands`, sgemm, ...(steps ? { lstmStep, gruStep, rnnStep } : {}) };
}

const threadKernels = new Map<number, WasmKernel>();
/** A wasm kernel of its own on `threads` threads, kept for the test file (closeWasmKernels() stops them). */
export function wasmKernelOn(threads: number): WasmKernel {
  let k = threadKernels.get(threads);
  if (!k) {
    // Every product split (threshold 0), so the small shapes of the tests run the worker's share too.
    k = instantiateWasmKernel(join(installDistDir(), WASM_KERNEL_FILE), { threads, splitThreshold: 0 });
    threadKernels.set(threads, k);
  }
  assert.equal(k.threads, threads, `the kernel runs on ${k.threads} thread(s): ${k.threadProblem}`);
  return k;
}
/** The whole wasm kernel on `threads` threads as a provider: GEMM, steps and its memory for the work buffers. */
export function wasmGemmOn(threads: number): GemmProvider {
  const g = wasmProvider(wasmKernelOn(threads));
  assert.equal(g.label, threads === 1 ? 'wasm SIMD (1 thread)' : `wasm SIMD (${threads} threads)`);
  assert.ok(g.heap, 'the provider brings the kernel\'s memory');
  return g;
}
/** Stops the worker threads of wasmKernelOn's kernels (for after()). */
export function closeWasmKernels(): void {
  for (const k of threadKernels.values()) k.close();
  threadKernels.clear();
}

/**
 * Every GEMM (and elementwise-step) combination a kernel can run on here, named for the test
 * title: the JS GEMM, wasm SIMD with JS steps, wasm SIMD with wasm steps (both with copied
 * operands), the whole wasm kernel on two threads with every product split and the work buffers
 * in its memory, OpenBLAS with JS steps when the native bridge finds it, and whatever
 * defaultGemm() picks on this machine. A test file using it stops the threads: after(closeWasmKernels).
 */
export function gemmProviders(): [string, () => GemmProvider][] {
  const out: [string, () => GemmProvider][] = [
    ['js GEMM, JS steps', () => jsGemm],
    ['wasm SIMD GEMM, JS steps', () => wasmGemm(false)],
    ['wasm SIMD GEMM and steps', () => wasmGemm(true)],
    ['wasm SIMD ×2 threads, buffers in its memory', () => wasmGemmOn(2)],
  ];
  const nat = loadNativeBlas();
  if (nat && /openblas/i.test(nat.library)) {
    out.push([`OpenBLAS GEMM (${nat.library}), JS steps`, () => ({ name: `native:${nat.library}`, sgemm: defaultGemm().sgemm })]);
  }
  const d = defaultGemm();
  out.push([`default = ${d.label ?? d.name}`, () => defaultGemm()]);
  return out;
}

/** Initial states of every layer, [B, H] each, deterministic and away from zero. */
export function initialStates(spec: ModelSpec, B: number): { h: Float32Array[]; c: Float32Array[] } {
  const H = spec.hiddenSize;
  return {
    h: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => 0.6 * Math.sin(1.3 * k + l))),
    c: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => 0.8 * Math.cos(0.7 * k + 2 * l))),
  };
}

/** What a fused record holds by name, as the engine names it: h, c (LSTM) and the cell's gates. */
export function recordedValues(r: FusedLayerRecord, spec: ModelSpec): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = hasCellState(spec.cell) ? { h: r.h, c: r.c } : { h: r.h };
  for (const g of GATE_ORDER[spec.cell]) out[g] = r.gates?.[g] ?? r[g as 'f' | 'i' | 'g' | 'o'];
  return out;
}

/**
 * The fused kernel of `spec` on `gemm` against the float64 reference from the same weights,
 * batch and initial state: loss, every weight gradient, final state, per-step loss and every
 * recorded quantity of every layer (values, ∂L/∂h_t, ∂L/∂c_t, reach norms, zero after τ).
 */
export function checkKernelAgainstReference(...args: Parameters<typeof checkedKernelResult>): void {
  checkedKernelResult(...args);
}

/** Every float of a kernel result (any cell), in a fixed order. */
export function flat(r: FusedResult): Float32Array[] {
  const g = r.grads;
  const out = [Float32Array.of(r.loss), ...g.Wx, ...g.Wh, ...g.b, g.Wr, g.br, ...(g.embedding ? [g.embedding] : []), ...r.finalH, ...r.finalC, r.stepLoss!];
  for (const rec of r.records!) {
    out.push(rec.h, rec.c, rec.f, rec.i, rec.g, rec.o, ...Object.values(rec.gates ?? {}), rec.dh, rec.dc, rec.reachH, rec.reachC);
  }
  return out;
}

/** checkKernelAgainstReference, returning the kernel's result (its buffers released). */
export function checkedKernelResult(spec: ModelSpec, io: ModelIO, B: number, T: number, gemm: GemmProvider,
  opts: { reachFrom?: number; sample?: number; scale?: number; tol?: number } = {}): FusedResult {
  const { reachFrom = -1, sample = 1, scale = 0.5, tol = 2e-5 } = opts;
  const weights = randomWeights(spec, io, 7, scale);
  const batch = randomBatch(io, B, T, 11);
  const H = spec.hiddenSize;
  const initial = initialStates(spec, B);
  const cellState = hasCellState(spec.cell);
  const ref = referenceForwardBackward(spec, io, weights, batch, { sample, reachFrom, initial: { h: initial.h, c: cellState ? initial.c : null } });
  const kernel = createFusedKernel(fusedShape(spec, io), gemm);
  const tau = reachFrom < 0 ? T - 1 : reachFrom;
  const layers = Array.from({ length: spec.layers }, (_, l) => l);
  const res = kernel.run(batch, B, T, fusedWeightsOf(weights, spec.layers), initial.h, cellState ? initial.c : null, { sample, layers, reachFrom: tau });

  const close = (what: string, a: ArrayLike<number>, b: ArrayLike<number>): void => {
    const e = relErr(a, b);
    assert.ok(e < tol, `${what}: relative error ${e}`);
  };
  assert.ok(Math.abs(res.loss - ref.loss) <= tol * Math.max(1, Math.abs(ref.loss)), `loss ${res.loss} vs ${ref.loss}`);
  const g = res.grads;
  for (let l = 0; l < spec.layers; l++) {
    close(`layer${l}.Wx`, g.Wx[l], ref.grads[`layer${l}.Wx`]);
    close(`layer${l}.Wh`, g.Wh[l], ref.grads[`layer${l}.Wh`]);
    close(`layer${l}.b`, g.b[l], ref.grads[`layer${l}.b`]);
    close(`final h ${l}`, res.finalH[l], ref.finalState.h[l]);
    if (cellState) close(`final c ${l}`, res.finalC[l], ref.finalState.c![l]);
  }
  if (!cellState) assert.equal(res.finalC.length, 0, 'no cell state');
  close('readout.W', g.Wr, ref.grads['readout.W']);
  close('readout.b', g.br, ref.grads['readout.b']);
  if (ref.grads.embedding) close('embedding', g.embedding!, ref.grads.embedding);
  else assert.equal(g.embedding, undefined);

  const stepLoss = Array.from({ length: T }, (_, t) => batch.mask[sample * T + t] * ref.stepLoss[sample * T + t]);
  close('stepLoss', res.stepLoss!, stepLoss);
  for (let l = 0; l < spec.layers; l++) {
    const r = res.records![l], q = ref.layers[l];
    assert.equal(r.layer, l);
    const values = recordedValues(r, spec);
    assert.deepEqual(Object.keys(values).sort(), Object.keys(q.values).sort(), `layer ${l} records what the reference records`);
    for (const k of Object.keys(q.values)) close(`layer ${l} ${k}`, values[k], q.values[k]);
    close(`layer ${l} dh`, r.dh, q.dh);
    close(`layer ${l} reachH`, r.reachH, norms(q.reachH, T, H));
    for (let t = tau + 1; t < T; t++) assert.equal(r.reachH[t], 0, `reachH after τ at ${t}`);
    if (cellState) {
      close(`layer ${l} dc`, r.dc, q.dc!);
      close(`layer ${l} reachC`, r.reachC, norms(q.reachC!, T, H));
    } else {
      assert.equal(r.dc.length, 0, 'no ∂L/∂c_t without a cell state');
      assert.equal(r.reachC.length, 0, 'no reach of c without a cell state');
    }
  }
  kernel.release();
  return res;
}
