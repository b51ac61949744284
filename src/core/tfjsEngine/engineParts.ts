// What the parts of the op-by-op tfjs engine (pass data, cell step, unrolled pass, recording)
// read of the model: its spec, sizes and parameters.

import type * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../protocol/spec';
import type { ModelIO } from '../types';

export interface EngineParts {
  readonly spec: ModelSpec;
  readonly io: ModelIO;
  readonly params: Record<string, tf.Variable>;
  /** Units per layer. */
  readonly H: number;
  /** Gate blocks of the cell (GATE_ORDER[cell].length). */
  readonly G: number;
  /** GATE_ORDER[cell]. */
  readonly gates: readonly string[];
  /** Whether the cell has a cell state c (LSTM family). */
  readonly hasC: boolean;
}

/** What the engine records for one traced layer beyond LayerTrace: the raw reach vectors. */
export interface LayerReach {
  /** ∂ℓ_τ/∂h_t, [T, H] (0 for t > τ). */
  reachH: Float32Array;
  /** ∂ℓ_τ/∂c_t, [T, H]; LSTM family only. */
  reachC?: Float32Array;
}

