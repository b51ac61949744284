// Shared fixtures of the maths tests: a seeded generator, tiny random models and batches in the
// engine's weight layout, and error measures for comparing gradients.

import type { CellKind, ModelSpec } from '../../../src/protocol/spec';
import { GATE_ORDER } from '../../../src/protocol/spec';
import type { Batch, ModelIO, RecurrentState } from '../../../src/core/types';
import type { RefWeights } from '../../../src/core/float64Reference';

/** mulberry32: small, seeded, good enough for test fixtures. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function modelSpec(cell: CellKind, over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    cell, hiddenSize: 3, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
    cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh', ...over,
  };
}

/** Random weights of every parameter the model has, uniform in ±scale. */
export function randomWeights(spec: ModelSpec, io: ModelIO, rand: () => number, scale = 0.8): RefWeights {
  const H = spec.hiddenSize;
  const GH = GATE_ORDER[spec.cell].length * H;
  const w: RefWeights = {};
  const mk = (name: string, shape: number[]) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float64Array(n);
    for (let k = 0; k < n; k++) data[k] = (rand() * 2 - 1) * scale;
    w[name] = { shape, data };
  };
  let inW = io.inputSize;
  if (io.vocabSize > 0) {
    if (spec.embeddingSize > 0) {
      mk('embedding', [io.vocabSize, spec.embeddingSize]);
      inW = spec.embeddingSize;
    } else inW = io.vocabSize;
  }
  for (let l = 0; l < spec.layers; l++) {
    mk(`layer${l}.Wx`, [l === 0 ? inW : H, GH]);
    mk(`layer${l}.Wh`, [H, GH]);
    mk(`layer${l}.b`, [GH]);
  }
  mk('readout.W', [H, io.outputSize]);
  mk('readout.b', [io.outputSize]);
  return w;
}

/** A random batch for the given IO, with a mask that zeroes some steps (never all of them). */
export function randomBatch(io: ModelIO, B: number, T: number, rand: () => number): Batch {
  const mask = new Float32Array(B * T);
  for (let k = 0; k < B * T; k++) mask[k] = rand() < 0.7 ? 1 : 0;
  mask[0] = 1;
  mask[B * T - 1] = 0; // the last step of the last sample bears no loss
  const batch: Batch = { batchSize: B, steps: T, tokens: null, inputs: null, targetTokens: null, targets: null, mask };
  if (io.vocabSize > 0) {
    batch.tokens = new Int32Array(B * T);
    for (let k = 0; k < B * T; k++) batch.tokens[k] = Math.floor(rand() * io.vocabSize);
  } else {
    batch.inputs = new Float32Array(B * T * io.inputSize);
    for (let k = 0; k < batch.inputs.length; k++) batch.inputs[k] = rand() * 2 - 1;
  }
  if (io.loss === 'xent') {
    batch.targetTokens = new Int32Array(B * T);
    for (let k = 0; k < B * T; k++) batch.targetTokens[k] = Math.floor(rand() * io.outputSize);
  } else {
    batch.targets = new Float32Array(B * T * io.outputSize);
    for (let k = 0; k < batch.targets.length; k++) batch.targets[k] = rand() * 2 - 1;
  }
  return batch;
}

/** A random initial state, h (and c) per layer as [B, H]. */
export function randomState(spec: ModelSpec, B: number, rand: () => number, withC: boolean): RecurrentState {
  const H = spec.hiddenSize;
  const mk = () => Float32Array.from({ length: B * H }, () => rand() * 2 - 1);
  return { h: Array.from({ length: spec.layers }, mk), c: withC ? Array.from({ length: spec.layers }, mk) : null };
}

/**
 * Largest entry-wise relative error between an analytic and a numerical gradient. Entries are
 * compared relative to their own size, with a floor at 1e-3 of the array's largest entry so that
 * entries that are zero (dead relu units, steps after τ) do not divide by zero.
 */
export function maxRelError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  let scale = 0;
  for (let k = 0; k < numeric.length; k++) scale = Math.max(scale, Math.abs(numeric[k]), Math.abs(analytic[k]));
  const floor = Math.max(scale * 1e-3, 1e-12);
  let worst = 0;
  for (let k = 0; k < numeric.length; k++) {
    const d = Math.abs(analytic[k] - numeric[k]) / Math.max(Math.abs(analytic[k]), Math.abs(numeric[k]), floor);
    worst = Math.max(worst, d);
  }
  return worst;
}

/**
 * Central finite difference of f at a scalar offset, fourth order:
 * (8(f(ε) − f(−ε)) − (f(2ε) − f(−2ε))) / 12ε. Its truncation error is O(ε⁴), so at ε = 1e-3 in
 * float64 what is left is rounding (~1e-13 absolute for an O(1) loss).
 */
export function central(f: (delta: number) => number, eps: number): number {
  return (8 * (f(eps) - f(-eps)) - (f(2 * eps) - f(-2 * eps))) / (12 * eps);
}

/** Eigenvalues of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations, descending. */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): number[] {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) { // rotate columns p, q
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // rotate rows p, q
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, k) => a[k * n + k]).sort((x, y) => y - x);
}

/** C = A·B for n×n row-major matrices. */
export function matMul(A: ArrayLike<number>, B: ArrayLike<number>, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const aik = A[i * n + k];
    for (let j = 0; j < n; j++) C[i * n + j] += aik * B[k * n + j];
  }
  return C;
}

/** Largest singular value of an n×n matrix: √ of the largest eigenvalue of AᵀA (Jacobi). */
export function largestSingularValue(A: ArrayLike<number>, n: number): number {
  const AtA = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += A[k * n + i] * A[k * n + j];
    AtA[i * n + j] = s;
  }
  return Math.sqrt(Math.max(0, symmetricEigenvalues(AtA, n)[0]));
}
