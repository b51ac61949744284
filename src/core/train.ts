// The training loop: data → model forward/backward (with traces on trace steps) → global-norm
// clipping → optimizer step, with validation, carried state, NaN/Inf guards that keep the last
// good weights, and persistence to the run folder. Used by the trainer process and the CLI.

import * as tf from '@tensorflow/tfjs';
import type { RunSpec, TrainSpec } from '../protocol/spec';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../protocol/trace';
import { selectBackend, type BackendChoice } from './backend';
import { createDataSource, type DataSource } from './data';
import type { TrainBatch } from './data/source';
import { createFastModel } from './fast/model';
import { createGpuModel, gpuPathUnsupported } from './gpu/model';
import { computePathLabel, TFJS_GPU_PATH } from './computePath';
import { createModel } from './tfjsEngine/engine';
import { RunFolder } from './runFolder';
import { tracePrediction } from './prediction';
import { newRunId } from './runId';
import { describeSpec } from './spec';
import type { Batch, ModelIO, RecurrentModel, RecurrentState, StepResult, TraceRequest } from './types';

export interface TrainHooks {
  /** On every state change (and when backend/step information is first known). */
  onStatus(status: RunStatus): void;
  /** Every step. */
  onMetrics(m: MetricsRecord): void;
  /** On trace steps (one per traced sample). */
  onSnapshot(snapshots: TraceSnapshot[]): void;
  onLog(line: string): void;
  /**
   * Awaited between steps; resolve 'stop' to end the run (state 'stopped'), 'interrupt' when
   * whoever started it has gone (state 'interrupted'). Pausing = not resolving yet.
   */
  checkpoint(): Promise<'continue' | 'stop' | 'interrupt'>;
}

export interface TrainOptions {
  /** Run folder to write; null = no persistence. */
  runDir: string | null;
  /** Folder relative data paths resolve against (the spec file's folder). */
  baseDir?: string;
  /** Folder of the tfjs wasm binaries. */
  wasmDir: string;
  hooks: TrainHooks;
  runId?: string;
  /** Tests: replaces the model factory (e.g. to inject a NaN). */
  modelFactory?: (spec: RunSpec, data: DataSource) => RecurrentModel;
  /** Save weights every this many steps besides the end (default: every validation). */
  saveEvery?: number;
}

/** Global-norm clipping factor: g ← g · min(1, clip / ‖g‖). */
export function clipScale(globalNorm: number, clipNorm: number | null): number {
  if (clipNorm === null || !(globalNorm > clipNorm)) return 1;
  return clipNorm / globalNorm;
}

