// The experiment description ("RunSpec") shared by the CLI, the trainer, the extension host
// and the `*.rnn.json` schema. Plain data, JSON-serialisable, no tfjs and no vscode imports.

/** Recurrent cell kinds. The LSTM variants are the lecture's simplifications. */
export const CELL_KINDS = [
  'lstm',
  'gru',
  'rnn',
  'lstm-no-output-gate',
  'lstm-no-input-gate',
  'lstm-forget-only',
] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * Gate blocks of each cell, in the column order of its weight matrices (one block of H columns
 * per entry). This is THE gate order: weights on disk, traces and the UI all follow it.
 * LSTM blocks are the pre-activations f̄, ī, ḡ, ō of the lecture. GRU: z (update), r (reset),
 * n (candidate). RNN: a (pre-activation).
 */
export const GATE_ORDER: Readonly<Record<CellKind, readonly string[]>> = {
  lstm: ['f', 'i', 'g', 'o'],
  'lstm-no-output-gate': ['f', 'i', 'g'],
  'lstm-no-input-gate': ['f', 'g', 'o'],
  'lstm-forget-only': ['f', 'g'],
  gru: ['z', 'r', 'n'],
  rnn: ['a'],
};

/** Whether the cell has a separate cell state c (LSTM family) or only h (GRU, RNN). */
/** Gates that go through a sigmoid: their saturation (< 0.1, > 0.9) is meaningful; g, n and a are tanh / pre-activations. */
export const SIGMOID_GATES: ReadonlySet<string> = new Set(['f', 'i', 'o', 'z', 'r']);

export function hasCellState(cell: CellKind): boolean {
  return cell.startsWith('lstm');
}

export const BACKENDS = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export type Activation = 'tanh' | 'relu';
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/** Where the sequences come from. */
export type DataSpec =
  | {
      /** Character-level language modelling on a UTF-8 text file. */
      kind: 'text';
      /** Path of the file (relative paths resolve against the spec file's folder or the cwd). */
      path: string;
      /** Refuse files larger than this many bytes. */
      maxBytes?: number;
    }
  | {
      /** Next-value regression on numeric columns of a CSV file. */
      kind: 'csv';
      path: string;
      /** Column names or 0-based indices to use; default: every numeric column. */
      columns?: (string | number)[];
      maxBytes?: number;
    }
  | {
      /** Adding problem (Hochreiter & Schmidhuber 1997, [0,1] version): baseline MSE 1/6. */
      kind: 'adding';
      /** Sequence length T. */
      length: number;
    }
  | {
      /** Copy memory task (Arjovsky et al. 2016): 10 symbols, T blanks, recall. Baseline 10·ln8/(T+20). */
      kind: 'copy';
      /** Delay T (the sequence is T + 20 long). */
      length: number;
    }
  | {
      /** Delayed recall: the token shown at step `recallFrom` must be output at the last step. */
      kind: 'delayed-recall';
      /** Sequence length T. */
      length: number;
      /** 0-based step whose token must be recalled (default 0). */
      recallFrom?: number;
      /** Number of distinct tokens to recall (default 8). */
      symbols?: number;
    };

export interface ModelSpec {
  cell: CellKind;
  hiddenSize: number;
  /** Stacked recurrent layers, 1–3. */
  layers: number;
  /** Token input: 0 means one-hot, > 0 an embedding of that width. Ignored for numeric data. */
  embeddingSize: number;
  /** LSTM family: initial forget-gate bias (Gers et al. 2000 recommend 1). */
  forgetBias: number;
  /** LSTM family: chrono initialisation (Tallec & Ollivier 2018) for the expected range of dependencies. */
  chronoInit: boolean;
  /** LSTM family: activation of c in h = o ⊙ act(c). */
  cellActivation: Activation;
  /** LSTM family: activation of the candidate g. */
  candidateActivation: Activation;
  /** Vanilla RNN: tanh, or relu with identity recurrent init (Le et al. 2015). */
  rnnActivation: Activation;
}

export interface TrainSpec {
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  /** Truncated-BPTT window for text/CSV; the task length for synthetic tasks. */
  seqLength: number;
  /** Number of optimisation steps. */
  steps: number;
  /** Clip the global gradient norm to this value; null = no clipping. */
  clipNorm: number | null;
  /** Text/CSV: carry the hidden state between consecutive windows. */
  carryState: boolean;
  /** Fraction of the data (or of generated sequences) held out for validation. */
  validationFraction: number;
  /** Evaluate the validation loss every this many steps. */
  validateEvery: number;
}

export interface TraceSpec {
  /** Batch indices whose states, gates and per-step gradients are recorded. */
  samples: number[];
  /** Layers to record (default: all). */
  layers?: number[];
  /** Record a full trace snapshot every this many steps (and at the first and last step). */
  every: number;
  /** Step whose loss is traced back for the gradient reach; -1 = the last step. */
  reachFrom: number;
  /** Compute Jacobian spectra (costs O(T·H²) per snapshot). */
  jacobian: boolean;
}

export interface RunSpec {
  /** Human name of the run; defaults to a description of cell and data. */
  name?: string;
  data: DataSpec;
  model: ModelSpec;
  train: TrainSpec;
  trace: TraceSpec;
  /** 'auto' tries a hardware WebGPU adapter → tensorflow-gpu → tensorflow → wasm → cpu (never a software adapter); 'webgpu' also accepts a software adapter. */
  backend: BackendName | 'auto';
  /** Seeds data generation, splits, initialisation and batching. */
  seed: number;
}
