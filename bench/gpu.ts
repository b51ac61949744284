// `npm run bench:gpu`: s/step of the GPU engine on whatever WebGPU adapter this machine has,
// against the CPU fused engine in the same sitting, for the configurations of `npm run bench`
// (B = 32, one-hot input of 32 tokens, V = 32, softmax CE at every step, BPTT, Adam, recording
// of one sample on). Says plainly when the adapter is software: then the GPU figures are the
// CPU emulating a GPU, not GPU figures. Saves bench/results/gpu.json.
// Usage: node --import tsx bench/gpu.ts [--configs=64x100,256x100] [--min-seconds=3] [--software]

import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defaultWasmDir, selectBackend } from '../src/core/backend';
import { createFastModel } from '../src/core/fast/model';
import { openGpu } from '../src/core/gpu/dawn';
import { createGpuModel } from '../src/core/gpu/model';
import { computePathLabel } from '../src/core/computePath';
import type { Batch, ModelIO, RecurrentModel, StepResult, TraceRequest } from '../src/core/types';
import type { ModelSpec } from '../src/protocol/spec';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const B = 32, V = 32;
const configs = (flag('configs') ?? '64x100,64x500,256x100,256x500').split(',').map((c) => c.split('x').map(Number) as [number, number]);
const minSeconds = Number(flag('min-seconds') ?? 3);
const cap = 60;

const spec = (H: number): ModelSpec => ({
  cell: 'lstm', hiddenSize: H, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
  cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh',
});
const io: ModelIO = { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' };

function batch(T: number): Batch {
  let s = 7;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const tokens = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * V));
  const targetTokens = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * V));
  return { batchSize: B, steps: T, tokens, inputs: null, targetTokens, targets: null, mask: new Float32Array(B * T).fill(1) };
}

/** Median wall time of training steps (forward/backward + Adam), after one warm-up step. */
async function time(model: RecurrentModel, b: Batch): Promise<{ median: number | null; first: number; reps: number; note?: string }> {
  const opt = tf.train.adam(1e-3);
  const trace: TraceRequest = { sample: 0, reachFrom: -1, jacobian: false };
  const step = async (): Promise<void> => {
    const r: StepResult = model.forwardBackwardAsync ? await model.forwardBackwardAsync(b, null, trace) : model.forwardBackward(b, null, trace);
    opt.applyGradients(Object.entries(r.grads).map(([name, tensor]) => ({ name: model.params[name].name, tensor })));
    tf.dispose(Object.values(r.grads));
  };
  let t0 = performance.now();
  await step();
  const first = (performance.now() - t0) / 1000;
  if (first > cap) return { median: null, first, reps: 0, note: `first step ${first.toFixed(1)} s > cap ${cap} s` };
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < minSeconds * 1000 && times.length < 20)) {
    t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1000);
  }
  opt.dispose();
  times.sort((a, c) => a - c);
  return { median: times[Math.floor(times.length / 2)], first, reps: times.length };
}

async function main(): Promise<void> {
  const choice = await selectBackend('auto', { wasmDir: defaultWasmDir() });
  let gpu;
  try {
    gpu = await openGpu({ allowSoftware: true });
  } catch (e) {
    console.log(`No WebGPU adapter on this machine: ${(e as Error).message}. Nothing to measure.`);
    process.exitCode = 1;
    return;
  }
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, Node ${process.version}; tfjs backend for the parameters and Adam: ${choice.tfjsBackend}`);
  console.log(`adapter: ${gpu.label}`);
  if (gpu.software) {
    console.log(`NOTE: ${gpu.adapterName} is a SOFTWARE adapter: the "GPU" column below is the CPU emulating a GPU.\n` +
      'These are not GPU figures; they only show the engine runs. Run this on a machine with a GPU to measure it.');
  }
  console.log(`B=${B}, one-hot V=${V}, softmax CE at every step, BPTT, Adam, recording of one sample; medians of ≥ 3 steps after one warm-up\n`);
  console.log('| H | T | CPU engine | s/step | GPU engine | s/step | GPU ÷ CPU |');
  console.log('|---|---|---|---|---|---|---|');
  const results: unknown[] = [];
  for (const [H, T] of configs) {
    const b = batch(T);
    const cpu = createFastModel(spec(H), io, 1);
    const cpuLabel = computePathLabel(cpu.path, choice.tfjsBackend);
    const c = await time(cpu, b);
    cpu.dispose();
    let g: Awaited<ReturnType<typeof time>> | { median: null; note: string };
    try {
      const gm = await createGpuModel(spec(H), io, 1, gpu);
      gm.checkFits(B, T);
      g = await time(gm, b);
      gm.dispose();
    } catch (e) {
      g = { median: null, note: (e as Error).message.split('\n')[0] };
    }
    const ratio = c.median && g.median ? (g.median / c.median).toFixed(2) + '×' : '—';
    console.log(`| ${H} | ${T} | ${cpuLabel} | ${c.median?.toFixed(3) ?? c.note} | ${gpu.label} | ${g.median?.toFixed(3) ?? g.note} | ${ratio} |`);
    results.push({ H, T, B, cpu: { path: cpuLabel, ...c }, gpu: { path: gpu.label, ...g } });
  }
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'gpu.json'), JSON.stringify({ at: new Date().toISOString(), adapter: gpu.label, software: gpu.software, cpu: os.cpus()[0]?.model, results }, null, 2));
  console.log(`\nsaved bench/results/gpu.json${gpu.software ? ' (software adapter: not GPU figures)' : ''}`);
}

void main().then(() => process.exit());
