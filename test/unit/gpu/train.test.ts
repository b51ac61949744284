// The GPU engine inside the training loop, on whatever adapter exists (in CI: llvmpipe through
// OpenGL): a 20-step run agrees with the CPU engine from the same seed; selection never takes a
// software adapter for 'auto'; a lost device and an out-of-memory arena end the run as 'failed'
// with the reason, the run folder and the last good weights; sizes beyond the adapter's limits
// fail before the first step, naming the limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTraining } from '../../../src/core/train';
import { resolveSpec } from '../../../src/core/spec';
import { defaultWasmDir, selectBackend } from '../../../src/core/backend';
import { createDataSource } from '../../../src/core/data';
import { readRun } from '../../../src/core/runFolder';
import { hasGpuDeviceNode } from '../../../src/core/gpu/linuxGpuProbe';
import { createGpuModel, type GpuModel } from '../../../src/core/gpu/model';
import { openGpu, runtimeRefusal, type GpuDevice } from '../../../src/core/gpu/dawn';
import { testGpu } from './adapter';
import { recorder } from '../training/recorder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-gpu-train-'));
const wasmDir = defaultWasmDir();


const spec = (backend: string, over: Record<string, unknown> = {}) =>
  resolveSpec({
    data: { kind: 'text', path: path.join(tmp, 'text.txt') },
    model: { hiddenSize: 16 },
    train: { steps: 20, batchSize: 8, seqLength: 24, validateEvery: 10, clipNorm: 1, learningRate: 0.01 },
    trace: { every: 10, samples: [0, 3] },
    backend,
    seed: 3,
    ...over,
  });

fs.writeFileSync(path.join(tmp, 'text.txt'), 'the quick brown fox jumps over the lazy dog; '.repeat(60));

