// The batch of one pass of the op-by-op tfjs engine as time-major tensors: inputs, per-step
// targets and loss weights, initial states; checked against the model's shape first.

import * as tf from '@tensorflow/tfjs';
import type { Batch, ModelIO, RecurrentState } from '../types';
import type { EngineParts } from './engineParts';

/** Per-step data of one pass, all time-major; created outside the gradient function and disposed after. */
export interface PassData {
  B: number;
  T: number;
  /** Token ids [T·B] (time-major), for token input. */
  ids: tf.Tensor1D | null;
  /** Numeric inputs [T·B, inputSize] (time-major), for numeric input. */
  inputs: tf.Tensor2D | null;
  /** Per t: targets [B, O] (one-hot for xent), or null when no sample bears a loss at t. */
  targets: (tf.Tensor2D | null)[];
  /** Per t: loss weights [B], or null when all are 0. */
  masks: (tf.Tensor1D | null)[];
  /** Σ mask over the batch (the loss is divided by it; 0 gives loss 0). */
  maskSum: number;
  /** Initial state per layer, [B, H]. */
  h0: tf.Tensor2D[];
  c0: tf.Tensor2D[] | null;
}

/** Throws, naming the field, when a batch does not fit the model's input and loss. */
export function checkBatch(io: ModelIO, batch: Batch): void {
  const { batchSize: B, steps: T } = batch;
  if (!(B > 0 && T > 0)) throw new Error(`batch needs batchSize and steps > 0, got ${B}×${T}`);
  if (batch.mask.length !== B * T) throw new Error(`mask has ${batch.mask.length} values, expected B·T = ${B * T}`);
  if (io.vocabSize > 0) {
    if (!batch.tokens || batch.tokens.length !== B * T) throw new Error('token model needs batch.tokens [B, T]');
    for (const id of batch.tokens) if (id < 0 || id >= io.vocabSize) throw new Error(`token id ${id} outside vocabulary of ${io.vocabSize}`);
  } else if (!batch.inputs || batch.inputs.length !== B * T * io.inputSize) {
    throw new Error(`numeric model needs batch.inputs [B, T, ${io.inputSize}]`);
  }
  if (io.loss === 'xent') {
    if (!batch.targetTokens || batch.targetTokens.length !== B * T) throw new Error("'xent' loss needs batch.targetTokens [B, T]");
    for (const id of batch.targetTokens) if (id < 0 || id >= io.outputSize) throw new Error(`target id ${id} outside ${io.outputSize} outputs`);
  } else if (!batch.targets || batch.targets.length !== B * T * io.outputSize) {
    throw new Error(`'mse' loss needs batch.targets [B, T, ${io.outputSize}]`);
  }
}

/**
 * Moves a batch (or one sample of it, when `only` is given) to time-major tensors. `lossAt`
 * replaces the mask by a single loss-bearing step of weight 1 (the reach pass: ℓ_τ unnormalised).
 */
export function preparePass(e: EngineParts, batch: Batch, initial: RecurrentState | null, only: { sample: number; lossAt: number } | null): PassData {
  const T = batch.steps;
  const Bfull = batch.batchSize;
  const samples = only ? [only.sample] : Array.from({ length: Bfull }, (_, b) => b);
  const B = samples.length;
  const { H, io } = e;
  const O = io.outputSize;
  let ids: tf.Tensor1D | null = null;
  let inputs: tf.Tensor2D | null = null;
  if (io.vocabSize > 0) {
    const a = new Int32Array(T * B);
    for (let t = 0; t < T; t++) samples.forEach((s, b) => (a[t * B + b] = batch.tokens![s * T + t]));
    ids = tf.tensor1d(a, 'int32');
  } else {
    const I = io.inputSize;
    const a = new Float32Array(T * B * I);
    for (let t = 0; t < T; t++) {
      samples.forEach((s, b) => a.set(batch.inputs!.subarray((s * T + t) * I, (s * T + t + 1) * I), (t * B + b) * I));
    }
    inputs = tf.tensor2d(a, [T * B, I]);
  }
  const targets: (tf.Tensor2D | null)[] = [];
  const masks: (tf.Tensor1D | null)[] = [];
  let maskSum = 0;
  for (let t = 0; t < T; t++) {
    const m = new Float32Array(B);
    samples.forEach((s, b) => (m[b] = only ? (t === only.lossAt ? 1 : 0) : batch.mask[s * T + t]));
    let any = false;
    for (const w of m) {
      maskSum += w;
      if (w !== 0) any = true;
    }
    if (!any) {
      targets.push(null);
      masks.push(null);
      continue;
    }
    const y = new Float32Array(B * O);
    samples.forEach((s, b) => {
      if (io.loss === 'xent') y[b * O + batch.targetTokens![s * T + t]] = 1;
      else y.set(batch.targets!.subarray((s * T + t) * O, (s * T + t + 1) * O), b * O);
    });
    targets.push(tf.tensor2d(y, [B, O]));
    masks.push(tf.tensor1d(m));
  }
  const state = (arrs: Float32Array[] | null | undefined, l: number, what: string): tf.Tensor2D => {
    const src = arrs?.[l];
    if (!src) return tf.zeros([B, H]);
    if (src.length !== Bfull * H) throw new Error(`initial ${what}[${l}] has ${src.length} values, expected [${Bfull}, ${H}]`);
    if (!only) return tf.tensor2d(src, [B, H]);
    return tf.tensor2d(src.slice(only.sample * H, (only.sample + 1) * H), [1, H]);
  };
  const h0 = Array.from({ length: e.spec.layers }, (_, l) => state(initial?.h, l, 'h'));
  const c0 = e.hasC ? Array.from({ length: e.spec.layers }, (_, l) => state(initial?.c, l, 'c')) : null;
  return { B, T, ids, inputs, targets, masks, maskSum, h0, c0 };
}

/** Frees every tensor of a pass's data. */
export function disposePassData(d: PassData): void {
  tf.dispose([
    ...(d.ids ? [d.ids] : []),
    ...(d.inputs ? [d.inputs] : []),
    ...d.targets.filter((t): t is tf.Tensor2D => t != null),
    ...d.masks.filter((t): t is tf.Tensor1D => t != null),
    ...d.h0,
    ...(d.c0 ?? []),
  ]);
}
