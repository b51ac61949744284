// Trainer side of bench/stream.ts, forked by the real TrainerClient in place of dist/trainer.js:
// computes one real LSTM trace snapshot, then pushes copies through the real TrainerStream as fast
// as the event loop allows, and reports what it produced in a final `log` line.

import * as tf from '@tensorflow/tfjs';
import { createFastModel } from '../src/core/fast/model';
import { createDataSource } from '../src/core/data';
import { selectBackend } from '../src/core/backend';
import { clipScale } from '../src/core/train';
import { isToTrainerMessage, type FromTrainerMessage, type StartMessage } from '../src/protocol/trainer';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../src/protocol/trace';
import { TrainerStream, type Send, type StreamStats } from '../src/trainer/stream';

/** What the child tells the host at the end (a `log` line starting with REPORT_PREFIX, then JSON). */
export interface ChildReport {
  /** How the snapshot content was obtained, in words. */
  snapshotSource: string;
  /** Wall time of the one real forwardBackward with trace (ms). */
  passMs: number;
  /** Snapshots and metrics records handed to TrainerStream while producing. */
  produced: number;
  /** Length of the producing window (s). */
  seconds: number;
  /** TrainerStream's own counters after the final drain. */
  stats: StreamStats;
  /** Per snapshot message: how long process.send() blocked the trainer (serialisation + first write), ms. */
  sendCallMs: number[];
  /** Per snapshot message: process.send() → its callback (the channel has written it all), ms. */
  sendDoneMs: number[];
}
/** Keep in sync with bench/stream.ts (a type-only import there keeps this module out of the host). */
const REPORT_PREFIX = 'bench-report ';

/** Wall clock with sub-ms resolution that both processes share (the system clock at process start). */
const now = (): number => performance.timeOrigin + performance.now();

if (!process.send) {
  console.error('bench/streamChild.ts is forked by bench/stream.ts over IPC');
  process.exit(2);
}

const sendCallMs: number[] = [];
const sendDoneMs: number[] = [];
/**
 * src/trainer/main.ts's Send (resolves once the channel has written the message), plus a `sentAt`
 * stamp the host reads back for the receive latency. The extra field survives the structured
 * clone, and the host's message check looks at `type` only.
 */
const send: Send = (msg: FromTrainerMessage) =>
  new Promise<void>((resolve) => {
    if (!process.connected || !process.send) return resolve();
    const sentAt = now();
    try {
      process.send({ ...msg, sentAt }, undefined, undefined, () => {
        if (msg.type === 'snapshot') sendDoneMs.push(now() - sentAt);
        resolve();
      });
      if (msg.type === 'snapshot') sendCallMs.push(now() - sentAt);
    } catch {
      resolve();
    }
  });

let stopRequested = false;
let started = false;
process.on('message', (raw: unknown) => {
  if (!isToTrainerMessage(raw)) return;
  if (raw.type === 'start' && !started) {
    started = true;
    void run(raw).catch(async (e: unknown) => {
      await send({ type: 'fatal', message: String((e as Error).message ?? e), stack: (e as Error).stack });
      process.exit(1);
    });
  } else if (raw.type === 'stop') stopRequested = true;
});
process.on('disconnect', () => process.exit(0));

/** One macrotask: lets timers (the stream's intervals) and process.send callbacks run between steps. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function run(msg: StartMessage): Promise<void> {
  const seconds = Number(process.env.BENCH_STREAM_SECONDS ?? '10');
  const stream = new TrainerStream(msg.limits, send);
  const spec = msg.spec;
  const status: RunStatus = { id: msg.runId, name: spec.name ?? 'bench', state: 'starting', step: 0, startedAt: Date.now(), updatedAt: Date.now(), spec };
  stream.status({ ...status });

  // The model and the traced pass exactly as src/core/train.ts sets them up for a plain LSTM.
  const choice = await selectBackend(spec.backend, { wasmDir: msg.wasmDir });
  const data = createDataSource(spec, { baseDir: msg.baseDir });
  const model = createFastModel(spec.model, data.io, spec.seed, { chronoMaxLength: spec.train.seqLength });
  const batch = data.nextTrainBatch();
  const t0 = performance.now();
  const result = model.forwardBackward(batch, null, { sample: 0, layers: spec.trace.layers, reachFrom: spec.trace.reachFrom, jacobian: spec.trace.jacobian });
  const passMs = performance.now() - t0;
  if (!result.trace) throw new Error('forwardBackward returned no trace');
  const groupNorms: Record<string, number> = {};
  for (const [name, g] of Object.entries(result.grads)) groupNorms[name] = Math.sqrt(tf.sum(tf.square(g)).dataSync()[0]);
  tf.dispose(Object.values(result.grads));
  const gradNorm = Math.hypot(...Object.values(groupNorms));
  const scale = clipScale(gradNorm, spec.train.clipNorm);
  const base: TraceSnapshot = { ...result.trace, step: 1, sample: 0 };
  model.dispose();

  Object.assign(status, { state: 'running', backend: choice.backend, vocabulary: data.vocabulary, baseline: data.baseline, updatedAt: Date.now() });
  stream.status({ ...status });

  // A real T = 1000, H = 256 step takes seconds; here one "step" per macrotask (~1 ms), so the
  // stream's limits, not the producer, decide what crosses the channel. Each step gets its own
  // snapshot object (sharing the typed arrays: structured clone copies them anyway) with its own
  // step and a `producedAt` stamp, so the host can tell how stale a delivered snapshot is.
  let produced = 0;
  const start = now();
  const end = start + seconds * 1000;
  for (let step = 1; now() < end && !stopRequested; step++) {
    const m: MetricsRecord = {
      step, loss: result.loss, gradNorm, gradNormClipped: gradNorm * scale, clipped: scale < 1,
      learningRate: spec.train.learningRate, groupNorms, seconds: passMs / 1000, time: Date.now(),
    };
    stream.metrics(m);
    const snap: TraceSnapshot & { producedAt: number } = { ...base, step, producedAt: now() };
    stream.snapshot([snap]);
    produced++;
    status.step = step;
    await tick();
  }
  const producing = (now() - start) / 1000;

  status.state = 'completed';
  status.updatedAt = Date.now();
  stream.status({ ...status });
  await stream.drain();
  const report: ChildReport = {
    snapshotSource: `computed once from the real model (createFastModel ${model.path}, backend ${choice.backend}, batch ${batch.batchSize}, forwardBackward with trace${spec.trace.jacobian ? ' and Jacobians' : ''}), then resent as copies with the step changed`,
    passMs, produced, seconds: producing, stats: { ...stream.stats }, sendCallMs, sendDoneMs,
  };
  stream.log(REPORT_PREFIX + JSON.stringify(report));
  await stream.drain();
  stream.dispose();
  process.exit(0);
}
