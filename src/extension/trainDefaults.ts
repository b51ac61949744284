// What "Train RNN" proposes before the user changes anything: the active file as character (or
// CSV) data if there is one, else the built-in long-memory task; plus the rows of the summary
// pick. Pure functions over RunSpec (no vscode import).

import { readFileSync, statSync } from 'node:fs';
import { extname, basename } from 'node:path';
import { defaultSpec, describeSpec, sequenceLengthOf } from '../core/spec';
import type { DataSpec, RunSpec } from '../protocol/spec';

/** Files that are never training data: binaries, the experiment files themselves. */
const NOT_DATA = /\.(rnn\.json|png|jpe?g|gif|webp|ico|pdf|zip|gz|tgz|bz2|xz|7z|jar|exe|dll|so|dylib|bin|wasm|node|class|o|a|mp[34]|wav|ogg|woff2?|ttf|otf)$/i;

/** The data spec for a file: CSV for .csv/.tsv, character-level text for any other text file. */
export function dataSpecForFile(fsPath: string): DataSpec | null {
  if (NOT_DATA.test(fsPath)) return null;
  const ext = extname(fsPath).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return { kind: 'csv', path: fsPath };
  return { kind: 'text', path: fsPath };
}

/** Whether a file is an experiment spec. */
export function isSpecFile(fsPath: string): boolean {
  return /\.rnn\.json$/i.test(fsPath);
}

/**
 * Batch size and BPTT window that fit a text of `chars` characters, starting from the defaults:
 * the training part (what validation leaves) must hold one batch of B rows × T steps plus one
 * target. Halves B down to 8, then T down to 25, then B down to 1, then T down to 8; a text too
 * short even for that keeps the last try and gets the data source's clear error.
 */
export function fitTextWindow(chars: number, batchSize: number, seqLength: number, validationFraction: number): { batchSize: number; seqLength: number } {
  let B = batchSize, T = seqLength;
  const fits = (): boolean => {
    const nVal = validationFraction > 0 ? Math.max(T + 1, Math.floor(chars * validationFraction)) : 0;
    return chars - nVal - 1 >= B * T;
  };
  const steps: [() => boolean, () => void][] = [
    [() => B > 8, () => { B = Math.max(8, Math.floor(B / 2)); }],
    [() => T > 25, () => { T = Math.max(25, Math.floor(T / 2)); }],
    [() => B > 1, () => { B = Math.max(1, Math.floor(B / 2)); }],
    [() => T > 8, () => { T = Math.max(8, Math.floor(T / 2)); }],
  ];
  for (const [can, shrink] of steps) while (!fits() && can()) shrink();
  return { batchSize: B, seqLength: T };
}

/** The spec the Train RNN flow starts from. */
export function initialSpec(activeFile: string | undefined, opts: { snapshotEvery?: number } = {}): RunSpec {
  const spec = defaultSpec();
  const data = activeFile ? dataSpecForFile(activeFile) : null;
  if (data) {
    spec.data = data;
    // Text: the BPTT window of the defaults (the task length does not apply).
    spec.train.seqLength = sequenceLengthOf(data, 100);
    if (data.kind === 'text') {
      // A short file still trains with the defaults: smaller batches and windows, not an error.
      // Only a small file can be too short (64 KB hold ≥ 16 K characters): count its code points.
      let chars = 0;
      try {
        if (statSync(data.path).size < 65_536) chars = [...readFileSync(data.path, 'utf8')].length;
      } catch { /* unreadable: the data source says why when the run starts */ }
      if (chars > 0) Object.assign(spec.train, fitTextWindow(chars, spec.train.batchSize, spec.train.seqLength, spec.train.validationFraction));
    }
  }
  if (opts.snapshotEvery && opts.snapshotEvery > 0) spec.trace.every = Math.floor(opts.snapshotEvery);
  return spec;
}

