// RunSpec defaults and validation: turns whatever a user wrote in a `*.rnn.json` file, a CLI
// command line or a settings form into a complete, checked RunSpec, and describes the same rules
// as a JSON Schema for the editor.

import * as path from 'node:path';
import {
  BACKENDS,
  CELL_KINDS,
  type BackendName,
  type DataSpec,
  type ModelSpec,
  type RunSpec,
  type TraceSpec,
  type TrainSpec,
} from '../protocol/spec';

/** One problem found in a spec: `path` is the dotted field name (e.g. 'train.learningRate'). */
export interface SpecIssue {
  path: string;
  message: string;
}

/** A spec that cannot be used; `issues` names every field that is wrong and why. */
export class SpecError extends Error {
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[]) {
    super(
      issues.length === 1
        ? `Invalid run spec: ${issues[0].path}: ${issues[0].message}`
        : `Invalid run spec (${issues.length} problems):\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'),
    );
    this.name = 'SpecError';
    this.issues = issues;
  }
}

export const DATA_KINDS = ['text', 'csv', 'adding', 'copy', 'delayed-recall'] as const;
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export const ACTIVATIONS = ['tanh', 'relu'] as const;

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

/** Defaults of the model: a classic LSTM as in the lecture. */
export function defaultModelSpec(): ModelSpec {
  return {
    cell: 'lstm', // the lecture's default cell; the variants are opt-in comparisons
    hiddenSize: 64, // big enough for the long-memory tasks, small enough to train live on 2 cores
    layers: 1, // one layer keeps every gate of every unit visible in one heatmap
    embeddingSize: 0, // one-hot input: each input column maps to one character, easiest to read
    forgetBias: 1, // Gers et al. (2000): start by remembering so gradients reach far back
    chronoInit: false, // chrono init (Tallec & Ollivier 2018) is a deliberate experiment, not the baseline
    cellActivation: 'tanh', // the lecture's convention h = o ⊙ tanh(c)
    candidateActivation: 'tanh', // g = tanh(ḡ), the convention
    rnnActivation: 'tanh', // the textbook vanilla RNN; relu + identity init is the Le et al. variant
  };
}

/** Defaults of the optimisation. */
export function defaultTrainSpec(): TrainSpec {
  return {
    optimizer: 'adam', // robust to the learning-rate choice, the usual choice for RNNs
    learningRate: 0.003, // a bit above Adam's 1e-3: small models on short runs learn visibly sooner
    batchSize: 32, // enough samples for a stable gradient, cheap enough for ~1 step/s on wasm
    seqLength: 100, // truncated-BPTT window for text: long enough to span a sentence or a bracket pair
    steps: 1000, // a few minutes on wasm: long enough for the loss curve to bend
    clipNorm: 1, // the lecture: RNNs need clipping; 1 keeps Adam's steps sane when gradients explode
    carryState: true, // text windows continue each other, so the state can carry context across them
    validationFraction: 0.1, // the last 10 % of a text (or a fixed held-out set of generated tasks)
    validateEvery: 50, // often enough to draw a validation curve, rare enough to cost < 5 % of the time
  };
}

/** Defaults of the recording. */
export function defaultTraceSpec(): TraceSpec {
  return {
    samples: [0], // one traced sample is what the heatmaps and the inspector show
    every: 25, // ~40 snapshots over the default 1000 steps: a smooth scrubber without slowing training
    reachFrom: -1, // trace the gradient back from the last step, where the task's loss sits
    jacobian: true, // the spectra are one of the main views; O(T·H²) is cheap at H = 64
  };
}

/**
 * The built-in experiment that needs no user data: the adding problem at T = 50, the classic
 * long-memory test (baseline MSE 1/6) that a vanilla RNN fails and an LSTM solves.
 */
export function defaultSpec(): RunSpec {
  const data: DataSpec = { kind: 'adding', length: 50 };
  return {
    data,
    model: defaultModelSpec(),
    train: { ...defaultTrainSpec(), seqLength: sequenceLengthOf(data, 100) },
    trace: defaultTraceSpec(),
    backend: 'auto', // the fastest backend that loads: a hardware WebGPU adapter → tensorflow-gpu → tensorflow → wasm → cpu
    seed: 1, // any fixed number: the same spec gives the same run
  };
}

/** The sequence length a data spec implies: the task's length, or the BPTT window for files. */
export function sequenceLengthOf(data: DataSpec, seqLength: number): number {
  switch (data.kind) {
    case 'adding':
    case 'delayed-recall':
      return data.length;
    case 'copy':
      return data.length + 20; // 10 symbols, T−1 blanks, the delimiter, 10 recall steps
    default:
      return seqLength;
  }
}

/** A short human name for a run, e.g. "lstm · adding T=50". */
export function describeSpec(spec: RunSpec): string {
  const d = spec.data;
  const data = d.kind === 'text' || d.kind === 'csv' ? path.basename(d.path) : `${d.kind} T=${d.length}`;
  return `${spec.model.cell}${spec.model.layers > 1 ? `×${spec.model.layers}` : ''} H=${spec.model.hiddenSize} · ${data}`;
}

// #region validation

type Obj = Record<string, unknown>;

class Checker {
  readonly issues: SpecIssue[] = [];
  fail(p: string, message: string): void {
    this.issues.push({ path: p, message });
  }
  /** Rejects fields the schema does not know, which are almost always typos. */
  known(o: Obj, p: string, keys: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) this.fail(join(p, k), `unknown field (expected one of: ${keys.join(', ')})`);
    }
  }
  object(v: unknown, p: string): Obj | null {
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(p, `must be an object, got ${show(v)}`);
      return null;
    }
    return v as Obj;
  }
  number(v: unknown, p: string, def: number, opts: { int?: boolean; min?: number; max?: number; exclusiveMin?: number; exclusiveMax?: number }): number {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(p, `must be a finite number, got ${show(v)}`);
      return def;
    }
    if (opts.int && !Number.isInteger(v)) this.fail(p, `must be a whole number, got ${v}`);
    else if (opts.min !== undefined && v < opts.min) this.fail(p, `must be at least ${opts.min}, got ${v}`);
    else if (opts.max !== undefined && v > opts.max) this.fail(p, `must be at most ${opts.max}, got ${v}`);
    else if (opts.exclusiveMin !== undefined && v <= opts.exclusiveMin) this.fail(p, `must be greater than ${opts.exclusiveMin}, got ${v}`);
    else if (opts.exclusiveMax !== undefined && v >= opts.exclusiveMax) this.fail(p, `must be less than ${opts.exclusiveMax}, got ${v}`);
    return v;
  }
  oneOf<T extends string>(v: unknown, p: string, def: T, options: readonly T[]): T {
    if (v === undefined) return def;
    if (typeof v !== 'string' || !options.includes(v as T)) {
      this.fail(p, `must be one of ${options.map((o) => `'${o}'`).join(', ')}, got ${show(v)}`);
      return def;
    }
    return v as T;
  }
  bool(v: unknown, p: string, def: boolean): boolean {
    if (v === undefined) return def;
    if (typeof v !== 'boolean') {
      this.fail(p, `must be true or false, got ${show(v)}`);
      return def;
    }
    return v;
  }
  string(v: unknown, p: string): string {
    if (typeof v !== 'string' || v.trim() === '') {
      this.fail(p, v === undefined ? 'is required' : `must be a non-empty string, got ${show(v)}`);
      return '';
    }
    return v;
  }
}

function join(p: string, k: string | number): string {
  return typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${k}` : k;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const DATA_KEYS: Record<DataSpec['kind'], readonly string[]> = {
  text: ['kind', 'path', 'maxBytes'],
  csv: ['kind', 'path', 'columns', 'maxBytes'],
  adding: ['kind', 'length'],
  copy: ['kind', 'length'],
  'delayed-recall': ['kind', 'length', 'recallFrom', 'symbols'],
};

function checkData(c: Checker, raw: unknown, baseDir: string): DataSpec {
  const fallback = defaultSpec().data;
  const o = c.object(raw, 'data');
  if (!o) return fallback;
  if (raw === undefined) return fallback;
  const kind = c.oneOf(o.kind, 'data.kind', 'adding', DATA_KINDS);
  if (o.kind === undefined) c.fail('data.kind', `is required (one of ${DATA_KINDS.map((k) => `'${k}'`).join(', ')})`);
  c.known(o, 'data', DATA_KEYS[kind]);
  const [lo, hi] = LIMITS.taskLength;
  switch (kind) {
    case 'text':
    case 'csv': {
      const p = c.string(o.path, 'data.path');
      const maxBytes = c.number(o.maxBytes, 'data.maxBytes', DEFAULT_MAX_BYTES, { int: true, min: 1 });
      const abs = p ? path.resolve(baseDir, p) : p;
      if (kind === 'text') return { kind, path: abs, maxBytes };
      let columns: (string | number)[] | undefined;
      if (o.columns !== undefined) {
        if (!Array.isArray(o.columns) || o.columns.length === 0) c.fail('data.columns', `must be a non-empty array of column names or 0-based indices, got ${show(o.columns)}`);
        else {
          columns = o.columns as (string | number)[];
          o.columns.forEach((col: unknown, i) => {
            const ok = (typeof col === 'string' && col !== '') || (typeof col === 'number' && Number.isInteger(col) && col >= 0);
            if (!ok) c.fail(join('data.columns', i), `must be a column name or a 0-based index, got ${show(col)}`);
          });
        }
      }
      return columns ? { kind, path: abs, columns, maxBytes } : { kind, path: abs, maxBytes };
    }
    case 'adding':
    case 'copy': {
      if (o.length === undefined) c.fail('data.length', 'is required (the sequence length T)');
      return { kind, length: c.number(o.length, 'data.length', 50, { int: true, min: lo, max: hi }) };
    }
    case 'delayed-recall': {
      if (o.length === undefined) c.fail('data.length', 'is required (the sequence length T)');
      const length = c.number(o.length, 'data.length', 50, { int: true, min: lo, max: hi });
      const recallFrom = c.number(o.recallFrom, 'data.recallFrom', 0, { int: true, min: 0 });
      if (recallFrom >= length) c.fail('data.recallFrom', `must be a step before the end of the sequence (< data.length = ${length}), got ${recallFrom}`);
      const symbols = c.number(o.symbols, 'data.symbols', 8, { int: true, min: LIMITS.symbols[0], max: LIMITS.symbols[1] });
      return { kind, length, recallFrom, symbols };
    }
  }
}

const MODEL_KEYS = Object.keys(defaultModelSpec());
const TRAIN_KEYS = Object.keys(defaultTrainSpec());
const TRACE_KEYS = [...Object.keys(defaultTraceSpec()), 'layers'];
const TOP_KEYS = ['$schema', 'name', 'data', 'model', 'train', 'trace', 'backend', 'seed'];

function checkModel(c: Checker, raw: unknown): ModelSpec {
  const d = defaultModelSpec();
  const o = c.object(raw, 'model');
  if (!o) return d;
  c.known(o, 'model', MODEL_KEYS);
  return {
    cell: c.oneOf(o.cell, 'model.cell', d.cell, CELL_KINDS),
    hiddenSize: c.number(o.hiddenSize, 'model.hiddenSize', d.hiddenSize, { int: true, min: LIMITS.hiddenSize[0], max: LIMITS.hiddenSize[1] }),
    layers: c.number(o.layers, 'model.layers', d.layers, { int: true, min: LIMITS.layers[0], max: LIMITS.layers[1] }),
    embeddingSize: c.number(o.embeddingSize, 'model.embeddingSize', d.embeddingSize, { int: true, min: LIMITS.embeddingSize[0], max: LIMITS.embeddingSize[1] }),
    forgetBias: c.number(o.forgetBias, 'model.forgetBias', d.forgetBias, { min: -10, max: 10 }),
    chronoInit: c.bool(o.chronoInit, 'model.chronoInit', d.chronoInit),
    cellActivation: c.oneOf(o.cellActivation, 'model.cellActivation', d.cellActivation, ACTIVATIONS),
    candidateActivation: c.oneOf(o.candidateActivation, 'model.candidateActivation', d.candidateActivation, ACTIVATIONS),
    rnnActivation: c.oneOf(o.rnnActivation, 'model.rnnActivation', d.rnnActivation, ACTIVATIONS),
  };
}

function checkTrain(c: Checker, raw: unknown, data: DataSpec): TrainSpec {
  const d = defaultTrainSpec();
  const o = c.object(raw, 'train');
  if (!o) return d;
  c.known(o, 'train', TRAIN_KEYS);
  let clipNorm: number | null = d.clipNorm;
  if (o.clipNorm === null) clipNorm = null;
  else if (o.clipNorm !== undefined) {
    clipNorm = c.number(o.clipNorm, 'train.clipNorm', 1, { exclusiveMin: 0 });
  }
  const seqLength = c.number(o.seqLength, 'train.seqLength', d.seqLength, { int: true, min: LIMITS.seqLength[0], max: LIMITS.seqLength[1] });
  return {
    optimizer: c.oneOf(o.optimizer, 'train.optimizer', d.optimizer, OPTIMIZERS),
    learningRate: c.number(o.learningRate, 'train.learningRate', d.learningRate, { exclusiveMin: 0, max: 1e6 }),
    batchSize: c.number(o.batchSize, 'train.batchSize', d.batchSize, { int: true, min: LIMITS.batchSize[0], max: LIMITS.batchSize[1] }),
    // Synthetic tasks fix their own length; the window only applies to files.
    seqLength: sequenceLengthOf(data, seqLength),
    steps: c.number(o.steps, 'train.steps', d.steps, { int: true, min: LIMITS.steps[0], max: LIMITS.steps[1] }),
    clipNorm,
    carryState: c.bool(o.carryState, 'train.carryState', d.carryState),
    validationFraction: c.number(o.validationFraction, 'train.validationFraction', d.validationFraction, { min: 0, exclusiveMax: 1 }),
    validateEvery: c.number(o.validateEvery, 'train.validateEvery', d.validateEvery, { int: true, min: 1 }),
  };
}

function checkTrace(c: Checker, raw: unknown, model: ModelSpec, train: TrainSpec): TraceSpec {
  const d = defaultTraceSpec();
  const o = c.object(raw, 'trace');
  if (!o) return d;
  c.known(o, 'trace', TRACE_KEYS);
  const indices = (v: unknown, p: string, limit: number, what: string, limitName: string): number[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      c.fail(p, `must be an array of ${what} indices, got ${show(v)}`);
      return undefined;
    }
    v.forEach((x: unknown, i) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) c.fail(join(p, i), `must be a 0-based ${what} index, got ${show(x)}`);
      else if (x >= limit) c.fail(join(p, i), `must be less than ${limitName} (${limit}), got ${x}`);
    });
    if (new Set(v).size !== v.length) c.fail(p, 'must not repeat an index');
    return v as number[];
  };
  const samples = indices(o.samples, 'trace.samples', train.batchSize, 'batch row', 'train.batchSize') ?? d.samples;
  const layers = indices(o.layers, 'trace.layers', model.layers, 'layer', 'model.layers');
  const reachFrom = c.number(o.reachFrom, 'trace.reachFrom', d.reachFrom, { int: true, min: -1 });
  if (reachFrom >= train.seqLength) c.fail('trace.reachFrom', `must be -1 (last step) or a step below the sequence length ${train.seqLength}, got ${reachFrom}`);
  const out: TraceSpec = {
    samples,
    every: c.number(o.every, 'trace.every', d.every, { int: true, min: 1 }),
    reachFrom,
    jacobian: c.bool(o.jacobian, 'trace.jacobian', d.jacobian),
  };
  if (layers) out.layers = layers;
  return out;
}

