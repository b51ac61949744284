// The one schema of a run spec (`*.rnn.json`, CLI flags, the Train RNN form): the TypeScript
// types, the defaults, the per-field checks and the JSON Schema the editor validates with all come
// from these zod declarations. Cross-field checks and path resolution are in core/spec.ts.

import * as z from 'zod';
import { BACKENDS, CELL_KINDS } from './spec';

/** Files above this size are refused: a char-level model on a 2-core machine will not get through more anyway. */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

/** Hard bounds that keep a run within what the machine and the trace views can hold. */
export const LIMITS = {
  hiddenSize: [1, 2048],
  layers: [1, 3],
  embeddingSize: [0, 1024],
  batchSize: [1, 1024],
  seqLength: [2, 10000],
  steps: [1, 10_000_000],
  taskLength: [2, 10000],
  symbols: [2, 64],
} as const;

export const DATA_KINDS = ['text', 'csv', 'adding', 'copy', 'delayed-recall'] as const;
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export const ACTIVATIONS = ['tanh', 'relu'] as const;

/** A value as a message shows it: short strings quoted, containers named, nothing for undefined. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const ranged = ([lo, hi]: readonly [number, number]) => z.int().min(lo).max(hi);
/** A non-blank string (JSON Schema: pattern \S). */
const nonBlank = () => z.string().regex(/\S/);
/** Distinct 0-based indices of `what` (batch rows, layers); upper bounds are cross-field checks. */
const indices = (what: string) =>
  z
    .array(z.int({ error: (iss) => `must be a 0-based ${what} index, got ${showValue(iss.input)}` }).min(0, { error: (iss) => `must be a 0-based ${what} index, got ${showValue(iss.input)}` }), {
      error: (iss) => `must be an array of ${what} indices, got ${showValue(iss.input)}`,
    })
    .refine((v) => new Set(v).size === v.length, 'must not repeat an index')
    .meta({ uniqueItems: true });

const filePath = nonBlank().describe('File path; relative paths resolve against the folder of this file.');
const maxBytes = z.int().min(1).default(DEFAULT_MAX_BYTES).describe(`Refuse files larger than this many bytes (default ${DEFAULT_MAX_BYTES}).`);
const taskLength = ranged(LIMITS.taskLength).describe('Sequence length T.');

const columnMessage = (iss: { input?: unknown }): string => `must be a column name or a 0-based index, got ${showValue(iss.input)}`;

/** One schema per data kind, keyed by kind (the variants of the `data` field). */
export const DATA_VARIANTS = {
  text: z.strictObject({ kind: z.literal('text'), path: filePath, maxBytes }).describe('Character-level language modelling on a UTF-8 text file.'),
  csv: z
    .strictObject({
      kind: z.literal('csv'),
      path: filePath,
      columns: z
        .array(z.union([z.string().min(1, { error: columnMessage }), z.int().min(0, { error: columnMessage })], { error: columnMessage }), {
          error: (iss) => `must be a non-empty array of column names or 0-based indices, got ${showValue(iss.input)}`,
        })
        .min(1, { error: () => 'must be a non-empty array of column names or 0-based indices, got an empty array' })
        .optional()
        .describe('Column names or 0-based indices (default: every numeric column).'),
      maxBytes,
    })
    .describe('Next-value regression on numeric columns of a CSV file.'),
  adding: z.strictObject({ kind: z.literal('adding'), length: taskLength }).describe('Adding problem ([0,1] version); baseline MSE 1/6.'),
  copy: z
    .strictObject({ kind: z.literal('copy'), length: ranged(LIMITS.taskLength).describe('Delay T.') })
    .describe('Copy memory task; the sequence is T + 20 long; baseline 10·ln8/(T+20).'),
  'delayed-recall': z
    .strictObject({
      kind: z.literal('delayed-recall'),
      length: taskLength,
      recallFrom: z.int().min(0).default(0).describe('0-based step whose token must be recalled (default 0).'),
      symbols: ranged(LIMITS.symbols).default(8).describe('Number of distinct tokens (default 8).'),
    })
    .describe('The token shown at step recallFrom must be output at the last step; baseline ln(symbols).'),
} as const satisfies Record<(typeof DATA_KINDS)[number], z.ZodType>;

/**
 * The built-in experiment that needs no user data: the adding problem at T = 50, the classic
 * long-memory test (baseline MSE 1/6) that a vanilla RNN fails and an LSTM solves.
 */
const DEFAULT_DATA = { kind: 'adding', length: 50 } as const;

const DataUnion = z.discriminatedUnion('kind', [DATA_VARIANTS.text, DATA_VARIANTS.csv, DATA_VARIANTS.adding, DATA_VARIANTS.copy, DATA_VARIANTS['delayed-recall']]);

const DataSchema = DataUnion.default(DEFAULT_DATA)
  .describe('Where the sequences come from (default: the adding problem at T = 50).');

const activation = (def: (typeof ACTIVATIONS)[number], description: string) => z.enum(ACTIVATIONS).default(def).describe(description);

