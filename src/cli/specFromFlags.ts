// The spec a `train` command line describes: the spec file (if any) with the flags on top, checked by resolveSpec.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunSpec } from '../protocol/spec';
import { resolveSpec } from '../core/spec';
import { num, str, UsageError, type Flags } from './flags';

type Obj = Record<string, unknown>;

/** The spec a `train` command line describes: the spec file (if any) with the flags on top. */
export function specFromFlags(flags: Flags, cwd: string): { spec: RunSpec; baseDir: string } {
  let raw: Obj = {};
  let baseDir = cwd;
  const specFile = str(flags, 'spec');
  if (specFile) {
    const file = path.resolve(cwd, specFile);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the spec file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Obj;
    } catch (e) {
      throw new UsageError(`the spec file ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`the spec file ${file} must hold a JSON object`);
    baseDir = path.dirname(file);
  }
  const sub = (k: string): Obj => {
    const v = raw[k];
    const o: Obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(v as Obj) } : {};
    raw[k] = o;
    return o;
  };
  const data = str(flags, 'data');
  const task = str(flags, 'task');
  if (data && task) throw new UsageError('give either --data or --task, not both');
  const seq = num(flags, 'seq');
  if (data) {
    // Paths on the command line are relative to the current folder, not to the spec file.
    raw.data = { kind: /\.csv$/i.test(data) ? 'csv' : 'text', path: path.resolve(cwd, data) };
  } else if (task) {
    if (!['adding', 'copy', 'delayed-recall'].includes(task)) throw new UsageError(`--task must be adding, copy or delayed-recall, got '${task}'`);
    const prev = raw.data as Obj | undefined;
    raw.data = { kind: task, length: seq ?? (prev && prev.kind === task ? prev.length : undefined) ?? 50 };
  }
  const dataKind = (raw.data as Obj | undefined)?.kind;
  const isTask = dataKind === undefined || ['adding', 'copy', 'delayed-recall'].includes(String(dataKind));
  if (seq !== undefined && isTask && !task) sub('data').length = seq;
  const model = sub('model');
  const train = sub('train');
  const trace = sub('trace');
  if (flags.cell !== undefined) model.cell = str(flags, 'cell');
  if (flags.hidden !== undefined) model.hiddenSize = num(flags, 'hidden');
  if (flags.layers !== undefined) model.layers = num(flags, 'layers');
  if (flags.steps !== undefined) train.steps = num(flags, 'steps');
  if (flags.lr !== undefined) train.learningRate = num(flags, 'lr');
  if (flags.optimizer !== undefined) train.optimizer = str(flags, 'optimizer');
  if (flags.batch !== undefined) train.batchSize = num(flags, 'batch');
  if (seq !== undefined && !isTask) train.seqLength = seq;
  const clip = str(flags, 'clip');
  if (clip !== undefined) train.clipNorm = clip === 'none' ? null : num(flags, 'clip');
  if (flags['trace-every'] !== undefined) trace.every = num(flags, 'trace-every');
  if (flags.backend !== undefined) raw.backend = str(flags, 'backend');
  if (flags.seed !== undefined) raw.seed = num(flags, 'seed');
  if (flags.name !== undefined) raw.name = str(flags, 'name');
  if (raw.data === undefined) raw.data = { kind: 'adding', length: 50 };
  return { spec: resolveSpec(raw, { baseDir }), baseDir };
}
