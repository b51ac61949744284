// One benchmark measurement in its own process (so peak RSS is this configuration's alone):
// builds one training-step variant for (H, T), warms it up, times ≥ 3 steps and prints one JSON
// line. Driven by bench/run.ts. Usage: node --import tsx bench/worker.ts <variant> <H> <T> [opts JSON]
// One step = forward over T, softmax cross-entropy at every step, backward, Adam; B = 32,
// one-hot input of a 32-token vocabulary, V = 32 outputs.

import * as tf from '@tensorflow/tfjs';
import { createModel } from '../src/core/tfjsEngine/engine';
import { createFastModel, type FastModel } from '../src/core/fast/model';
import { computePathLabel } from '../src/core/computePath';
import { jsSgemm, loadNativeBlas, wasmGemm } from '../src/core/fast/gemm';
import { loadWasmKernel } from '../src/core/fast/wasmKernel';
import { defaultWasmDir, selectBackend } from '../src/core/backend';
import type { Batch, ModelIO, RecurrentModel, TraceRequest } from '../src/core/types';
import type { ModelSpec } from '../src/protocol/spec';

/** The compute path in the words training shows (status.computePath). */
function pathOf(m: FastModel): string {
  return computePathLabel(m.path, tf.getBackend(), m.gemm?.label, m.spec.cell);
}

export const VARIANTS = ['fused-rec', 'fused-norec', 'fused-wasm-rec', 'fused-js-rec', 'reference-rec', 'gru-rec', 'rnn-rec', 'tflayers'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface WorkerOptions {
  B?: number;
  /** Stop warming up and report a skip when the first step takes longer than this (s). */
  capSeconds?: number;
  /** Time at least this many steps… */
  minReps?: number;
  /** …and keep going until this many seconds have passed (or maxReps). */
  minSeconds?: number;
  maxReps?: number;
  warmup?: number;
}

export interface WorkerResult {
  variant: string;
  H: number;
  T: number;
  B: number;
  /** Per-step wall times of the timed steps (s). */
  times: number[];
  /** Median process CPU time (user + system, all threads) per timed step (s): less sensitive to other load than wall time. */
  cpuMedian?: number | null;
  median: number | null;
  first: number | null;
  /** Peak resident set size of the process (MB). */
  rssMB: number;
  backend: string;
  note?: string;
  skipped?: string;
}

const V = 32;

function lstmSpec(H: number): ModelSpec {
  return {
    cell: 'lstm', hiddenSize: H, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
    cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh',
  };
}

function makeBatch(B: number, T: number, seed: number): Batch {
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const tokens = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * V));
  const targetTokens = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * V));
  return { batchSize: B, steps: T, tokens, inputs: null, targetTokens, targets: null, mask: new Float32Array(B * T).fill(1) };
}

/** One training step of the RecurrentModel interface: forwardBackward (+ trace), Adam. */
function modelStep(model: RecurrentModel, batch: Batch, trace: TraceRequest | null): () => Promise<void> {
  const opt = tf.train.adam(1e-3);
  return async () => {
    const res = model.forwardBackward(batch, null, trace);
    opt.applyGradients(Object.entries(res.grads).map(([name, tensor]) => ({ name: model.params[name].name, tensor })));
    tf.dispose(Object.values(res.grads));
    if (!Number.isFinite(res.loss)) throw new Error(`loss is ${res.loss}`);
  };
}