/**
 * Fills every missing field with its default and checks every field. Relative data paths are
 * resolved against `opts.baseDir` (the spec file's folder) or the current directory, so the
 * returned spec names absolute paths. Throws SpecError listing every problem.
 */
export function resolveSpec(input: unknown, opts: { baseDir?: string } = {}): RunSpec {
  const c = new Checker();
  const o = c.object(input, '(spec)');
  if (!o) throw new SpecError(c.issues);
  c.known(o, '', TOP_KEYS);
  const baseDir = opts.baseDir ?? process.cwd();
  const data = checkData(c, o.data, baseDir);
  const model = checkModel(c, o.model);
  const train = checkTrain(c, o.train, data);
  const trace = checkTrace(c, o.trace, model, train);
  const backend = c.oneOf<BackendName | 'auto'>(o.backend, 'backend', 'auto', ['auto', ...BACKENDS]);
  const seed = c.number(o.seed, 'seed', 1, { int: true, min: 0, max: 4294967295 });
  const spec: RunSpec = { data, model, train, trace, backend, seed };
  if (o.name !== undefined) spec.name = c.string(o.name, 'name');
  if (c.issues.length) throw new SpecError(c.issues);
  return spec;
}

// #endregion

// #region JSON Schema

type Schema = Record<string, unknown>;