/** Largest |a − b| / max(1, |b|) over two arrays. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let e = 0;
  for (let k = 0; k < a.length; k++) e = Math.max(e, Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(b[k])));
  return e;
}

test('a 20-step run on the GPU and on the CPU engine from the same seed agree on the loss curve within 1e-4', async (t) => {
  const gpu = await testGpu(t);
  if (!gpu) return;
  const g = recorder();
  const runDir = path.join(tmp, 'gpu-run');
  const final = await runTraining(spec('webgpu'), { runDir, wasmDir, hooks: g.hooks, runId: 'g' });
  assert.equal(final.state, 'completed', final.reason);
  assert.equal(final.backend, 'webgpu');
  assert.equal(final.computePath, gpu.label);
  assert.match(final.computePath!, /^GPU · .+ · \w+ \(WebGPU\)$/);
  if (gpu.software) {
    assert.match(final.computePath!, /\(software\)/);
    assert.ok(final.warnings?.some((w) => /software adapter/.test(w)), 'the software adapter is warned about');
  }
  assert.match(g.rec.logs[0], /^backend webgpu: GPU · /, 'the first line names the GPU compute path');
  const c = recorder();
  const cpu = await runTraining(spec('wasm'), { runDir: path.join(tmp, 'cpu-run'), wasmDir, hooks: c.hooks, runId: 'c' });
  assert.equal(cpu.state, 'completed', cpu.reason);
  assert.match(cpu.computePath!, /^CPU · fused LSTM · /);

  assert.equal(g.rec.metrics.length, 20);
  // Float32 on both sides; the gradients agree to ~1e-6 (kernel tests), Adam amplifies little in 20 steps.
  assert.ok(maxRel(g.rec.metrics.map((m) => m.loss), c.rec.metrics.map((m) => m.loss)) < 1e-4, 'training loss curves');
  assert.ok(maxRel(g.rec.metrics.map((m) => m.gradNorm), c.rec.metrics.map((m) => m.gradNorm)) < 1e-3, 'gradient norms before clipping');
  assert.ok(maxRel(g.rec.metrics.map((m) => m.gradNormClipped), c.rec.metrics.map((m) => m.gradNormClipped)) < 1e-3, 'gradient norms after clipping');
  assert.deepEqual(g.rec.metrics.map((m) => m.clipped), c.rec.metrics.map((m) => m.clipped));
  const gv = g.rec.metrics.filter((m) => m.valLoss !== undefined), cv = c.rec.metrics.filter((m) => m.valLoss !== undefined);
  assert.deepEqual(gv.map((m) => m.step), [10, 20]);
  assert.ok(maxRel(gv.map((m) => m.valLoss!), cv.map((m) => m.valLoss!)) < 1e-4, 'validation loss');
  // The same snapshots: steps 1, 10, 20 × samples 0, 3, every recorded quantity.
  assert.deepEqual(g.rec.snapshots.map((s) => [s.step, s.sample]), c.rec.snapshots.map((s) => [s.step, s.sample]));
  g.rec.snapshots.forEach((sg, k) => {
    const sc = c.rec.snapshots[k];
    assert.ok(maxRel(sg.stepLoss, sc.stepLoss) < 1e-3, `step ${sg.step} stepLoss`);
    const lg = sg.layers[0], lc = sc.layers[0];
    for (const key of Object.keys(lc.values)) assert.ok(maxRel(lg.values[key], lc.values[key]) < 1e-3, `step ${sg.step} ${key}`);
    for (const key of ['dh', 'dc', 'reachH', 'reachC', 'dhNorm', 'dcNorm', 'jacobianSigma'] as const) {
      if (lc[key] === undefined) continue;
      assert.ok(maxRel(lg[key]!, lc[key]!) < 1e-3, `step ${sg.step} ${key}`);
    }
    for (const gate of Object.keys(lc.saturation)) assert.deepEqual(lg.saturation[gate], lc.saturation[gate]);
  });
  // status.json of the run folder names the compute path.
  assert.equal(readRun(runDir).status.computePath, gpu.label);
});

test("'auto' never trains on a software adapter; it says why it skipped it", async (t) => {
  const gpu = await testGpu(t);
  if (!gpu) return;
  if (!gpu.software) return t.skip(`the adapter here (${gpu.label}) is hardware: auto would rightly take it`);
  const c = await selectBackend('auto', { wasmDir, gpu: true });
  assert.notEqual(c.backend, 'webgpu');
  assert.equal(c.gpu, undefined);
  // Where no GPU device node exists the software renderer is not even asked for (Dawn's warnings).
  assert.match(c.skipped.webgpu!, hasGpuDeviceNode() ? new RegExp(`${gpu.adapterName} \\(software, not chosen automatically\\)`) : /OpenGL: no GPU device node .*software renderer, not chosen automatically/);
  const r = recorder();
  const final = await runTraining(spec('auto', { train: { steps: 2, batchSize: 4, seqLength: 12 } }), { runDir: null, wasmDir, hooks: r.hooks });
  assert.equal(final.state, 'completed');
  assert.match(final.computePath!, /^CPU · /);
  // The compute-path line (GEMM fallback lines may come before it, depending on the machine's BLAS).
  const backendLine = r.rec.logs.find((l) => l.startsWith('backend ')) ?? r.rec.logs.join('\n');
  assert.match(backendLine, /skipped webgpu: .*software.*, not chosen automatically/);
});

test('the GPU engine refuses an Electron runtime, naming it, and runs on real Node ≥ 20 only', () => {
  assert.match(runtimeRefusal({ ...process.versions, electron: '30.1.2' }) ?? '', /Electron 30\.1\.2.*real node binary/);
  assert.match(runtimeRefusal({ ...process.versions, node: '18.19.0' }) ?? '', /Node 18\.19\.0 is older than 20/);
  assert.equal(runtimeRefusal({ ...process.versions }), null);
});

test('a GRU run on the GPU and on the CPU from the same seed agree on the loss curve within 1e-4', async (t) => {
  if (!(await testGpu(t))) return;
  const over = { model: { cell: 'gru', hiddenSize: 12 }, train: { steps: 20, batchSize: 4, seqLength: 16, validateEvery: 10, clipNorm: 1, learningRate: 0.01 } };
  const g = recorder(), c = recorder();
  const a = await runTraining(spec('webgpu', over), { runDir: null, wasmDir, hooks: g.hooks });
  const b = await runTraining(spec('wasm', over), { runDir: null, wasmDir, hooks: c.hooks });
  assert.equal(a.state, 'completed', a.reason);
  assert.equal(b.state, 'completed', b.reason);
  assert.match(a.computePath!, /^GPU · /);
  assert.match(b.computePath!, /^CPU · fused GRU · /);
  assert.ok(maxRel(g.rec.metrics.map((m) => m.loss), c.rec.metrics.map((m) => m.loss)) < 1e-4, 'training loss curves');
  assert.deepEqual(g.rec.snapshots.map((s) => Object.keys(s.layers[0].values).sort()), c.rec.snapshots.map((s) => Object.keys(s.layers[0].values).sort()));
});

test('sizes beyond the adapter limits fail before the first step, naming the limit and the size', async (t) => {
  const gpu = await testGpu(t);
  if (!gpu) return;
  // The arena grows with T·B·4H: pick T so it is just over maxStorageBufferBindingSize.
  const H = 256, B = 64;
  const seqLength = Math.ceil(gpu.limits.maxStorageBufferBindingSize / (4 * B * 4 * H * 2)) + 1;
  if (seqLength > 4096) return t.skip(`this adapter binds ${gpu.limits.maxStorageBufferBindingSize} bytes: too large to exceed cheaply`);
  const r = recorder();
  const runDir = path.join(tmp, 'too-big');
  const final = await runTraining(spec('webgpu', { data: { kind: 'adding', length: seqLength }, model: { hiddenSize: H }, train: { steps: 2, batchSize: B, seqLength } }), { runDir, wasmDir, hooks: r.hooks });
  assert.equal(final.state, 'failed');
  assert.match(final.reason!, new RegExp(`hidden ${H}, 1 layer\\(s\\), batch ${B}, sequence ${seqLength}: the GPU engine needs [\\d.]+ MiB in one storage buffer, over ${gpu.adapterName}'s maxStorageBufferBindingSize of \\d+ MiB; lower hiddenSize, batchSize or seqLength`));
  assert.equal(r.rec.metrics.length, 0);
  assert.equal(readRun(runDir).status.state, 'failed');
});

/** Runs 5 steps on `gpu`, calling `fault` after step 2; returns what the run left. */
async function faultyRun(name: string, model: GpuModel | null, fault: () => void) {
  const runDir = path.join(tmp, name);
  const r = recorder({
    onStep: (m) => {
      if (m.step === 2) fault();
    },
  });
  const s = spec('webgpu', { train: { steps: 5, batchSize: 4, seqLength: 12, validateEvery: 100 } });
  const final = await runTraining(s, { runDir, wasmDir, hooks: r.hooks, saveEvery: 1, ...(model ? { modelFactory: () => model } : {}) });
  return { final, r, run: readRun(runDir) };
}

