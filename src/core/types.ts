// Contracts between the parts of the core: data sources produce Batches, a RecurrentModel turns
// a Batch into a loss, weight gradients and (optionally) a TraceSnapshot, the training loop
// clips and applies them. Shapes are given as [batch B, time T, …].

import type * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../protocol/spec';
import type { TraceSnapshot } from '../protocol/trace';

/** How the loss reads the model's outputs. */
export type LossKind = 'xent' | 'mse';

/** One minibatch. */
export interface Batch {
  batchSize: number;
  steps: number;
  /** Token ids [B, T] for token inputs, else null. */
  tokens: Int32Array | null;
  /** Numeric inputs [B, T, inputSize] for numeric inputs, else null. */
  inputs: Float32Array | null;
  /** Target token ids [B, T] when loss is 'xent', else null. */
  targetTokens: Int32Array | null;
  /** Target values [B, T, outputSize] when loss is 'mse', else null. */
  targets: Float32Array | null;
  /**
   * Loss weight per (b, t), [B, T]: 1 where the step bears a loss, 0 where not (the adding
   * problem and delayed recall only score the last step). The batch loss is
   * L = Σ_{b,t} mask·ℓ_{b,t} / Σ mask.
   */
  mask: Float32Array;
  /** Text data: the character each row's window starts at, [B] (where each traced sample is in the file). */
  starts?: number[];
}

/** Shapes of the model's input and output, decided by the data. */
export interface ModelIO {
  /** Token vocabulary size V (token data), or 0 for numeric data. */
  vocabSize: number;
  /** Numeric input width (numeric data), or 0 for token data. */
  inputSize: number;
  /** Read-out width: V for 'xent', the target width for 'mse'. */
  outputSize: number;
  loss: LossKind;
}

/** What to record on one forward/backward pass. */
export interface TraceRequest {
  /** Batch index to trace. */
  sample: number;
  /** Layers to record (default all). */
  layers?: number[];
  /** τ for the gradient reach; -1 = last step. */
  reachFrom: number;
  /** Compute Jacobian spectra. */
  jacobian: boolean;
}

/** Initial recurrent state per layer: h (and c for the LSTM family), each [B, H]. */
export interface RecurrentState {
  h: Float32Array[];
  c: Float32Array[] | null;
}

export interface StepResult {
  /** Batch loss L. */
  loss: number;
  /** ∂L/∂θ per parameter name (caller disposes). */
  grads: Record<string, tf.Tensor>;
  /** Final state of every layer, for carried state across truncated-BPTT windows. */
  finalState: RecurrentState;
  /** Present when a TraceRequest was given. */
  trace?: TraceSnapshot;
}

/**
 * A stacked recurrent network with a dense read-out, whose parameters are tf.Variables named
 * `embedding` [V, E], `layer{l}.Wx` [inputWidth, G·H], `layer{l}.Wh` [H, G·H], `layer{l}.b` [G·H],
 * `readout.W` [H, O], `readout.b` [O]; column block k of Wx/Wh/b belongs to GATE_ORDER[cell][k].
 */
export interface RecurrentModel {
  readonly spec: ModelSpec;
  readonly io: ModelIO;
  /** Trainable parameters by name. */
  readonly params: Record<string, tf.Variable>;
  /** Forward over the batch, BPTT, and the trace if asked. Leaks no tensors except `grads`. */
  forwardBackward(batch: Batch, initial?: RecurrentState | null, trace?: TraceRequest | null): StepResult;
  /** Loss only (validation); no gradients. */
  evaluate(batch: Batch, initial?: RecurrentState | null): { loss: number; finalState: RecurrentState };
  /** The same passes on a device that answers asynchronously (the WebGPU engine); the training loop prefers them. */
  forwardBackwardAsync?(batch: Batch, initial?: RecurrentState | null, trace?: TraceRequest | null): Promise<StepResult>;
  evaluateAsync?(batch: Batch, initial?: RecurrentState | null): Promise<{ loss: number; finalState: RecurrentState }>;
  /** Weights as named float arrays (for the run folder). */
  exportWeights(): Record<string, { shape: number[]; data: Float32Array }>;
  importWeights(weights: Record<string, { shape: number[]; data: Float32Array }>): void;
  dispose(): void;
}
