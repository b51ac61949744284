// The CLI with --backend webgpu: bad input (no adapter) is exit 2 with one line naming what was
// found; with an adapter the first line names the GPU path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli';
import { hasVulkanLoader } from '../../../src/core/gpu/linuxGpuProbe';
import { testGpu } from './adapter';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-gpu-cli-'));
const root = path.join(__dirname, '..', '..', '..');

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, tmp);
  return { code, out, err };
}

test('--backend webgpu where no adapter exists is exit 2, naming what was found', { skip: process.platform !== 'linux' && 'the no-adapter environment is made with Linux driver variables' }, () => {
  // No Vulkan driver list and an EGL platform Mesa does not have: no adapter on any API.
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli.ts'), 'train', '--task', 'adding', '--steps', '2', '--backend', 'webgpu', '--out', tmp], {
    cwd: root, encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json', EGL_PLATFORM: 'none-such' }, timeout: 120_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /rnn-debugger: --backend webgpu: no usable WebGPU adapter \(Vulkan: (no adapter|no Vulkan loader \(libvulkan\.so\.1\) on this machine); OpenGL: no adapter\)/);
  // Without a loader Vulkan is not even tried, so Dawn's own multi-line warning never appears.
  if (!hasVulkanLoader()) assert.doesNotMatch(r.stderr, /Couldn't load Vulkan/);
});

test('--backend webgpu trains on the adapter; the first line names the compute path', async (t) => {
  const gpu = await testGpu(t);
  if (!gpu) return;
  const r = await run(['train', '--task', 'adding', '--seq', '20', '--hidden', '8', '--steps', '3', '--backend', 'webgpu', '--out', tmp, '--no-report']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(r.out[0].split(' (skipped')[0], `backend webgpu: ${gpu.label}`);
  assert.match(r.out.join('\n'), /completed after 3 steps/);
});
