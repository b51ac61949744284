// Turns whatever a user wrote in a `*.rnn.json` file, a CLI command line or a settings form into
// a complete, checked RunSpec: the per-field checks and defaults come from the one schema
// (protocol/specSchema.ts); this file words its problems, checks the rules that join two fields
// and resolves data paths.

import * as path from 'node:path';
import type * as z from 'zod';
import type { DataSpec, ModelSpec, RunSpec, TraceSpec, TrainSpec } from '../protocol/spec';
import { DATA_VARIANTS, ModelSchema, RunSpecSchema, showValue, TraceSchema, TrainSchema } from '../protocol/specSchema';

export { ACTIVATIONS, DATA_KINDS, DEFAULT_MAX_BYTES, LIMITS, OPTIMIZERS } from '../protocol/specSchema';

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

/** Defaults of the model (why each: see ModelSchema): a classic LSTM as in the lecture. */
export function defaultModelSpec(): ModelSpec {
  return ModelSchema.parse({});
}

/** Defaults of the optimisation (why each: see TrainSchema). */
export function defaultTrainSpec(): TrainSpec {
  return TrainSchema.parse({});
}

/** Defaults of the recording (why each: see TraceSchema). */
export function defaultTraceSpec(): TraceSpec {
  return TraceSchema.parse({});
}

/** The spec of an empty `*.rnn.json`: the adding problem at T = 50, which needs no user data. */
export function defaultSpec(): RunSpec {
  return resolveSpec({});
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

type Path = readonly PropertyKey[];
/** A spec whose every field passed its own check, with defaults filled in (the data ones too). */
type CheckedSpec = Omit<z.output<typeof RunSpecSchema>, '$schema'>;

/** ['trace', 'samples', 0] → 'trace.samples[0]'; the whole spec is '(spec)'. */
function dotted(p: Path): string {
  if (p.length === 0) return '(spec)';
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

const quoted = (options: readonly unknown[]): string => options.map((o) => `'${String(o)}'`).join(', ');

/** Words each problem zod finds the way the rest of RNN Debugger speaks: what the field must be, and what it got. */
const specMessage: z.core.$ZodErrorMap = (iss) => {
  const got = `got ${showValue(iss.input)}`;
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required';
      switch (iss.expected) {
        case 'int':
          return typeof iss.input === 'number' && Number.isFinite(iss.input) ? `must be a whole number, ${got}` : `must be a finite number, ${got}`;
        case 'number':
          return `must be a finite number, ${got}`;
        case 'boolean':
          return `must be true or false, ${got}`;
        case 'string':
          return `must be a non-empty string, ${got}`;
        case 'object':
          return `must be an object, ${got}`;
        default:
          return `must be ${String(iss.expected)}, ${got}`;
      }
    case 'too_small':
      return iss.inclusive === false ? `must be greater than ${iss.minimum}, ${got}` : `must be at least ${iss.minimum}, ${got}`;
    case 'too_big':
      return iss.inclusive === false ? `must be less than ${iss.maximum}, ${got}` : `must be at most ${iss.maximum}, ${got}`;
    case 'invalid_value':
      return `must be one of ${quoted(iss.values)}, ${got}`;
    case 'invalid_format':
      // The schema's only pattern is \S (names and paths must not be blank).
      return `must be a non-empty string, ${got}`;
    case 'invalid_union': {
      // A data object whose kind is missing or names no data kind.
      if (!('discriminator' in iss) || !Array.isArray(iss.options)) return undefined;
      const kind = (iss.input as Record<string, unknown> | undefined)?.kind;
      return kind === undefined ? `is required (one of ${quoted(iss.options)})` : `must be one of ${quoted(iss.options)}, got ${showValue(kind)}`;
    }
    case 'unrecognized_keys':
      return 'unknown field'; // one issue per key, with the fields it could be: specIssues
    default:
      return undefined;
  }
};

/** The fields an object of the spec may have, for the "unknown field" message. */
function knownFields(p: Path, input: unknown): string[] {
  const at = dotted(p);
  if (at === '(spec)') return Object.keys(RunSpecSchema.shape);
  if (at === 'model') return Object.keys(ModelSchema.shape);
  if (at === 'train') return Object.keys(TrainSchema.shape);
  if (at === 'trace') return Object.keys(TraceSchema.shape);
  if (at === 'data') {
    const kind = (input as { data?: { kind?: unknown } }).data?.kind;
    const variant = DATA_VARIANTS[kind as keyof typeof DATA_VARIANTS] as (typeof DATA_VARIANTS)[keyof typeof DATA_VARIANTS] | undefined;
    if (variant) return Object.keys(variant.shape);
  }
  return [];
}

function specIssues(issue: z.core.$ZodIssue, input: unknown): SpecIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const expected = knownFields(issue.path, input).filter((k) => k !== '$schema');
    return issue.keys.map((k) => ({ path: dotted([...issue.path, k]), message: `unknown field (expected one of: ${expected.join(', ')})` }));
  }
  return [{ path: dotted(issue.path), message: issue.message }];
}