test('a device lost mid-run ends the run as failed with the reason, keeping the run folder and the weights of the last good step', async (t) => {
  if (!(await testGpu(t))) return;
  const gpu = await openGpu({ allowSoftware: true });
  const { final, r, run } = await faultyRun('lost', null, () => gpu.device.destroy());
  assert.equal(final.state, 'failed');
  assert.equal(final.step, 2);
  assert.match(final.reason!, /^step 3: .*GPU/);
  assert.deepEqual(r.rec.metrics.map((m) => m.step), [1, 2]);
  assert.equal(run.status.state, 'failed');
  assert.equal(run.metrics.length, 2);
  assert.equal(run.weights?.index.step, 2);
  // A new run opens a new device.
  const again = await openGpu({ allowSoftware: true });
  assert.notEqual(again.device, gpu.device);
  assert.equal(again.lostReason, null);
});

test('running out of GPU memory mid-run ends the run as failed naming the size, keeping the run folder and the last good weights', async (t) => {
  const real = await testGpu(t);
  if (!real) return;
  // Injected: the device reports out-of-memory for the next allocation (the arena after the
  // buffers are released), as a driver does when another process took the memory.
  let inject = false;
  const device = new Proxy(real.device, {
    get(target, key) {
      if (key === 'popErrorScope' && inject) return async () => ({ message: 'injected: out of memory' });
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const gpu: GpuDevice = { ...real, device };
  const s = spec('webgpu', { train: { steps: 5, batchSize: 4, seqLength: 12 } });
  const data = createDataSource(s, {});
  const model = await createGpuModel(s.model, data.io, s.seed, gpu, { chronoMaxLength: 12 });
  const { final, run } = await faultyRun('oom', model, () => {
    inject = true;
    model.releaseBuffers();
  });
  assert.equal(final.state, 'failed');
  assert.match(final.reason!, new RegExp(`^step 3: out of GPU memory on ${real.adapterName}: [\\d.]+ MiB for hidden 16, batch 4, sequence 12 did not fit; lower hiddenSize, batchSize or seqLength`));
  assert.equal(run.status.state, 'failed');
  assert.equal(run.weights?.index.step, 2);
});
