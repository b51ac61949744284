// What a run records: per-step metrics and per-timestep trace snapshots. Shared by the core
// (which produces them), the run folder (which stores them), the host and the webview (which
// show them). Plain data with typed arrays; matrices are row-major [time, units].

import type { BackendName, CellKind, RunSpec } from './spec';

/** One optimisation step's scalars (one line of metrics.jsonl). */
export interface MetricsRecord {
  step: number;
  /** Training loss of this step's batch (mean over the loss-bearing timesteps). */
  loss: number;
  /** Validation loss, on the steps where it was evaluated. */
  valLoss?: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Global gradient norm after clipping (equals gradNorm when clipping did not fire). */
  gradNormClipped: number;
  /** Whether clipping fired on this step. */
  clipped: boolean;
  learningRate: number;
  /** Per-parameter-group gradient norms before clipping, keyed by parameter name. */
  groupNorms: Record<string, number>;
  /** Wall-clock seconds this step took. */
  seconds: number;
  /** Unix time (ms) when the step finished. */
  time: number;
}

/** Recorded values of one layer for one traced sample. All matrices are [T, H] row-major. */
export interface LayerTrace {
  layer: number;
  /** Hidden size H. */
  units: number;
  /**
   * State and gate activations per timestep and unit, keyed by name: 'h' always, 'c' for the
   * LSTM family, and every gate of GATE_ORDER[cell] after its non-linearity (f, i, g, o; z, r, n;
   * for the RNN 'a' is the pre-activation).
   */
  values: Record<string, Float32Array>;
  /** ∂L/∂h_t for every t (total derivative of the batch loss), [T, H]. */
  dh: Float32Array;
  /** ∂L/∂c_t for every t, [T, H]; LSTM family only. */
  dc?: Float32Array;
  /** ‖∂L/∂h_t‖₂ per timestep, [T]. */
  dhNorm: Float32Array;
  /** ‖∂L/∂c_t‖₂ per timestep, [T]; LSTM family only. */
  dcNorm?: Float32Array;
  /** Gradient reach: ‖∂ℓ_τ/∂h_t‖₂ for t ≤ τ (τ = TraceSnapshot.reachFrom), 0 after τ, [T]. */
  reachH: Float32Array;
  /** ‖∂ℓ_τ/∂c_t‖₂ for t ≤ τ, [T]; LSTM family only. */
  reachC?: Float32Array;
  /** Largest singular value of ∂(h_t,c_t)/∂(h_{t-1},c_{t-1}) per timestep (t = 0 uses the initial state), [T]. */
  jacobianSigma?: Float32Array;
  /**
   * Largest singular value of the product J_τ ⋯ J_{τ-k+1} for lag k = jacobianLags[j], [L].
   */
  jacobianLagSigma?: Float32Array;
  /** The lags of jacobianLagSigma. */
  jacobianLags?: Int32Array;
  /** How many of jacobianSigma and jacobianLagSigma missed the iteration tolerance (lower bounds); absent when none did. */
  jacobianUnconverged?: number;
  /** Per unit and gate: fraction of timesteps with the gate < 0.1 and > 0.9, each [H]. */
  saturation: Record<string, { low: Float32Array; high: Float32Array }>;
}

/**
 * The model's output for the traced sample, y_t = h_t·W + b from the top layer's recorded h_t and
 * the read-out weights of the same pass (src/core/prediction.ts). `mask` [T] is 1 where the step
 * bears a loss (the adding and recall tasks score the last step only).
 */
export type TracePrediction =
  /** Numeric targets (CSV, adding): predicted y_t and target, each [T, outputs]. */
  | { kind: 'values'; outputs: number; predicted: Float32Array; target: Float32Array; mask: Float32Array }
  /**
   * Token targets (text, copy, recall): the target token [T], the probability softmax(y_t) gives
   * it [T], and the most probable token [T] with its probability [T].
   */
  | { kind: 'tokens'; target: Int32Array; targetProb: Float32Array; top: Int32Array; topProb: Float32Array; mask: Float32Array };

/** A full per-timestep recording of the traced sample(s) at one optimisation step. */
export interface TraceSnapshot {
  step: number;
  /** Batch index of the traced sample. */
  sample: number;
  cell: CellKind;
  /** Sequence length T. */
  steps: number;
  /** Input token ids per timestep [T] (token tasks), or null for numeric input. */
  tokens: Int32Array | null;
  /** Input values per timestep [T, inputSize] for numeric input, or null. */
  inputs: Float32Array | null;
  /** Per-timestep loss ℓ_t of this sample (0 where the step bears no loss), [T]. */
  stepLoss: Float32Array;
  /** τ: the timestep whose loss is traced back for the gradient reach. */
  reachFrom: number;
  /**
   * Text data: the character (code point of the line-end-normalised text) the traced sample's
   * timestep 0 reads, so t maps to a place in the data file (the debugger's call stack).
   */
  textStart?: number;
  layers: LayerTrace[];
  /** The model's predictions for this sample; absent when the top layer is not traced, and in run folders written before it existed. */
  prediction?: TracePrediction;
}

/**
 * 'interrupted': the editor that started the run went away (window closed or reloaded, extension
 * host ended) and the trainer ended with it; what it recorded is kept.
 */
export const RUN_STATES = ['starting', 'running', 'paused', 'completed', 'stopped', 'interrupted', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** What a run is, where it runs and how it ended (status.json in the run folder). */
export interface RunStatus {
  id: string;
  name: string;
  state: RunState;
  /** Last completed optimisation step. */
  step: number;
  backend?: BackendName;
  /**
   * What does the work, in words: "GPU · <adapter> · Vulkan (WebGPU)", "CPU · fused LSTM · <GEMM>",
   * "CPU · op-by-op · wasm". The one place every view shows as the backend.
   */
  computePath?: string;
  /** Why the other backends were not used, e.g. { tensorflow: 'not installed' }. */
  backendSkipped?: Partial<Record<BackendName, string>>;
  versions?: Record<string, string>;
  /** For failed/stopped runs: the reason, in words. */
  reason?: string;
  /** Problems that did not stop the run, e.g. a run folder that could not be written. */
  warnings?: string[];
  /** Vocabulary of token data (index → character/symbol), when there is one. */
  vocabulary?: string[];
  /** Analytic baseline loss of the task, when it has one (adding: 1/6, copy: 10·ln8/(T+20)). */
  baseline?: number;
  startedAt: number;
  updatedAt: number;
  /** The trainer's process id while it runs: tells a live run of another window from one cut short. */
  pid?: number;
  spec: RunSpec;
}

/** Bytes held by the typed arrays of a value (walks plain objects and arrays). */
export { typedBytes } from './typedArrays';