/** A problem of a rule that joins fields, with the fields it reads (a problem is only told when they are all valid). */
interface CrossIssue extends SpecIssue {
  reads: readonly string[];
}

/**
 * Rules that join two fields. They compare valid values only: a bound such as train.batchSize has
 * to be a number before trace.samples can be compared with it (see resolveSpec).
 */
function crossFieldIssues(spec: CheckedSpec): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const { data, train, trace, model } = spec;
  if (data.kind === 'delayed-recall' && data.recallFrom >= data.length) {
    issues.push({ path: 'data.recallFrom', reads: ['data'], message: `must be a step before the end of the sequence (< data.length = ${data.length}), got ${data.recallFrom}` });
  }
  const below = (values: number[] | undefined, p: string, limit: number, limitName: string): void =>
    values?.forEach((x, i) => {
      if (x >= limit) issues.push({ path: `${p}[${i}]`, reads: [p, limitName], message: `must be less than ${limitName} (${limit}), got ${x}` });
    });
  below(trace.samples, 'trace.samples', train.batchSize, 'train.batchSize');
  below(trace.layers, 'trace.layers', model.layers, 'model.layers');
  if (trace.reachFrom >= train.seqLength) {
    issues.push({ path: 'trace.reachFrom', reads: ['trace.reachFrom', 'train.seqLength', 'data'], message: `must be -1 (last step) or a step below the sequence length ${train.seqLength}, got ${trace.reachFrom}` });
  }
  return issues;
}

/**
 * The input without the fields that failed their own check (unknown fields dropped, bad values
 * left to their defaults), so the rules that join valid fields can still be told in the same pass.
 */
function withoutBadFields(input: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(input) as Record<PropertyKey, unknown>;
  for (const issue of issues) {
    const parentPath = issue.code === 'unrecognized_keys' ? issue.path : issue.path.slice(0, -1);
    const parent = parentPath.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), copy);
    if (!parent || typeof parent !== 'object') continue;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : issue.path.slice(-1);
    for (const k of keys) delete (parent as Record<PropertyKey, unknown>)[k];
  }
  return copy;
}

/** The spec's fields resolved: absolute data paths, the tasks' own sequence length. */
function resolvedFields(parsed: z.output<typeof RunSpecSchema>, baseDir: string | undefined): CheckedSpec {
  const { $schema: _schemaUrl, ...spec } = parsed;
  if (spec.data.kind === 'text' || spec.data.kind === 'csv') {
    spec.data = { ...spec.data, path: path.resolve(baseDir ?? process.cwd(), spec.data.path) };
  }
  // Synthetic tasks fix their own length; the window only applies to files.
  spec.train.seqLength = sequenceLengthOf(spec.data, spec.train.seqLength);
  return spec;
}

/**
 * Fills every missing field with its default and checks every field. Relative data paths are
 * resolved against `opts.baseDir` (the spec file's folder) or the current directory, so the
 * returned spec names absolute paths. Throws SpecError listing every problem.
 */
export function resolveSpec(input: unknown, opts: { baseDir?: string } = {}): RunSpec {
  const parsed = RunSpecSchema.safeParse(input, { error: specMessage });
  if (!parsed.success) {
    const fieldIssues = parsed.error.issues.flatMap((i) => specIssues(i, input));
    // The rules joining fields that are all valid are told too: every problem in one pass.
    const rest = RunSpecSchema.safeParse(withoutBadFields(input, parsed.error.issues));
    const bad = fieldIssues.map((i) => i.path);
    const related = (read: string, p: string): boolean => p === read || p.startsWith(`${read}.`) || p.startsWith(`${read}[`) || read.startsWith(`${p}.`);
    const cross = rest.success ? crossFieldIssues(resolvedFields(rest.data, opts.baseDir)).filter((c) => !c.reads.some((r) => bad.some((p) => related(r, p)))) : [];
    throw new SpecError([...fieldIssues, ...cross.map(({ path: p, message }) => ({ path: p, message }))]);
  }
  const spec = resolvedFields(parsed.data, opts.baseDir);
  const issues = crossFieldIssues(spec);
  if (issues.length) throw new SpecError(issues.map(({ path: p, message }) => ({ path: p, message })));
  return spec;
}

// #endregion
