// The debugger's runtime (mock-debug's "MockRuntime"): a trainer process driven one step at a
// time. The run starts held before step 1; each `step` message runs exactly one optimisation
// step and the trainer answers `held` once that step's metrics and snapshots are sent, so the
// session decides at every step whether to stop, and a run never gets ahead of the debugger.
// Also: the launch configuration → RunSpec, with errors naming the field. No vscode import.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { defaultSpec, resolveSpec, sequenceLengthOf, SpecError } from '../../core/spec';
import type { RunSpec } from '../../protocol/spec';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../../protocol/trace';
import { Emitter } from '../events';
import { newRunId } from '../../core/runId';
import { checkSpecText } from '../specFile';
import { dataSpecForFile, initialSpec } from '../trainDefaults';
import { finalStatusAfterExit, TrainerClient, writeStatusFile, type TrainerExit } from '../trainerClient';

/** A trainer process the debugger drives, and where its run is written. */
export interface TrainerHandle {
  client: TrainerClient;
  runId: string;
  runDir: string | null;
  /** Whether the debugger started it (Stop ends it) or attached to it (Disconnect lets it run on). */
  owned: boolean;
}

/** Where trainers come from: the extension's run manager (runs show in the views) or, in tests, plain processes. */
export interface TrainerProvider {
  /** Starts a run held before step 1. */
  launch(spec: RunSpec, baseDir: string | undefined): TrainerHandle;
  /** A live run started by Train RNN, or undefined. */
  attach?(runId: string): TrainerHandle | undefined;
}

/** Trainer processes of their own, writing run folders under `runsRoot` (the CLI and tests). */
export function standaloneProvider(opts: { trainerPath: string; wasmDir: string; runsRoot: string }): TrainerProvider {
  return {
    launch(spec, baseDir) {
      const client = new TrainerClient({ trainerPath: opts.trainerPath });
      const runId = newRunId(spec);
      const runDir = join(opts.runsRoot, runId);
      const now = Date.now();
      const initial: RunStatus = { id: runId, name: spec.name ?? runId, state: 'starting', step: 0, startedAt: now, updatedAt: now, spec };
      // As the run manager does: a trainer that died without a final status still leaves one.
      void client.whenExited().then((exit) => {
        const final = finalStatusAfterExit(exit, initial);
        if (exit.lastStatus?.state !== final.state) {
          try { writeStatusFile(runDir, final); } catch { /* the folder was never created */ }
        }
      });
      client.start({ runId, spec, runDir, baseDir, wasmDir: opts.wasmDir, limits: DEBUG_LIMITS, startPaused: true });
      return { client, runId, runDir, owned: true };
    },
  };
}

/** Stream rates under the debugger: the trainer flushes everything at each hold anyway. */
export const DEBUG_LIMITS = { metricsIntervalMs: 20, snapshotIntervalMs: 0 };

/** What the debugger keeps of one step. */
export interface StepRecord {
  metrics: MetricsRecord;
  /** The first traced sample's snapshot, when the step was traced. */
  snapshot: TraceSnapshot | null;
}

/** Steps kept in memory (all of them are in the run folder); enough for the hit history and Step Back. */
const KEEP_STEPS = 64;

export class SteppedRun {
  private readonly records = new Map<number, StepRecord>();
  private readonly _onHeld = new Emitter<number>();
  private readonly _onEnded = new Emitter<{ exit: TrainerExit; status: RunStatus | undefined }>();
  private readonly _onLog = new Emitter<string>();
  /** Fired with the last completed step each time the trainer holds (0 = before step 1). */
  readonly onHeld = this._onHeld.event;
  /** The trainer exited (completed, stopped, failed or crashed). */
  readonly onEnded = this._onEnded.event;
  readonly onLog = this._onLog.event;
  lastStatus: RunStatus | undefined;
  /** The newest step with metrics. */
  lastStep = 0;
  ended = false;

