// Shared fixtures of the engine tests: specs, deterministic tiny batches, tolerant comparisons.

import * as tf from '@tensorflow/tfjs';
import type { CellKind, ModelSpec } from '../../../src/protocol/spec';
import type { Batch, ModelIO } from '../../../src/core/types';
import { Rng } from '../../../src/core/init';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

export function makeSpec(cell: CellKind, over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    cell,
    hiddenSize: 3,
    layers: 1,
    embeddingSize: 0,
    forgetBias: 1,
    chronoInit: false,
    cellActivation: 'tanh',
    candidateActivation: 'tanh',
    rnnActivation: 'tanh',
    ...over,
  };
}

/**
 * A token batch [B, T] (xent: targets are tokens; mse: `outputs` random targets) or a numeric
 * one ([B, T, inputs]); mask with a few zeros unless `fullMask`.
 */
export function makeBatch(
  io: ModelIO,
  B: number,
  T: number,
  seed: number,
  opts: { fullMask?: boolean; lastOnly?: boolean } = {},
): Batch {
  const rng = new Rng(seed);
  const V = io.vocabSize;
  const tokens = V > 0 ? Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * V)) : null;
  const inputs = V > 0 ? null : Float32Array.from({ length: B * T * io.inputSize }, () => rng.uniform(-1, 1));
  const targetTokens = io.loss === 'xent' ? Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * io.outputSize)) : null;
  const targets = io.loss === 'mse' ? Float32Array.from({ length: B * T * io.outputSize }, () => rng.uniform(-1, 1)) : null;
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (opts.lastOnly) mask[b * T + t] = t === T - 1 ? 1 : 0;
      else mask[b * T + t] = opts.fullMask || (b * 7 + t * 3) % 5 !== 2 ? 1 : 0;
    }
  }
  return { batchSize: B, steps: T, tokens, inputs, targetTokens, targets, mask };
}

/** max|a − b| / max(max|b|, floor): relative to the scale of the expected array. */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let scale = floor;
  let diff = 0;
  for (let k = 0; k < expected.length; k++) {
    scale = Math.max(scale, Math.abs(expected[k]));
    diff = Math.max(diff, Math.abs(actual[k] - expected[k]));
  }
  return diff / scale;
}

/** Row k of a row-major [T, H] matrix. */
export function row(m: ArrayLike<number>, k: number, H: number): number[] {
  return Array.from({ length: H }, (_, j) => m[k * H + j]);
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}
