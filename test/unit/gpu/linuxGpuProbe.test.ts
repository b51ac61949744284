// The checks that spare the GPU probe Dawn's stderr warnings: the Vulkan loader (fixtures for each
// place the dynamic linker looks, and this machine's answer against ldconfig's) and the GPU device
// nodes (fixture /dev folders).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasGpuDeviceNode, hasVulkanLoader } from '../../../src/core/gpu/linuxGpuProbe';

const tmp = mkdtempSync(join(tmpdir(), 'rnn-vulkan-loader-'));

test('found through the linker cache, LD_LIBRARY_PATH or a trusted folder; not found otherwise', () => {
  const cacheWith = join(tmp, 'with.cache');
  const cacheWithout = join(tmp, 'without.cache');
  writeFileSync(cacheWith, Buffer.from('ld.so-1.7.0\0libEGL.so.1\0/lib/x86_64-linux-gnu/libEGL.so.1\0libvulkan.so.1\0/usr/lib/x86_64-linux-gnu/libvulkan.so.1\0'));
  // A name that merely contains the loader's (libvulkan.so.1.3) is not the loader.
  writeFileSync(cacheWithout, Buffer.from('ld.so-1.7.0\0libEGL.so.1\0/lib/x86_64-linux-gnu/libEGL.so.1\0/opt/libvulkan.so.1.3\0'));
  const dir = join(tmp, 'lib');
  mkdirSync(dir);
  assert.equal(hasVulkanLoader({ cacheFile: cacheWith, ldLibraryPath: '', dirs: [] }), true);
  assert.equal(hasVulkanLoader({ cacheFile: cacheWithout, ldLibraryPath: '', dirs: [] }), false);
  assert.equal(hasVulkanLoader({ cacheFile: join(tmp, 'absent.cache'), ldLibraryPath: '', dirs: [] }), false);
  writeFileSync(join(dir, 'libvulkan.so.1'), '');
  assert.equal(hasVulkanLoader({ cacheFile: cacheWithout, ldLibraryPath: `/nonexistent:${dir}`, dirs: [] }), true);
  assert.equal(hasVulkanLoader({ cacheFile: cacheWithout, ldLibraryPath: '', dirs: [dir] }), true);
});

test("this machine's answer is ldconfig's", { skip: process.platform !== 'linux' && 'Linux only' }, (t) => {
  const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].map((p) => spawnSync(p, ['-p'], { encoding: 'utf8' })).find((r) => r.status === 0);
  if (!ldconfig) return t.skip('no ldconfig');
  const listed = /\blibvulkan\.so\.1 \(/.test(ldconfig.stdout);
  assert.equal(hasVulkanLoader({ ldLibraryPath: '' }), listed);
});

test('a GPU device node is a DRM render node, NVIDIA\'s or WSL\'s; a card node alone or nothing is none', () => {
  const dev = (name: string, files: string[]): string => {
    const d = join(tmp, name);
    for (const f of files) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), '');
    }
    mkdirSync(d, { recursive: true });
    return d;
  };
  assert.equal(hasGpuDeviceNode(dev('none', [])), false);
  assert.equal(hasGpuDeviceNode(dev('card-only', ['dri/card0'])), false);
  assert.equal(hasGpuDeviceNode(dev('render', ['dri/card0', 'dri/renderD128'])), true);
  assert.equal(hasGpuDeviceNode(dev('nvidia', ['nvidia0', 'nvidiactl'])), true);
  assert.equal(hasGpuDeviceNode(dev('wsl', ['dxg'])), true);
});