  constructor(readonly handle: TrainerHandle) {
    const { client } = handle;
    client.onMessage((m) => {
      switch (m.type) {
        case 'status': this.lastStatus = m.status; break;
        case 'metrics':
          for (const r of m.records) {
            const prev = this.records.get(r.step);
            this.records.set(r.step, { metrics: r, snapshot: prev?.snapshot ?? null });
            this.lastStep = Math.max(this.lastStep, r.step);
          }
          this.trim();
          break;
        case 'snapshot': {
          const s = m.snapshots[0];
          if (!s) break;
          const prev = this.records.get(s.step);
          // Snapshots travel after the step's metrics, both before `held`.
          if (prev) prev.snapshot = s;
          else this.records.set(s.step, { metrics: placeholderMetrics(s.step), snapshot: s });
          break;
        }
        case 'held': this._onHeld.fire(m.step); break;
        case 'log': this._onLog.fire(m.line); break;
        default: break;
      }
    });
    void client.whenExited().then((exit) => {
      this.ended = true;
      this._onEnded.fire({ exit, status: exit.lastStatus ?? this.lastStatus });
    });
  }

  get runId(): string { return this.handle.runId; }
  get runDir(): string | null { return this.handle.runDir; }

  record(step: number): StepRecord | undefined {
    return this.records.get(step);
  }

  /** Runs exactly one step (the trainer answers `held`, or ends). */
  step(): void { this.handle.client.step(); }
  /** Holds a running trainer (attach) before its next step. */
  pause(): void { this.handle.client.pause(); }
  /** Lets the trainer run freely again (detach). */
  resume(): void { this.handle.client.resume(); }
  /** Finishes the current step, writes the final status ('stopped') and ends the trainer. */
  stop(timeoutMs: number): Promise<TrainerExit> { return this.handle.client.stop(timeoutMs); }

  private trim(): void {
    if (this.records.size <= KEEP_STEPS) return;
    const keys = [...this.records.keys()].sort((a, b) => a - b);
    for (const k of keys.slice(0, keys.length - KEEP_STEPS)) this.records.delete(k);
  }
}

function placeholderMetrics(step: number): MetricsRecord {
  return { step, loss: NaN, gradNorm: NaN, gradNormClipped: NaN, clipped: false, learningRate: NaN, groupNorms: {}, seconds: 0, time: 0 };
}

// #region launch configuration
/** The `rnn` launch configuration (package.json contributes.debuggers describes the same fields). */
export interface LaunchConfig {
  /** A `*.rnn.json` experiment file. */
  spec?: string;
  /** A text or CSV file to train on with the defaults. */
  data?: string;
  /** A built-in task: adding, copy or delayed-recall. */
  task?: string;
  /** Sequence length of the built-in task. */
  length?: number;
  /** Spec fields to change, e.g. { "train": { "learningRate": 0.1 } }. */
  overrides?: Record<string, unknown>;
  /** Trace every this many steps (default 1: every step has gates and gradients to stop on). */
  traceEvery?: number;
  /** Stop before step 1. */
  stopOnEntry?: boolean;
  /** Folder relative paths resolve against. */
  cwd?: string;
}

export const LAUNCH_FIELDS = ['spec', 'data', 'task', 'length', 'overrides', 'traceEvery', 'stopOnEntry', 'cwd'] as const;
const TASKS = ['adding', 'copy', 'delayed-recall'];

/** A launch configuration that cannot be used: the message names the field. */
export class LaunchConfigError extends Error {}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}

/** Deep merge of plain objects; arrays and values replace. Only own keys; no prototype keys. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new LaunchConfigError(`launch configuration: '${path}.${k}' is not a spec field`);
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? merge(base[k] as Record<string, unknown>, v, `${path}.${k}`) : v;
  }
  return out;
}

export interface ResolvedLaunch {
  spec: RunSpec;
  baseDir: string | undefined;
  /** The spec file, when the run came from one (the step frame points at it). */
  specFile?: string;
  /** The character-level data file, when there is one (frames and source breakpoints). */
  textFile?: string;
  stopOnEntry: boolean;
}

