// Trainer child-process entry (dist/trainer.js): one run per process. Receives `start` from the
// host, runs the core training loop, streams status/metrics/snapshots back with backpressure,
// obeys pause/resume/stop between steps and answers traceText requests.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { defaultWasmDir, selectBackend } from '../core/backend';
import { readRunHeader } from '../core/runFolder';
import { runTraining } from '../core/train';
import { resolveSpec } from '../core/spec';
import { assertNever, isToTrainerMessage, TRAINER_NICENESS, type FromTrainerMessage, type StartMessage, type ToTrainerMessage } from '../protocol/trainer';
import type { RunStatus } from '../protocol/trace';
import { TrainerStream, type Send } from './stream';
import { evaluateText, type TextEvalRun } from './textEval';

if (!process.send) {
  console.error('dist/trainer.js is started by the RNN Debugger extension over IPC; use dist/cli.js to train from a shell.');
  process.exit(2);
}

/**
 * The trainer shares the machine with the editor, and its kernel keeps every core busy (the wasm
 * kernel's worker thread, OpenBLAS's pool): it runs below normal priority so the editor, its
 * extension host and the panel stay responsive while a run trains. Training is as fast as before
 * when nothing else wants the CPU.
 */
lowerPriority();
leaveACoreToTheEditor();

/**
 * On a machine of two cores or fewer the trainer's kernel computes on one thread (the wasm
 * kernel's worker and OpenBLAS's pool would take both cores): the workbench beside it (hovers,
 * views, the panel) stalled for minutes while a run trained with both, even at low priority.
 * RNN_DEBUGGER_WASM_THREADS / OPENBLAS_NUM_THREADS set in the environment are kept.
 */
function leaveACoreToTheEditor(): void {
  if (os.availableParallelism() > 2) return;
  process.env.RNN_DEBUGGER_WASM_THREADS ??= '1';
  process.env.OPENBLAS_NUM_THREADS ??= '1';
}

function lowerPriority(): void {
  try {
    // Linux keeps a nice value per thread: lower every thread started so far (V8's and libuv's);
    // later ones are started from these and inherit it. Elsewhere it is the process's.
    const tids = process.platform === 'linux' ? fs.readdirSync('/proc/self/task').map(Number) : [0];
    for (const tid of tids) os.setPriority(tid, TRAINER_NICENESS);
  } catch {
    // Not permitted here (e.g. raising it back is refused, or no /proc): normal priority.
  }
}

/** Sends a message; resolves once the channel has written it, so drain() really drains. */
const send: Send = (msg: FromTrainerMessage) =>
  new Promise<void>((resolve) => {
    if (!process.connected || !process.send) return resolve();
    try {
      process.send(msg, undefined, undefined, () => resolve());
    } catch {
      resolve();
    }
  });

let started = false;
/** A `start` run is in progress (not evaluate mode). */
let training = false;
/** The host disconnected during training. */
let interrupted = false;
let stopRequested = false;
let paused = false;
/** Steps a `step` message allows while paused. */
let stepsGranted = 0;
/** Last step whose metrics were recorded (the status carries the step only on state changes). */
let lastStep = 0;
let lastStatus: RunStatus | null = null;
/** The run text evaluation reads: the training run of this process, or the saved run it serves. */
let evalRun: (Omit<TextEvalRun, 'vocabulary'> & { vocabulary?: () => readonly string[] | undefined }) | null = null;
/** Resolves once the backend is ready for evaluation (evaluate mode only). */
let evalReady: Promise<void> = Promise.resolve();
let wake: (() => void) | null = null;
let stream: TrainerStream | null = null;

async function fatal(err: unknown): Promise<never> {
  const e = err instanceof Error ? err : new Error(String(err));
  await send({ type: 'fatal', message: e.message, stack: e.stack });
  process.exit(1);
}

process.on('uncaughtException', (err) => void fatal(err));
process.on('unhandledRejection', (err) => void fatal(err));
// The host went away (window closed or reloaded, extension host crashed): nobody is listening
// any more. A training run finishes its step and writes its final status ('interrupted') so the
// run folder does not claim "running" for good; anything else just ends.
process.on('disconnect', () => {
  if (!training) process.exit(0);
  interrupted = true;
  wake?.();
});

