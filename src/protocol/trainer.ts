// The host ↔ trainer-process protocol: one discriminated union per direction, sent over the
// child_process IPC channel with `serialization: 'advanced'` (V8 structured clone), so typed
// arrays inside snapshots travel as binary, not as JSON objects.

import type { RunSpec } from './spec';
import type { MetricsRecord, RunStatus, TraceSnapshot } from './trace';

/** Stream rates the host asks for; the trainer never sends faster than this. */
export interface StreamLimits {
  /** Coalesce metrics records and send them at most every this many ms (the last step is always flushed). */
  metricsIntervalMs: number;
  /** Send at most one snapshot message every this many ms; newer snapshots replace unsent ones. */
  snapshotIntervalMs: number;
}

// #region host → trainer
/** Start the one run of this process. Sent once, right after the fork. */
export interface StartMessage {
  type: 'start';
  /** Id of the run (also the run folder's name). */
  runId: string;
  spec: RunSpec;
  /** Folder the trainer writes status.json, metrics.jsonl and snapshots to; null = memory only. */
  runDir: string | null;
  /** Folder that resolves relative data paths (the spec file's folder or the workspace). */
  baseDir?: string;
  /** Folder holding the tfjs-backend-wasm .wasm binaries (dist/ of the extension). */
  wasmDir: string;
  limits: StreamLimits;
  /** Start held before step 1 (as if `pause` came first): the debugger steps the run from there. */
  startPaused?: boolean;
}
/**
 * Instead of training: serve `traceText` requests from the saved weights of a finished (or
 * reopened) run folder, so the inline inspector works after the run's trainer has exited. Sent
 * once, right after the fork; a folder that cannot be read ends the process with `fatal`.
 */
export interface EvaluateMessage {
  type: 'evaluate';
  runDir: string;
  /** Folder holding the tfjs-backend-wasm .wasm binaries (dist/ of the extension). */
  wasmDir: string;
}
/** Pause at the next step boundary. */
export interface PauseMessage { type: 'pause' }
/** Resume a paused run. */
export interface ResumeMessage { type: 'resume' }
/** While paused: run exactly one more step, then hold again (answered by `held`). The debugger steps this way. */
export interface StepMessage { type: 'step' }
/** Finish the current step, write the final status ('stopped') and exit. */
export interface StopMessage { type: 'stop' }
/**
 * How a `traceTextResult` error begins when the run has saved no weights yet (a text run in its
 * first steps): a state to wait out, not a failure to report.
 */
export const NO_WEIGHTS_YET = 'no weights are saved yet';

/** Evaluate the run's latest saved weights on a text (inline gate inspector); answered by `traceTextResult`. */
export interface TraceTextRequest {
  type: 'traceText';
  /** Correlates the answer; unique per process. */
  requestId: number;
  /** The text to run through the model, character by character. */
  text: string;
}
export type ToTrainerMessage = StartMessage | EvaluateMessage | PauseMessage | ResumeMessage | StepMessage | StopMessage | TraceTextRequest;
// #endregion

// #region trainer → host
/** The run's status changed (state, step, backend, reason). */
export interface TrainerStatusMessage { type: 'status'; status: RunStatus }
/** Metrics of one or more consecutive steps, coalesced, in step order. */
export interface TrainerMetricsMessage { type: 'metrics'; records: MetricsRecord[] }
/** Trace snapshot(s) of one optimisation step (one per traced sample). */
export interface TrainerSnapshotMessage { type: 'snapshot'; snapshots: TraceSnapshot[] }
/** A line of the trainer's log (backend choice, warnings, disk errors) for the Output channel. */
export interface TrainerLogMessage { type: 'log'; line: string }
/** Answer to a `traceText` request: a forward (and backward) pass of the model over the text. */
export type TrainerTraceTextResult =
  | { type: 'traceTextResult'; requestId: number; ok: true; trace: TraceSnapshot }
  | { type: 'traceTextResult'; requestId: number; ok: false; error: string };
/**
 * The run is held before step `step + 1` (after `pause` or a `step`): every message of the steps
 * up to `step` was sent before this one, so the host has the held step's metrics and snapshots.
 */
export interface TrainerHeldMessage { type: 'held'; step: number }
/** An error the trainer could not recover from; the process exits after sending it. */
export interface TrainerFatalMessage { type: 'fatal'; message: string; stack?: string }
export type FromTrainerMessage =
  | TrainerStatusMessage
  | TrainerMetricsMessage
  | TrainerSnapshotMessage
  | TrainerLogMessage
  | TrainerTraceTextResult
  | TrainerHeldMessage
  | TrainerFatalMessage;
// #endregion

const TO_TRAINER_TYPES: ReadonlySet<string> = new Set<ToTrainerMessage['type']>(['start', 'evaluate', 'pause', 'resume', 'step', 'stop', 'traceText']);
const FROM_TRAINER_TYPES: ReadonlySet<string> = new Set<FromTrainerMessage['type']>([
  'status',
  'metrics',
  'snapshot',
  'log',
  'traceTextResult',
  'held',
  'fatal',
]);

function hasType(x: unknown): x is { type: string } {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

/** Whether an IPC payload is a host → trainer message (shape of the tag only; the sender is trusted code). */
export function isToTrainerMessage(x: unknown): x is ToTrainerMessage {
  return hasType(x) && TO_TRAINER_TYPES.has(x.type);
}

/** Whether an IPC payload is a trainer → host message. */
export function isFromTrainerMessage(x: unknown): x is FromTrainerMessage {
  return hasType(x) && FROM_TRAINER_TYPES.has(x.type);
}

/** Compile-time exhaustiveness check for `switch (msg.type)`. */
export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}

/** The trainer process's niceness (below normal priority: the editor stays responsive while it trains). */
export const TRAINER_NICENESS = 10;
