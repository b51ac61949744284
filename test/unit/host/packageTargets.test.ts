// scripts/package.mjs --target: a platform package is tagged for its platform, carries the wasm
// kernel, and carries native pieces (dist/*.node) only when it is this machine's platform.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './buildTrainer';
import { withDistLock } from './distLock';
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore: a plain .mjs script without types
import { dawnPlatform } from '../../../scripts/dawn.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'rnn-package-targets-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function entries(vsix: string): Promise<Map<string, Buffer>> {
  const { readZip } = (await import(join(repoRoot, 'scripts/install-vsix.mjs'))) as { readZip: (b: Buffer) => Map<string, Buffer> };
  return readZip(readFileSync(vsix));
}

function pack(target: string, build: boolean): { vsix: string; stdout: string } {
  const vsix = join(tmp, `${target}.vsix`);
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/package.mjs'), '--target', target, '--out', vsix, ...(build ? [] : ['--no-build'])], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return { vsix, stdout: r.stdout };
}

test('the universal package carries no native piece', { timeout: 180_000 }, async () => {
  const { vsix } = withDistLock(() => pack('universal', false));
  const native = [...(await entries(vsix)).keys()].filter((n) => n.endsWith('.node'));
  assert.deepEqual(native, [], 'the universal package runs on wasm and JavaScript only');
  const names = [...(await entries(vsix)).keys()];
  assert.ok(names.includes('extension/dist/fused-kernel.wasm') && names.includes('extension/dist/fused-kernel-worker.cjs'), 'the wasm kernel and its worker thread ship');
});

test('platform packages: tagged, wasm kernel everywhere, native pieces only on the platform they were built on', { timeout: 180_000 }, async () => {
  const host = `${process.platform}-${process.arch}`;
  const other = host === 'linux-arm64' ? 'darwin-x64' : 'linux-arm64';
  const { mine, natives, theirs } = withDistLock(() => ({
    mine: pack(host, true),
    natives: readdirSync(join(repoRoot, 'dist')).filter((f) => f.endsWith('.node')),
    theirs: pack(other, false),
  }));
  for (const [target, p] of [[host, mine], [other, theirs]] as const) {
    const e = await entries(p.vsix);
    assert.match(e.get('extension.vsixmanifest')?.toString('utf8') ?? '', new RegExp(`TargetPlatform="${target}"`), `${target} is tagged`);
    assert.ok(e.has('extension/dist/trainer.js'), `${target} carries the trainer`);
    assert.ok(e.has('extension/dist/fused-kernel.wasm'), `${target} carries the wasm kernel`);
    assert.ok(e.has('extension/dist/fused-kernel-worker.cjs'), `${target} carries the wasm kernel's worker thread`);
    assert.match(p.stdout, /fused-kernel\.wasm\s+\d+ B/, 'the contents are listed with sizes');
    assert.match(p.stdout, new RegExp(`${target}: .*\\(\\d+\\.\\d\\d MiB, \\d+ bytes\\)`), 'the size is printed');
    const shipped = [...e.keys()].filter((n) => n.endsWith('.node')).map((n) => n.slice('extension/dist/'.length)).sort();
    // Built here: only in this platform's package. Dawn's prebuilt binding: each platform's own.
    const dawn = existsSync(join(repoRoot, 'node_modules/webgpu/dist', dawnPlatform(target))) ? [`webgpu/${dawnPlatform(target)}/dawn.node`] : [];
    assert.deepEqual(shipped, [...(target === host ? natives : []), ...dawn].sort(), `${target}: native pieces`);
  }
  console.log(`host ${host} package carries ${natives.join(', ') || 'no native piece (none built)'}; ${other} carries none`);
});