/** The data in words, for the summary row. */
export function describeData(d: DataSpec): string {
  switch (d.kind) {
    case 'text':
      return `characters of ${basename(d.path)}`;
    case 'csv':
      return `columns of ${basename(d.path)}`;
    case 'adding':
      return `adding problem, T = ${d.length}`;
    case 'copy':
      return `copy task, delay T = ${d.length}`;
    case 'delayed-recall':
      return `delayed recall, T = ${d.length}`;
  }
}

/** Which field a summary row edits. */
export type Field =
  | 'data' | 'cell' | 'hiddenSize' | 'layers' | 'seqLength' | 'batchSize' | 'steps'
  | 'optimizer' | 'learningRate' | 'clipNorm' | 'seed' | 'backend' | 'traceEvery';

export interface SummaryRow {
  field: Field;
  label: string;
  value: string;
}

/** The rows of the Train RNN summary, in the order shown. */
export function summaryRows(spec: RunSpec): SummaryRow[] {
  const isTask = spec.data.kind !== 'text' && spec.data.kind !== 'csv';
  return [
    { field: 'data', label: 'Data', value: describeData(spec.data) },
    { field: 'cell', label: 'Cell', value: spec.model.cell },
    { field: 'hiddenSize', label: 'Hidden size', value: String(spec.model.hiddenSize) },
    { field: 'layers', label: 'Layers', value: String(spec.model.layers) },
    { field: 'seqLength', label: isTask ? 'Sequence length (task T)' : 'Sequence length (BPTT window)', value: String(isTask ? (spec.data as { length: number }).length : spec.train.seqLength) },
    { field: 'batchSize', label: 'Batch size', value: String(spec.train.batchSize) },
    { field: 'steps', label: 'Steps', value: String(spec.train.steps) },
    { field: 'optimizer', label: 'Optimizer', value: spec.train.optimizer },
    { field: 'learningRate', label: 'Learning rate', value: String(spec.train.learningRate) },
    { field: 'clipNorm', label: 'Gradient clipping (global norm)', value: spec.train.clipNorm === null ? 'off' : String(spec.train.clipNorm) },
    { field: 'seed', label: 'Seed', value: String(spec.seed) },
    { field: 'backend', label: 'Backend', value: spec.backend },
    { field: 'traceEvery', label: 'Trace snapshot every', value: `${spec.trace.every} steps` },
  ];
}

/**
 * Applies one edited value (as typed) to a copy of the spec. Sequence length edits the task's
 * T for synthetic tasks and the BPTT window for files. Returns the raw candidate; the caller
 * validates it with resolveSpec.
 */
export function applyField(spec: RunSpec, field: Field, value: string): RunSpec {
  const s: RunSpec = structuredClone(spec);
  const num = Number(value.trim());
  switch (field) {
    case 'cell': s.model.cell = value as RunSpec['model']['cell']; break;
    case 'hiddenSize': s.model.hiddenSize = num; break;
    case 'layers': s.model.layers = num; break;
    case 'seqLength':
      if (s.data.kind === 'text' || s.data.kind === 'csv') s.train.seqLength = num;
      else {
        s.data.length = num;
        s.train.seqLength = sequenceLengthOf(s.data, s.train.seqLength);
      }
      break;
    case 'batchSize': s.train.batchSize = num; break;
    case 'steps': s.train.steps = num; break;
    case 'optimizer': s.train.optimizer = value as RunSpec['train']['optimizer']; break;
    case 'learningRate': s.train.learningRate = num; break;
    case 'clipNorm': s.train.clipNorm = /^(off|none|null|)$/i.test(value.trim()) ? null : num; break;
    case 'seed': s.seed = num; break;
    case 'backend': s.backend = value as RunSpec['backend']; break;
    case 'traceEvery': s.trace.every = num; break;
    case 'data': break;
  }
  return s;
}

/** The spec as a `*.rnn.json` file (the editor finds its schema through jsonValidation). */
export function specFileText(spec: RunSpec): string {
  return JSON.stringify({ name: spec.name ?? describeSpec(spec), ...spec }, null, 2) + '\n';
}