export const ModelSchema = z.strictObject({
  // The lecture's default cell; the variants are opt-in comparisons.
  cell: z.enum(CELL_KINDS).default('lstm').describe('Recurrent cell kind.'),
  // Big enough for the long-memory tasks, small enough to train live on 2 cores.
  hiddenSize: ranged(LIMITS.hiddenSize).default(64).describe('Units per layer.'),
  // One layer keeps every gate of every unit visible in one heatmap.
  layers: ranged(LIMITS.layers).default(1).describe('Stacked recurrent layers.'),
  // One-hot input: each input column maps to one character, easiest to read.
  embeddingSize: ranged(LIMITS.embeddingSize).default(0).describe('0 = one-hot input; > 0 = embedding width. Ignored for numeric data.'),
  // Gers et al. (2000): start by remembering so gradients reach far back.
  forgetBias: z.number().min(-10).max(10).default(1).describe('LSTM family: initial forget-gate bias.'),
  // Chrono init (Tallec & Ollivier 2018) is a deliberate experiment, not the baseline.
  chronoInit: z.boolean().default(false).describe('LSTM family: chrono initialisation.'),
  // The lecture's convention h = o ⊙ tanh(c).
  cellActivation: activation('tanh', 'LSTM family: activation of c in h = o ⊙ act(c).'),
  // g = tanh(ḡ), the convention.
  candidateActivation: activation('tanh', 'LSTM family: activation of the candidate g.'),
  // The textbook vanilla RNN; relu + identity init is the Le et al. (2015) variant.
  rnnActivation: activation('tanh', 'Vanilla RNN activation (relu uses identity recurrent init).'),
});

export const TrainSchema = z.strictObject({
  // Robust to the learning-rate choice, the usual choice for RNNs.
  optimizer: z.enum(OPTIMIZERS).default('adam'),
  // A bit above Adam's 1e-3: small models on short runs learn visibly sooner.
  learningRate: z.number().gt(0).max(1e6).default(0.003),
  // Enough samples for a stable gradient, cheap enough for ~1 step/s on wasm.
  batchSize: ranged(LIMITS.batchSize).default(32),
  // Truncated-BPTT window for text: long enough to span a sentence or a bracket pair.
  seqLength: ranged(LIMITS.seqLength).default(100).describe('Truncated-BPTT window for text/CSV (synthetic tasks use their own length).'),
  // A few minutes on wasm: long enough for the loss curve to bend.
  steps: ranged(LIMITS.steps).default(1000).describe('Optimisation steps.'),
  // The lecture: RNNs need clipping; 1 keeps Adam's steps sane when gradients explode.
  clipNorm: z.number().gt(0).nullable().default(1).describe('Clip the global gradient norm to this value; null = no clipping.'),
  // Text windows continue each other, so the state can carry context across them.
  carryState: z.boolean().default(true).describe('Text/CSV: carry the hidden state between consecutive windows.'),
  // The last 10 % of a text (or a fixed held-out set of generated tasks).
  validationFraction: z.number().min(0).lt(1).default(0.1).describe('Fraction of the data (or of generated sequences) held out for validation.'),
  // Often enough to draw a validation curve, rare enough to cost < 5 % of the time.
  validateEvery: z.int().min(1).default(50).describe('Evaluate the validation loss every this many steps.'),
});

export const TraceSchema = z.strictObject({
  // One traced sample is what the heatmaps and the inspector show.
  samples: indices('batch row').default([0]).describe('Batch rows to record (each < batchSize).'),
  layers: indices('layer').optional().describe('Layers to record (default: all).'),
  // ~40 snapshots over the default 1000 steps: a smooth scrubber without slowing training.
  every: z.int().min(1).default(25).describe('Record a snapshot every this many steps (and at the first and last).'),
  // Trace the gradient back from the last step, where the task's loss sits.
  reachFrom: z.int().min(-1).default(-1).describe('Step whose loss is traced back; -1 = last.'),
  // The spectra are one of the main views; O(T·H²) is cheap at H = 64.
  jacobian: z.boolean().default(true).describe('Compute Jacobian spectra (costs O(T·H²) per snapshot).'),
});

/** A `*.rnn.json` file: every field optional, each missing one takes its default. */
export const RunSpecSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: nonBlank().optional().describe('Human name of the run; defaults to a description of cell and data.'),
    data: DataSchema,
    model: ModelSchema.prefault({}),
    train: TrainSchema.prefault({}),
    trace: TraceSchema.prefault({}),
    // The fastest backend that loads.
    backend: z
      .enum(['auto', ...BACKENDS])
      .default('auto')
      .describe("'auto' tries a hardware WebGPU adapter → tensorflow-gpu → tensorflow → wasm → cpu (never a software adapter); 'webgpu' also accepts a software adapter."),
    // Any fixed number: the same spec gives the same run.
    seed: z.int().min(0).max(4294967295).default(1).describe('Seeds data generation, splits, initialisation and batching.'),
  })
  .meta({
    title: 'RNN Debugger run spec',
    description: 'An experiment for RNN Debugger: data, model, optimisation and what to record. Every field has a default.',
  });

/**
 * Where the sequences come from, as written: a resolved spec has every default filled in, but the
 * places that build a data spec for resolveSpec (the Train RNN form, the CLI) leave them out.
 */
export type DataSpec = z.input<typeof DataUnion>;
/** A complete, checked spec (see core/spec.ts resolveSpec). */
export type RunSpec = Omit<z.output<typeof RunSpecSchema>, '$schema' | 'data'> & { data: DataSpec };
export type ModelSpec = z.output<typeof ModelSchema>;
export type TrainSpec = z.output<typeof TrainSchema>;
export type TraceSpec = z.output<typeof TraceSchema>;
export type Activation = (typeof ACTIVATIONS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** JSON Schema (draft-07) of a `*.rnn.json` file (schemas/rnn-spec.schema.json is this, written by `npm run schema`). */
export function runSpecJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(RunSpecSchema, { target: 'draft-7', io: 'input' });
  return { $schema, $id: 'rnn-spec.schema.json', ...rest };
}