/** Launch configuration → spec. Throws LaunchConfigError naming the bad field. */
export function resolveLaunch(raw: Record<string, unknown>): ResolvedLaunch {
  const str = (k: keyof LaunchConfig): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v.trim()) throw new LaunchConfigError(`launch configuration: '${k}' must be a non-empty string (a file path), got ${JSON.stringify(v)}`);
    return v;
  };
  const cwd = str('cwd');
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd ?? process.cwd(), p));
  const sources = (['spec', 'data', 'task'] as const).filter((k) => raw[k] !== undefined);
  if (sources.length !== 1) {
    throw new LaunchConfigError(`launch configuration: give exactly one of 'spec', 'data' or 'task'${sources.length ? ` (got ${sources.map((s) => `'${s}'`).join(' and ')})` : ''}`);
  }
  const traceEvery = raw.traceEvery ?? 1;
  if (typeof traceEvery !== 'number' || !Number.isInteger(traceEvery) || traceEvery < 1) {
    throw new LaunchConfigError(`launch configuration: 'traceEvery' must be a positive integer, got ${JSON.stringify(raw.traceEvery)}`);
  }
  if (raw.stopOnEntry !== undefined && typeof raw.stopOnEntry !== 'boolean') throw new LaunchConfigError(`launch configuration: 'stopOnEntry' must be true or false`);
  if (raw.overrides !== undefined && !isPlainObject(raw.overrides)) throw new LaunchConfigError(`launch configuration: 'overrides' must be an object of spec fields, e.g. { "train": { "learningRate": 0.1 } }`);

  let base: RunSpec;
  let baseDir = cwd;
  let specFile: string | undefined;
  const specPath = str('spec');
  const dataPath = str('data');
  if (specPath) {
    specFile = abs(specPath);
    let text: string;
    try {
      text = readFileSync(specFile, 'utf8');
    } catch (e) {
      throw new LaunchConfigError(`launch configuration: 'spec': cannot read ${specFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    baseDir = dirname(specFile);
    const checked = checkSpecText(text, baseDir);
    if (!checked.spec) throw new LaunchConfigError(`launch configuration: 'spec' ${specFile}: ${checked.problems.map((p) => p.message).join('; ')}`);
    base = checked.spec;
  } else if (dataPath) {
    const file = abs(dataPath);
    if (!dataSpecForFile(file)) throw new LaunchConfigError(`launch configuration: 'data': ${file} is not a text or CSV file`);
    try {
      readFileSync(file, { flag: 'r' }).subarray(0, 0);
    } catch (e) {
      throw new LaunchConfigError(`launch configuration: 'data': cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    base = initialSpec(file);
  } else {
    const task = raw.task;
    if (typeof task !== 'string' || !TASKS.includes(task)) throw new LaunchConfigError(`launch configuration: 'task' must be one of ${TASKS.join(', ')}, got ${JSON.stringify(task)}`);
    base = defaultSpec();
    const length = raw.length ?? (base.data as { length?: number }).length ?? 50;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 2) throw new LaunchConfigError(`launch configuration: 'length' must be an integer ≥ 2, got ${JSON.stringify(raw.length)}`);
    const data = { kind: task, length } as RunSpec['data'];
    base = { ...base, data, train: { ...base.train, seqLength: sequenceLengthOf(data, base.train.seqLength) } };
  }
  const merged = merge(base as unknown as Record<string, unknown>, (raw.overrides as Record<string, unknown>) ?? {}, 'overrides');
  merged.trace = { ...(merged.trace as object), every: traceEvery };
  let spec: RunSpec;
  try {
    spec = resolveSpec(merged, { baseDir });
  } catch (e) {
    if (e instanceof SpecError) throw new LaunchConfigError(`launch configuration: ${e.issues.map((i) => `${raw.overrides ? 'overrides → ' : ''}${i.path}: ${i.message}`).join('; ')}`);
    throw e;
  }
  return { spec, baseDir, specFile, textFile: spec.data.kind === 'text' ? spec.data.path : undefined, stopOnEntry: raw.stopOnEntry === true };
}
// #endregion