const int = (min: number, max?: number, description?: string): Schema => ({
  type: 'integer',
  minimum: min,
  ...(max !== undefined ? { maximum: max } : {}),
  ...(description ? { description } : {}),
});

function dataSchema(): Schema {
  const pathField = { type: 'string', minLength: 1, description: 'File path; relative paths resolve against the folder of this file.' };
  const maxBytes = int(1, undefined, `Refuse files larger than this many bytes (default ${DEFAULT_MAX_BYTES}).`);
  const length = int(LIMITS.taskLength[0], LIMITS.taskLength[1], 'Sequence length T.');
  const variant = (kind: DataSpec['kind'], description: string, properties: Schema, required: string[]): Schema => ({
    type: 'object',
    description,
    properties: { kind: { const: kind }, ...properties },
    required: ['kind', ...required],
    additionalProperties: false,
  });
  return {
    description: 'Where the sequences come from.',
    oneOf: [
      variant('text', 'Character-level language modelling on a UTF-8 text file.', { path: pathField, maxBytes }, ['path']),
      variant(
        'csv',
        'Next-value regression on numeric columns of a CSV file.',
        {
          path: pathField,
          maxBytes,
          columns: { type: 'array', minItems: 1, items: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'integer', minimum: 0 }] }, description: 'Column names or 0-based indices (default: every numeric column).' },
        },
        ['path'],
      ),
      variant('adding', 'Adding problem ([0,1] version); baseline MSE 1/6.', { length }, ['length']),
      variant('copy', 'Copy memory task; the sequence is T + 20 long; baseline 10·ln8/(T+20).', { length: { ...length, description: 'Delay T.' } }, ['length']),
      variant(
        'delayed-recall',
        'The token shown at step recallFrom must be output at the last step; baseline ln(symbols).',
        {
          length,
          recallFrom: int(0, undefined, '0-based step whose token must be recalled (default 0).'),
          symbols: int(LIMITS.symbols[0], LIMITS.symbols[1], 'Number of distinct tokens (default 8).'),
        },
        ['length'],
      ),
    ],
  };
}

