// The experiment description ("RunSpec") shared by the CLI, the trainer, the extension host
// and the webview: cell kinds, gate order and backends. Plain data, no tfjs and no vscode imports.

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

// The spec's types come from its one schema (./specSchema.ts), which also gives its defaults,
// its checks and the JSON Schema; type-only here, so the webview bundle does not carry zod.
export type {
  Activation,
  DataSpec,
  ModelSpec,
  OptimizerName,
  RunSpec,
  TraceSpec,
  TrainSpec,
} from './specSchema';