process.on('message', (raw: unknown) => {
  if (!isToTrainerMessage(raw)) {
    void send({ type: 'log', line: `trainer: ignored an unknown message ${JSON.stringify(raw).slice(0, 200)}` });
    return;
  }
  handle(raw);
});

function handle(msg: ToTrainerMessage): void {
  switch (msg.type) {
    case 'start':
      if (started) return void send({ type: 'log', line: 'trainer: a second start was ignored (one run per process)' });
      started = true;
      training = true;
      if (msg.startPaused) paused = true;
      evalRun = { spec: msg.spec, runDir: msg.runDir, vocabulary: () => lastStatus?.vocabulary };
      void train(msg);
      return;
    case 'evaluate':
      if (started) return void send({ type: 'log', line: 'trainer: evaluate after start was ignored (one run per process)' });
      started = true;
      evalReady = serveSavedRun(msg.runDir, msg.wasmDir).catch((e) => fatal(e));
      return;
    case 'pause':
      if (!paused && !stopRequested) {
        paused = true;
        if (lastStatus?.state === 'running') stream?.status({ ...lastStatus, state: 'paused', updatedAt: Date.now() });
      }
      return;
    case 'step':
      if (paused && !stopRequested) {
        stepsGranted++;
        wake?.();
      }
      return;
    case 'resume':
      if (paused) {
        paused = false;
        stepsGranted = 0;
        if (lastStatus) stream?.status({ ...lastStatus, state: 'running', updatedAt: Date.now() });
        wake?.();
      }
      return;
    case 'stop':
      stopRequested = true;
      wake?.();
      // Not started yet: nothing to finish.
      if (!started) process.exit(0);
      return;
    case 'traceText': {
      const { requestId, text } = msg;
      void evalReady.then(() => {
        const run = evalRun;
        if (!run || !lastStatus) {
          void send({ type: 'traceTextResult', requestId, ok: false, error: 'the run has not started yet' });
          return;
        }
        try {
          const trace = evaluateText({ ...run, vocabulary: run.vocabulary?.() }, text);
          void send({ type: 'traceTextResult', requestId, ok: true, trace });
        } catch (e) {
          void send({ type: 'traceTextResult', requestId, ok: false, error: (e as Error).message });
        }
      });
      return;
    }
    default:
      assertNever(msg);
  }
}

/** Evaluate mode: the saved run's spec and vocabulary, on the backend its spec asks for. */
async function serveSavedRun(runDir: string, wasmDir: string): Promise<void> {
  const run = readRunHeader(runDir);
  const choice = await selectBackend(run.spec.backend === 'auto' ? 'auto' : run.spec.backend, { wasmDir: wasmDir || defaultWasmDir() });
  lastStatus = run.status;
  evalRun = { spec: run.spec, runDir, vocabulary: () => run.status.vocabulary };
  await send({ type: 'log', line: `trainer: evaluating the saved weights of ${runDir} on backend ${choice.backend}` });
}

async function train(msg: StartMessage): Promise<void> {
  const out = new TrainerStream(msg.limits, send);
  stream = out;
  // The host validated the spec already; validating again here turns a hand-edited or stale
  // spec into a clear failure instead of a crash deep inside the model code.
  const spec = resolveSpec(msg.spec, { baseDir: msg.baseDir });
  const final = await runTraining(spec, {
    runDir: msg.runDir,
    baseDir: msg.baseDir,
    wasmDir: msg.wasmDir,
    runId: msg.runId,
    hooks: {
      onStatus: (s) => {
        lastStatus = s;
        // A pause requested during set-up shows once the run is running.
        out.status(paused && s.state === 'running' ? { ...s, state: 'paused' } : s);
      },
      onMetrics: (m) => {
        lastStep = m.step;
        out.metrics(m);
      },
      onSnapshot: (s) => out.snapshot(s),
      onLog: (line) => out.log(line),
      checkpoint: async () => {
        if (paused && !stopRequested && !interrupted && stepsGranted === 0) {
          // Everything of the steps so far goes out first: a debugger acts on the held step's data.
          await out.drain();
          await send({ type: 'held', step: lastStep });
        }
        while (paused && !stopRequested && !interrupted && stepsGranted === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        if (stepsGranted > 0) stepsGranted--;
        return interrupted ? 'interrupt' : stopRequested ? 'stop' : 'continue';
      },
    },
  });
  // runTraining already published `final` through onStatus.
  lastStatus = final;
  await out.drain();
  out.dispose();
  process.exit(0);
}