/** tf.layers.lstm (sigmoid recurrent activation, like ours) + dense read-out, trainOnBatch. */
function layersStep(H: number, T: number, B: number, batch: Batch): () => Promise<void> {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: H, returnSequences: true, inputShape: [T, V], recurrentActivation: 'sigmoid' }));
  model.add(tf.layers.dense({ units: V }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
  const x = tf.oneHot(tf.tensor2d(batch.tokens!, [B, T], 'int32'), V).toFloat();
  const y = tf.oneHot(tf.tensor2d(batch.targetTokens!, [B, T], 'int32'), V).toFloat();
  return async () => {
    await model.trainOnBatch(x, y);
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function main(): Promise<void> {
  const [variant, hs, ts, optJson] = process.argv.slice(2);
  const H = Number(hs), T = Number(ts);
  const o: WorkerOptions = optJson ? (JSON.parse(optJson) as WorkerOptions) : {};
  const B = o.B ?? 32;
  const cap = o.capSeconds ?? 40;
  const choice = await selectBackend('wasm', { wasmDir: defaultWasmDir() });
  const io: ModelIO = { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' };
  const batch = makeBatch(B, T, 1234);
  const trace: TraceRequest = { sample: 0, reachFrom: -1, jacobian: false };
  let step: () => Promise<void>;
  let note = '';
  switch (variant as Variant) {
    case 'fused-rec':
    case 'fused-norec': {
      const m = createFastModel(lstmSpec(H), io, 1);
      note = pathOf(m);
      if (!loadNativeBlas()) note += ' (native BLAS bridge not available)';
      step = modelStep(m, batch, variant === 'fused-rec' ? trace : null);
      break;
    }
    case 'fused-wasm-rec': {
      const w = loadWasmKernel();
      if (!w.kernel) throw new Error(`wasm SIMD kernel unavailable: ${w.problem}`);
      const m = createFastModel(lstmSpec(H), io, 1, { gemm: wasmGemm(w.kernel) });
      note = pathOf(m);
      step = modelStep(m, batch, trace);
      break;
    }
    case 'fused-js-rec': {
      const m = createFastModel(lstmSpec(H), io, 1, { gemm: { name: 'js', sgemm: jsSgemm } });
      note = m.path;
      step = modelStep(m, batch, trace);
      break;
    }
    case 'gru-rec':
    case 'rnn-rec': {
      // The other cells as training runs them (createFastModel: the fused GRU and RNN).
      const cell = variant === 'gru-rec' ? 'gru' : 'rnn';
      const m = createFastModel({ ...lstmSpec(H), cell }, io, 1);
      note = `${cell}: ${pathOf(m)}`;
      step = modelStep(m, batch, trace);
      break;
    }
    case 'reference-rec':
      step = modelStep(createModel(lstmSpec(H), io, 1), batch, trace);
      note = 'tfjs op-by-op engine (createModel), trace on';
      break;
    case 'tflayers':
      step = layersStep(H, T, B, batch);
      note = 'tf.layers.lstm + dense, trainOnBatch';
      break;
    default:
      throw new Error(`unknown variant ${variant}; one of ${VARIANTS.join(', ')}`);
  }
  const out: WorkerResult = { variant, H, T, B, times: [], median: null, first: null, rssMB: 0, backend: choice.backend, note };
  const cpu: number[] = [];
  const timeOne = async (): Promise<number> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    const dt = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    cpu.push((cu.user + cu.system) / 1e6);
    return dt;
  };
  out.first = await timeOne();
  if (out.first > cap) {
    out.skipped = `first step took ${out.first.toFixed(1)} s > cap ${cap} s`;
  } else {
    // Warm-up: JIT of the kernel and allocation of the work buffers happen in the first steps.
    const warm = o.warmup ?? (out.first < 1 ? 3 : 1);
    for (let k = 0; k < warm; k++) await timeOne();
    const minReps = o.minReps ?? 3, minSeconds = o.minSeconds ?? 6, maxReps = o.maxReps ?? 30;
    const t0 = performance.now();
    while (out.times.length < maxReps && (out.times.length < minReps || (performance.now() - t0) / 1000 < minSeconds)) {
      out.times.push(await timeOne());
    }
    out.median = median(out.times);
    out.cpuMedian = median(cpu.slice(cpu.length - out.times.length));
  }
  out.rssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

if (process.argv[1] && /worker\.ts$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stdout.write(`RESULT ${JSON.stringify({ error: String(e instanceof Error ? e.stack : e) })}\n`);
    process.exit(1);
  });
}
