// The training loop: data → model forward/backward (with traces on trace steps) → global-norm
// clipping → optimizer step, with validation, carried state, NaN/Inf guards that keep the last
// good weights, and persistence to the run folder. Used by the trainer process and the CLI.

import * as tf from '@tensorflow/tfjs';
import type { RunSpec, TrainSpec } from '../protocol/spec';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../protocol/trace';
import { selectBackend } from './backend';
import { createDataSource, type DataSource } from './data';
import { createFastModel } from './fast/model';
import { createGpuModel, gpuPathUnsupported } from './gpu/model';
import { computePathLabel, TFJS_GPU_PATH } from './computePath';
import { createModel } from './model';
import { RunFolder } from './runFolder';
import { tracePrediction } from './prediction';
import { newRunId } from './runId';
import { describeSpec } from './spec';
import type { Batch, RecurrentModel, RecurrentState, StepResult, TraceRequest } from './types';

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

/**
 * Runs one training run to its end and returns the final status. Never throws: any error ends
 * the run in state 'failed' with the message as reason, and what was recorded is kept (in the
 * hooks' receivers and the run folder). Tensors: none leak (checked by the tests).
 */
export async function runTraining(spec: RunSpec, opts: TrainOptions): Promise<RunStatus> {
  const { hooks } = opts;
  const now = Date.now();
  const status: RunStatus = {
    id: opts.runId ?? newRunId(spec),
    name: spec.name ?? describeSpec(spec),
    state: 'starting',
    step: 0,
    startedAt: now,
    updatedAt: now,
    pid: process.pid,
    spec,
  };
  const folder = opts.runDir ? new RunFolder(opts.runDir, (msg) => {
    hooks.onLog(msg);
    status.warnings = [...(status.warnings ?? []), msg];
  }) : null;
  const publish = (): void => {
    status.updatedAt = Date.now();
    hooks.onStatus({ ...status });
    folder?.writeStatus(status);
  };
  folder?.writeSpec(spec);
  publish();

  let model: RecurrentModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  let carried: RecurrentState | null = null;
  const saveWeights = (): void => {
    if (!folder || !model) return;
    // The live weights are always the last good ones: a non-finite step is never applied.
    folder.writeWeights(model.exportWeights(), { step: status.step, cell: spec.model.cell, hiddenSize: spec.model.hiddenSize, layers: spec.model.layers });
  };

  try {
    const choice = await selectBackend(spec.backend, { wasmDir: opts.wasmDir, gpu: opts.modelFactory ? false : gpuPathUnsupported(spec.model) ?? true });
    status.backend = choice.backend;
    status.backendSkipped = choice.skipped;
    status.versions = choice.versions;

    const data = createDataSource(spec, { baseDir: opts.baseDir });
    if (data.vocabulary) status.vocabulary = data.vocabulary;
    if (data.baseline !== undefined) status.baseline = data.baseline;

    let modelPath = 'custom';
    /** The fused kernel's GEMM in words, e.g. "wasm SIMD (2 threads)". */
    let gemmName: string | undefined;
    let gemmSkipped: readonly string[] = [];
    if (opts.modelFactory) model = opts.modelFactory(spec, data);
    else if (choice.tfjsOnGpu) {
      // Every op of the op-by-op engine runs where libtensorflow put it: on the CUDA GPU.
      model = createModel(spec.model, data.io, spec.seed, { chronoMaxLength: spec.train.seqLength });
      modelPath = TFJS_GPU_PATH;
    } else if (choice.gpu) {
      const gm = await createGpuModel(spec.model, data.io, spec.seed, choice.gpu, { chronoMaxLength: spec.train.seqLength });
      model = gm;
      // Sizes beyond the adapter's limits fail here, before the first step, naming the limit.
      gm.checkFits(spec.train.batchSize, spec.train.seqLength);
      modelPath = gm.path;
    } else {
      // The fused kernels run the plain LSTM, the GRU and the vanilla RNN ~10× faster than the
      // op-by-op engine; the LSTM variants (and the parameters and export of every cell) are the
      // reference engine's.
      const fast = createFastModel(spec.model, data.io, spec.seed, { chronoMaxLength: spec.train.seqLength });
      gemmName = fast.gemm?.label;
      gemmSkipped = fast.gemm?.skipped ?? [];
      model = fast;
      modelPath = fast.path;
    }
    // The compute path that does the work, first line of the CLI and the Output channel.
    status.computePath = computePathLabel(modelPath, choice.tfjsBackend, gemmName, spec.model.cell);
    const skipped = Object.entries(choice.skipped).map(([k, v]) => `${k}: ${v}`).join('; ');
    hooks.onLog(`backend ${choice.backend}: ${status.computePath}${skipped ? ` (skipped ${skipped})` : ''}`);
    // Which native / wasm piece was not used and why (a missing or broken file is not fatal),
    // after the line that says what does the work.
    for (const why of gemmSkipped) hooks.onLog(`GEMM fallback: ${why}`);
    for (const w of choice.warnings) {
      hooks.onLog(`warning: ${w}`);
      status.warnings = [...(status.warnings ?? []), w];
    }
    hooks.onLog(`model: ${spec.model.cell}, ${modelPath}`);
    hooks.onLog(data.description);
    optimizer = makeOptimizer(spec.train);
    const paramNames = Object.keys(model.params).sort();
    const carry = spec.train.carryState && data.continuous;
    const validation = data.validationBatches();
    const saveEvery = opts.saveEvery ?? spec.train.validateEvery;
    status.state = 'running';
    publish();

    const { steps } = spec.train;
    for (let step = 1; step <= steps; step++) {
      // Let IPC messages (stop, pause) in even when checkpoint() resolves at once.
      await yieldToEventLoop();
      const next = await hooks.checkpoint();
      if (next === 'stop') {
        status.state = 'stopped';
        status.reason = `stopped by the user after step ${status.step}`;
        break;
      }
      if (next === 'interrupt') {
        status.state = 'interrupted';
        status.reason = `the editor that started the run went away (window closed or reloaded) after step ${status.step}`;
        break;
      }
      const t0 = performance.now();
      const batch = data.nextTrainBatch();
      if (batch.fresh) carried = null;
      const traceStep = step === 1 || step % spec.trace.every === 0 || step === steps;
      const samples = traceStep ? spec.trace.samples : [];
      const traceReq = (sample: number) => ({ sample, layers: spec.trace.layers, reachFrom: spec.trace.reachFrom, jacobian: spec.trace.jacobian });

      const result = await forwardBackward(model, batch, carried, samples.length ? traceReq(samples[0]) : null);
      const snapshots: TraceSnapshot[] = [];
      // The read-out weights of this pass (before the update), once per trace step, for every engine.
      const readout = samples.length ? { W: model.params['readout.W'].dataSync(), b: model.params['readout.b'].dataSync() } : null;
      const snapshotOf = (trace: TraceSnapshot, s: number): TraceSnapshot => {
        const prediction = readout ? tracePrediction(trace, readout, data.io, batch, s, spec.model.layers - 1) : undefined;
        return { ...trace, step, sample: s, ...(batch.starts ? { textStart: batch.starts[s] } : {}), ...(prediction ? { prediction } : {}) };
      };
      if (result.trace) snapshots.push(snapshotOf(result.trace, samples[0]));
      // Each further traced sample needs its own instrumented pass (same weights, same batch).
      for (const s of samples.slice(1)) {
        const extra = await forwardBackward(model, batch, carried, traceReq(s));
        tf.dispose(Object.values(extra.grads));
        if (extra.trace) snapshots.push(snapshotOf(extra.trace, s));
      }

      /**
       * Persists, then publishes, this step's metrics and snapshots (good or bad steps alike):
       * disk first, so whatever the panel has shown is in the run folder if the trainer dies.
       */
      const record = (m: MetricsRecord): void => {
        folder?.appendMetrics([m]);
        for (const s of snapshots) folder?.writeSnapshot(s);
        hooks.onMetrics(m);
        if (snapshots.length) hooks.onSnapshot(snapshots);
      };
      const groupNorms = gradientNorms(result.grads);
      const gradNorm = Math.sqrt(Object.values(groupNorms).reduce((a, n) => a + n * n, 0));
      const badParams = Object.entries(groupNorms).filter(([, n]) => !Number.isFinite(n)).map(([k]) => k);
      if (!Number.isFinite(result.loss) || badParams.length) {
        tf.dispose(Object.values(result.grads));
        const what = !Number.isFinite(result.loss)
          ? `the training loss is ${result.loss}`
          : `the gradient of ${badParams.join(', ')} is not finite`;
        status.state = 'failed';
        status.reason = `step ${step}: ${what}; the weights of step ${status.step} (the last good step) are kept. Try a lower learning rate or clipping.`;
        // Record the bad step too: the curve should show where it went wrong.
        const m: MetricsRecord = { step, loss: result.loss, gradNorm, gradNormClipped: gradNorm, clipped: false, learningRate: spec.train.learningRate, groupNorms, seconds: (performance.now() - t0) / 1000, time: Date.now() };
        record(m);
        break;
      }

      const scale = clipScale(gradNorm, spec.train.clipNorm);
      // The pre-step weights, in case the update itself overflows (finite gradients, huge lr).
      const before = paramNames.map((n) => tf.clone(model!.params[n]));
      const named: Record<string, tf.Tensor> = {};
      for (const n of paramNames) named[model.params[n].name] = scale === 1 ? result.grads[n] : tf.mul(result.grads[n], scale);
      optimizer.applyGradients(named);
      tf.dispose(Object.values(named));
      tf.dispose(Object.values(result.grads));
      if (!paramsFinite(model.params)) {
        paramNames.forEach((n, i) => model!.params[n].assign(before[i]));
        tf.dispose(before);
        status.state = 'failed';
        status.reason = `step ${step}: the update made some weights non-finite (learning rate ${spec.train.learningRate} too high?); the weights of step ${status.step} are kept`;
        // Record the step whose update overflowed, as for a non-finite gradient above.
        const m: MetricsRecord = { step, loss: result.loss, gradNorm, gradNormClipped: gradNorm * scale, clipped: scale < 1, learningRate: spec.train.learningRate, groupNorms, seconds: (performance.now() - t0) / 1000, time: Date.now() };
        record(m);
        break;
      }
      tf.dispose(before);

      carried = carry ? result.finalState : null;
      const m: MetricsRecord = {
        step,
        loss: result.loss,
        gradNorm,
        gradNormClipped: gradNorm * scale,
        clipped: scale < 1,
        learningRate: spec.train.learningRate,
        groupNorms,
        seconds: 0,
        time: 0,
      };
      if (validation.length && (step % spec.train.validateEvery === 0 || step === steps)) {
        m.valLoss = await meanValidation(model, validation, carry);
      }
      m.seconds = (performance.now() - t0) / 1000;
      m.time = Date.now();
      status.step = step;
      record(m);
      if (step % saveEvery === 0 && step !== steps) {
        saveWeights();
        folder?.writeStatus({ ...status, updatedAt: Date.now() });
      }
    }
    if (status.state === 'running') status.state = 'completed';
  } catch (e) {
    status.state = 'failed';
    status.reason = status.step > 0 ? `step ${status.step + 1}: ${(e as Error).message ?? e}` : String((e as Error).message ?? e);
    hooks.onLog(`run failed: ${status.reason}`);
  }
  try {
    if (model) saveWeights();
  } catch (e) {
    hooks.onLog(`could not save the weights: ${(e as Error).message}`);
  }
  publish();
  optimizer?.dispose();
  model?.dispose();
  return { ...status };
}
