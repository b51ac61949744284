// The tfjs-node-gpu route of backend selection, driven through a real trainer process. The real
// package needs CUDA 11.2 and downloads libtensorflow from outside the npm registry, so it cannot
// be installed here: a stand-in @tensorflow/tfjs-node-gpu sits in the extension's own
// node_modules. Like the real one it registers the 'tensorflow' tfjs backend and exposes
// binding.isUsingGpuDevice(); it computes with tfjs's CPU kernels and says whether "a GPU" is
// there. What is tested is ours: that 'auto' takes tfjs-node-gpu only when it sees a GPU, that
// the LSTM then trains on the op-by-op engine (whose ops libtensorflow places on the GPU) instead
// of the fused CPU kernel, that the compute path says so, and that without a GPU the package
// is skipped with the reason and serves 'tensorflow' on the CPU without a second libtensorflow.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainerClient } from '../../../src/extension/trainerClient';
import { buildTrainerInto, wasmDir } from './buildTrainer';
import { tinySpec } from './fixtures';

let tmp = '';

/** An extension folder holding the trainer bundle and a stand-in tfjs-node-gpu that does or does not see a GPU. */
async function extensionWith(gpu: boolean): Promise<string> {
  const ext = join(tmp, gpu ? 'ext-gpu' : 'ext-nogpu');
  mkdirSync(join(ext, 'dist'), { recursive: true });
  writeFileSync(join(ext, 'package.json'), JSON.stringify({ name: 'rnn-debugger', version: '0.0.0' }));
  const pkg = join(ext, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }));
  // The globals tfjs-core keeps its engine and kernel registry in (shared by every copy of tfjs).
  writeFileSync(join(pkg, 'index.js'), `
const engine = globalThis._tfengine;
const registry = globalThis._tfGlobals.get('kernelRegistry');
for (const k of [...registry.values()]) if (k.backendName === 'cpu') registry.set('tensorflow_' + k.kernelName, { ...k, backendName: 'tensorflow' });
const cpu = engine.registryFactory.cpu.factory;
engine.registerBackend('tensorflow', () => Object.assign(cpu(), { binding: { isUsingGpuDevice: () => ${gpu} } }), 3);
module.exports = { version: { 'tfjs-node-gpu': '4.22.0-standin' } };
`);
  await buildTrainerInto(join(ext, 'dist'));
  return ext;
}

async function train(ext: string): Promise<{ code: number | null; log: string[] }> {
  const client = new TrainerClient({ trainerPath: join(ext, 'dist', 'trainer.js') });
  client.start({ runId: 'r', spec: tinySpec({ backend: 'auto' }), runDir: null, wasmDir, limits: { metricsIntervalMs: 50, snapshotIntervalMs: 100 } });
  const exit = await client.whenExited();
  return { code: exit.code, log: client.logTail };
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rnn-tfjs-node-gpu-'));
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("'auto' with tfjs-node-gpu seeing a GPU trains the LSTM op by op on it and says so", { timeout: 120_000 }, async () => {
  const { code, log } = await train(await extensionWith(true));
  assert.equal(code, 0, log.join('\n'));
  assert.ok(log.some((l) => /^backend tensorflow-gpu: GPU · CUDA · op-by-op \(tfjs-node-gpu\)/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => /^model: lstm, tfjs-gpu$/.test(l)), `the op-by-op engine trains, not the fused CPU kernel:\n${log.join('\n')}`);
});

test("'auto' with tfjs-node-gpu seeing no GPU skips it with the reason and trains on the fused CPU kernel", { timeout: 120_000 }, async () => {
  const { code, log } = await train(await extensionWith(false));
  assert.equal(code, 0, log.join('\n'));
  const line = log.find((l) => l.startsWith('backend ')) ?? '';
  assert.match(line, /^backend tensorflow: CPU · fused LSTM · /, log.join('\n'));
  assert.match(line, /tensorflow-gpu: loaded, but its libtensorflow sees no CUDA GPU/);
  assert.ok(log.some((l) => /^model: lstm, fused:/.test(l)), log.join('\n'));
});