function makeOptimizer(train: TrainSpec): tf.Optimizer {
  switch (train.optimizer) {
    case 'adam':
      return tf.train.adam(train.learningRate);
    case 'sgd':
      return tf.train.sgd(train.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(train.learningRate);
  }
}

/** Per-parameter L2 norms of the gradients (one download for all of them). */
function gradientNorms(grads: Record<string, tf.Tensor>): Record<string, number> {
  const names = Object.keys(grads).sort();
  const sq = tf.tidy(() => tf.stack(names.map((n) => tf.sum(tf.square(grads[n])))));
  const values = sq.dataSync();
  sq.dispose();
  return Object.fromEntries(names.map((n, i) => [n, Math.sqrt(values[i])]));
}

/** Whether every parameter is finite: Σ p·0 is 0 iff no NaN/Inf (wasm has no IsFinite kernel). */
function paramsFinite(params: Record<string, tf.Variable>): boolean {
  const s = tf.tidy(() => tf.addN(Object.values(params).map((p) => tf.sum(tf.mul(p, 0)))));
  const v = s.dataSync()[0];
  s.dispose();
  return v === 0;
}

/** The model's pass, on the GPU when the model has one (the GPU engine's are asynchronous). */
function forwardBackward(model: RecurrentModel, batch: Batch, initial: RecurrentState | null, trace: TraceRequest | null): Promise<StepResult> {
  return model.forwardBackwardAsync ? model.forwardBackwardAsync(batch, initial, trace) : Promise.resolve(model.forwardBackward(batch, initial, trace));
}

async function meanValidation(model: RecurrentModel, batches: Batch[], carry: boolean): Promise<number> {
  let total = 0;
  let weight = 0;
  let state: RecurrentState | null = null;
  for (const b of batches) {
    const r: { loss: number; finalState: RecurrentState } = model.evaluateAsync ? await model.evaluateAsync(b, carry ? state : null) : model.evaluate(b, carry ? state : null);
    state = r.finalState;
    // Weight each batch by its scored steps, so the mean is over the same unit as the training loss.
    let w = 0;
    for (let i = 0; i < b.mask.length; i++) w += b.mask[i];
    total += r.loss * w;
    weight += w;
  }
  return weight > 0 ? total / weight : NaN;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The run's status and where it goes: the hooks, and the run folder when there is one. */
class RunLedger {
  readonly status: RunStatus;
  readonly folder: RunFolder | null;
  constructor(spec: RunSpec, opts: TrainOptions) {
    const now = Date.now();
    this.status = {
      id: opts.runId ?? newRunId(spec),
      name: spec.name ?? describeSpec(spec),
      state: 'starting',
      step: 0,
      startedAt: now,
      updatedAt: now,
      pid: process.pid,
      spec,
    };
    this.folder = opts.runDir ? new RunFolder(opts.runDir, (msg) => this.warn(msg, opts.hooks)) : null;
  }
  warn(msg: string, hooks: TrainHooks): void {
    hooks.onLog(msg);
    this.status.warnings = [...(this.status.warnings ?? []), msg];
  }
  publish(hooks: TrainHooks): void {
    this.status.updatedAt = Date.now();
    hooks.onStatus({ ...this.status });
    this.folder?.writeStatus(this.status);
  }
  /** The live weights are always the last good ones: a non-finite step is never applied. */
  saveWeights(model: RecurrentModel, spec: RunSpec): void {
    this.folder?.writeWeights(model.exportWeights(), { step: this.status.step, cell: spec.model.cell, hiddenSize: spec.model.hiddenSize, layers: spec.model.layers });
  }
  /**
   * Persists, then publishes, one step's metrics and snapshots (good or bad steps alike): disk
   * first, so whatever the panel has shown is in the run folder if the trainer dies.
   */
  record(m: MetricsRecord, snapshots: TraceSnapshot[], hooks: TrainHooks): void {
    this.folder?.appendMetrics([m]);
    for (const s of snapshots) this.folder?.writeSnapshot(s);
    hooks.onMetrics(m);
    if (snapshots.length) hooks.onSnapshot(snapshots);
  }
}

/** The model that does the work and how it is computed, in words. */
interface BuiltModel {
  model: RecurrentModel;
  /** e.g. 'fused kernel' or 'gpu' (see computePathLabel). */
  path: string;
  /** The fused kernel's GEMM in words, e.g. "wasm SIMD (2 threads)". */
  gemmName?: string;
  gemmSkipped: readonly string[];
}

/**
 * The op-by-op tfjs engine when libtensorflow has a CUDA GPU, the GPU model when a WebGPU adapter
 * was chosen, else the fused CPU kernel (with the op-by-op tfjs engine behind it).
 */
async function buildModel(spec: RunSpec, data: DataSource, choice: BackendChoice, opts: TrainOptions): Promise<BuiltModel> {
  if (opts.modelFactory) return { model: opts.modelFactory(spec, data), path: 'custom', gemmSkipped: [] };
  if (choice.tfjsOnGpu) {
    // Every op of the op-by-op engine runs where libtensorflow put it: on the CUDA GPU.
    return { model: createModel(spec.model, data.io, spec.seed, { chronoMaxLength: spec.train.seqLength }), path: TFJS_GPU_PATH, gemmSkipped: [] };
  }
  if (choice.gpu) {
    const gm = await createGpuModel(spec.model, data.io, spec.seed, choice.gpu, { chronoMaxLength: spec.train.seqLength });
    // Sizes beyond the adapter's limits fail here, before the first step, naming the limit.
    gm.checkFits(spec.train.batchSize, spec.train.seqLength);
    return { model: gm, path: gm.path, gemmSkipped: [] };
  }
  // The fused kernels run the plain LSTM, the GRU and the vanilla RNN ~10× faster than the op-by-op
  // tfjs engine; the LSTM variants (and the parameters and export of every cell) are that engine's.
  const fast = createFastModel(spec.model, data.io, spec.seed, { chronoMaxLength: spec.train.seqLength });
  return { model: fast, path: fast.path, gemmName: fast.gemm?.label, gemmSkipped: fast.gemm?.skipped ?? [] };
}

/** Says what does the work (first line of the CLI and the Output channel), then what was skipped and why. */
function announceComputePath(ledger: RunLedger, built: BuiltModel, choice: BackendChoice, spec: RunSpec, data: DataSource, hooks: TrainHooks): void {
  const status = ledger.status;
  status.computePath = computePathLabel(built.path, choice.tfjsBackend, built.gemmName, spec.model.cell);
  const skipped = Object.entries(choice.skipped).map(([k, v]) => `${k}: ${v}`).join('; ');
  hooks.onLog(`backend ${choice.backend}: ${status.computePath}${skipped ? ` (skipped ${skipped})` : ''}`);
  // Which native / wasm piece was not used and why (a missing or broken file is not fatal),
  // after the line that says what does the work.
  for (const why of built.gemmSkipped) hooks.onLog(`GEMM fallback: ${why}`);
  for (const w of choice.warnings) {
    hooks.onLog(`warning: ${w}`);
    status.warnings = [...(status.warnings ?? []), w];
  }
  hooks.onLog(`model: ${spec.model.cell}, ${built.path}`);
  hooks.onLog(data.description);
}

/**
 * The step's forward/backward, with a trace snapshot of every traced sample on a trace step:
 * the first sample rides on the training pass, each further one needs its own instrumented
 * pass (same weights, same batch).
 */
async function stepWithTraces(model: RecurrentModel, batch: TrainBatch, carried: RecurrentState | null, spec: RunSpec, step: number, io: ModelIO): Promise<{ result: StepResult; snapshots: TraceSnapshot[] }> {
  const traceStep = step === 1 || step % spec.trace.every === 0 || step === spec.train.steps;
  const samples = traceStep ? spec.trace.samples : [];
  const traceReq = (sample: number): TraceRequest => ({ sample, layers: spec.trace.layers, reachFrom: spec.trace.reachFrom, jacobian: spec.trace.jacobian });
  const result = await forwardBackward(model, batch, carried, samples.length ? traceReq(samples[0]) : null);
  // The read-out weights of this pass (before the update), once per trace step, for every engine.
  const readout = samples.length ? { W: model.params['readout.W'].dataSync(), b: model.params['readout.b'].dataSync() } : null;
  const snapshotOf = (trace: TraceSnapshot, s: number): TraceSnapshot => {
    const prediction = readout ? tracePrediction(trace, readout, io, batch, s, spec.model.layers - 1) : undefined;
    return { ...trace, step, sample: s, ...(batch.starts ? { textStart: batch.starts[s] } : {}), ...(prediction ? { prediction } : {}) };
  };
  const snapshots: TraceSnapshot[] = [];
  if (result.trace) snapshots.push(snapshotOf(result.trace, samples[0]));
  // Each further traced sample needs its own instrumented pass (same weights, same batch).
  for (const s of samples.slice(1)) {
    const extra = await forwardBackward(model, batch, carried, traceReq(s));
    tf.dispose(Object.values(extra.grads));
    if (extra.trace) snapshots.push(snapshotOf(extra.trace, s));
  }
  return { result, snapshots };
}

/** Why a step's loss or gradient cannot be applied, or null when both are finite. */
function nonFiniteStep(loss: number, groupNorms: Record<string, number>): string | null {
  if (!Number.isFinite(loss)) return `the training loss is ${loss}`;
  const bad = Object.entries(groupNorms).filter(([, n]) => !Number.isFinite(n)).map(([k]) => k);
  return bad.length ? `the gradient of ${bad.join(', ')} is not finite` : null;
}

/**
 * Applies the (clipped) gradients and disposes them. Returns false, with the pre-step weights put
 * back, when the update itself overflowed (finite gradients, a huge learning rate).
 */
function applyUpdate(model: RecurrentModel, optimizer: tf.Optimizer, paramNames: string[], grads: Record<string, tf.Tensor>, scale: number): boolean {
  const before = paramNames.map((n) => tf.clone(model.params[n]));
  const named: Record<string, tf.Tensor> = {};
  for (const n of paramNames) named[model.params[n].name] = scale === 1 ? grads[n] : tf.mul(grads[n], scale);
  optimizer.applyGradients(named);
  tf.dispose(Object.values(named));
  tf.dispose(Object.values(grads));
  const ok = paramsFinite(model.params);
  if (!ok) paramNames.forEach((n, i) => model.params[n].assign(before[i]));
  tf.dispose(before);
  return ok;
}

/** What a hook's checkpoint answer ends the run with, or null to go on. */
function endRequested(next: 'continue' | 'stop' | 'interrupt', lastStep: number): Pick<RunStatus, 'state' | 'reason'> | null {
  if (next === 'stop') return { state: 'stopped', reason: `stopped by the user after step ${lastStep}` };
  if (next === 'interrupt') return { state: 'interrupted', reason: `the editor that started the run went away (window closed or reloaded) after step ${lastStep}` };
  return null;
}

/**
 * Runs one training run to its end and returns the final status. Never throws: any error ends
 * the run in state 'failed' with the message as reason, and what was recorded is kept (in the
 * hooks' receivers and the run folder). Tensors: none leak (checked by the tests).
 */
export async function runTraining(spec: RunSpec, opts: TrainOptions): Promise<RunStatus> {
  const { hooks } = opts;
  const ledger = new RunLedger(spec, opts);
  const { status } = ledger;
  ledger.folder?.writeSpec(spec);
  ledger.publish(hooks);

  let model: RecurrentModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  try {
    const choice = await selectBackend(spec.backend, { wasmDir: opts.wasmDir, gpu: opts.modelFactory ? false : gpuPathUnsupported(spec.model) ?? true });
    status.backend = choice.backend;
    status.backendSkipped = choice.skipped;
    status.versions = choice.versions;

    const data = createDataSource(spec, { baseDir: opts.baseDir });
    if (data.vocabulary) status.vocabulary = data.vocabulary;
    if (data.baseline !== undefined) status.baseline = data.baseline;

    const built = await buildModel(spec, data, choice, opts);
    model = built.model;
    announceComputePath(ledger, built, choice, spec, data, hooks);
    optimizer = makeOptimizer(spec.train);
    await trainSteps(spec, model, optimizer, data, ledger, opts);
    if (status.state === 'running') status.state = 'completed';
  } catch (e) {
    status.state = 'failed';
    status.reason = status.step > 0 ? `step ${status.step + 1}: ${(e as Error).message ?? e}` : String((e as Error).message ?? e);
    hooks.onLog(`run failed: ${status.reason}`);
  }
  try {
    if (model) ledger.saveWeights(model, spec);
  } catch (e) {
    hooks.onLog(`could not save the weights: ${(e as Error).message}`);
  }
  ledger.publish(hooks);
  optimizer?.dispose();
  model?.dispose();
  return { ...status };
}

/** The optimisation loop: one batch per step until the last step, a stop, or a step that cannot be applied. */
async function trainSteps(spec: RunSpec, model: RecurrentModel, optimizer: tf.Optimizer, data: DataSource, ledger: RunLedger, opts: TrainOptions): Promise<void> {
  const { hooks } = opts;
  const { status } = ledger;
  const paramNames = Object.keys(model.params).sort();
  const carry = spec.train.carryState && data.continuous;
  const validation = data.validationBatches();
  const saveEvery = opts.saveEvery ?? spec.train.validateEvery;
  const { steps, learningRate } = spec.train;
  let carried: RecurrentState | null = null;
  status.state = 'running';
  ledger.publish(hooks);

  for (let step = 1; step <= steps; step++) {
    // Let IPC messages (stop, pause) in even when checkpoint() resolves at once.
    await yieldToEventLoop();
    const end = endRequested(await hooks.checkpoint(), status.step);
    if (end) {
      Object.assign(status, end);
      return;
    }
    const t0 = performance.now();
    const batch = data.nextTrainBatch();
    if (batch.fresh) carried = null;
    const { result, snapshots } = await stepWithTraces(model, batch, carried, spec, step, data.io);
    const groupNorms = gradientNorms(result.grads);
    const gradNorm = Math.sqrt(Object.values(groupNorms).reduce((a, n) => a + n * n, 0));
    const metrics = (scale: number): MetricsRecord => ({ step, loss: result.loss, gradNorm, gradNormClipped: gradNorm * scale, clipped: scale < 1, learningRate, groupNorms, seconds: (performance.now() - t0) / 1000, time: Date.now() });

    const nonFinite = nonFiniteStep(result.loss, groupNorms);
    if (nonFinite) {
      tf.dispose(Object.values(result.grads));
      status.state = 'failed';
      status.reason = `step ${step}: ${nonFinite}; the weights of step ${status.step} (the last good step) are kept. Try a lower learning rate or clipping.`;
      // Record the bad step too: the curve should show where it went wrong.
      ledger.record(metrics(1), snapshots, hooks);
      return;
    }
    const scale = clipScale(gradNorm, spec.train.clipNorm);
    if (!applyUpdate(model, optimizer, paramNames, result.grads, scale)) {
      status.state = 'failed';
      status.reason = `step ${step}: the update made some weights non-finite (learning rate ${learningRate} too high?); the weights of step ${status.step} are kept`;
      // Record the step whose update overflowed, as for a non-finite gradient above.
      ledger.record(metrics(scale), snapshots, hooks);
      return;
    }

    carried = carry ? result.finalState : null;
    const valLoss = validation.length && (step % spec.train.validateEvery === 0 || step === steps) ? await meanValidation(model, validation, carry) : undefined;
    const m = metrics(scale);
    if (valLoss !== undefined) m.valLoss = valLoss;
    status.step = step;
    ledger.record(m, snapshots, hooks);
    if (step % saveEvery === 0 && step !== steps) {
      ledger.saveWeights(model, spec);
      ledger.folder?.writeStatus({ ...status, updatedAt: Date.now() });
    }
  }
}