/** JSON Schema (draft-07) of a `*.rnn.json` file, built from the same constants as resolveSpec. */
export function buildRunSpecJsonSchema(): Schema {
  const m = defaultModelSpec();
  const t = defaultTrainSpec();
  const tr = defaultTraceSpec();
  const act = (def: string, description: string): Schema => ({ enum: [...ACTIVATIONS], default: def, description });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'rnn-spec.schema.json',
    title: 'RNN Debugger run spec',
    description: 'An experiment for RNN Debugger: data, model, optimisation and what to record. Every field except data has a default.',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', minLength: 1, description: 'Human name of the run.' },
      data: dataSchema(),
      model: {
        type: 'object',
        additionalProperties: false,
        properties: {
          cell: { enum: [...CELL_KINDS], default: m.cell, description: 'Recurrent cell kind.' },
          hiddenSize: { ...int(LIMITS.hiddenSize[0], LIMITS.hiddenSize[1], 'Units per layer.'), default: m.hiddenSize },
          layers: { ...int(LIMITS.layers[0], LIMITS.layers[1], 'Stacked recurrent layers.'), default: m.layers },
          embeddingSize: { ...int(LIMITS.embeddingSize[0], LIMITS.embeddingSize[1], '0 = one-hot input; > 0 = embedding width.'), default: m.embeddingSize },
          forgetBias: { type: 'number', minimum: -10, maximum: 10, default: m.forgetBias, description: 'LSTM family: initial forget-gate bias.' },
          chronoInit: { type: 'boolean', default: m.chronoInit, description: 'LSTM family: chrono initialisation.' },
          cellActivation: act(m.cellActivation, 'LSTM family: activation of c in h = o ⊙ act(c).'),
          candidateActivation: act(m.candidateActivation, 'LSTM family: activation of the candidate g.'),
          rnnActivation: act(m.rnnActivation, 'Vanilla RNN activation (relu uses identity recurrent init).'),
        },
      },
      train: {
        type: 'object',
        additionalProperties: false,
        properties: {
          optimizer: { enum: [...OPTIMIZERS], default: t.optimizer },
          learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 1e6, default: t.learningRate },
          batchSize: { ...int(LIMITS.batchSize[0], LIMITS.batchSize[1]), default: t.batchSize },
          seqLength: { ...int(LIMITS.seqLength[0], LIMITS.seqLength[1], 'Truncated-BPTT window for text/CSV (synthetic tasks use their own length).'), default: t.seqLength },
          steps: { ...int(LIMITS.steps[0], LIMITS.steps[1], 'Optimisation steps.'), default: t.steps },
          clipNorm: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }], default: t.clipNorm, description: 'Clip the global gradient norm to this value; null = no clipping.' },
          carryState: { type: 'boolean', default: t.carryState, description: 'Text/CSV: carry the hidden state between consecutive windows.' },
          validationFraction: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: t.validationFraction },
          validateEvery: { ...int(1), default: t.validateEvery },
        },
      },
      trace: {
        type: 'object',
        additionalProperties: false,
        properties: {
          samples: { type: 'array', items: int(0), uniqueItems: true, default: tr.samples, description: 'Batch rows to record (each < batchSize).' },
          layers: { type: 'array', items: int(0), uniqueItems: true, description: 'Layers to record (default: all).' },
          every: { ...int(1), default: tr.every, description: 'Record a snapshot every this many steps (and at the first and last).' },
          reachFrom: { ...int(-1), default: tr.reachFrom, description: 'Step whose loss is traced back; -1 = last.' },
          jacobian: { type: 'boolean', default: tr.jacobian, description: 'Compute Jacobian spectra.' },
        },
      },
      backend: { enum: ['auto', ...BACKENDS], default: 'auto', description: "'auto' tries a hardware WebGPU adapter → tensorflow-gpu → tensorflow → wasm → cpu (never a software adapter); 'webgpu' also accepts a software adapter." },
      seed: { ...int(0, 4294967295), default: 1 },
    },
  };
}

/** The schema object (the file schemas/rnn-spec.schema.json is this, written by `npm run schema`). */
export const runSpecJsonSchema = buildRunSpecJsonSchema();

// #endregion
