// Which Node runs the trainer: the setting, then a node ≥ 20 on PATH, then the host's own runtime
// when it is real Node; Electron (the desktop host) is used only as a CPU-only last resort, said so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseTrainerRuntime, probeNode, type RuntimeProbe } from '../../../src/extension/trainerRuntime';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-runtime-'));
const fakeNode = path.join(dir, 'node');
fs.writeFileSync(fakeNode, '#!/bin/sh\n');
fs.chmodSync(fakeNode, 0o755);
const electronHost = { ...process.versions, node: '20.18.1', electron: '32.2.6' } as NodeJS.ProcessVersions;
const nodeHost = { ...process.versions, node: '22.1.0' } as NodeJS.ProcessVersions;
delete (nodeHost as { electron?: string }).electron;
const probes = (table: Record<string, RuntimeProbe | null>) => (exe: string) => table[exe] ?? null;

test('the nodePath setting comes first', () => {
  const r = chooseTrainerRuntime({
    nodePath: '/opt/node22/bin/node', env: { PATH: dir }, hostVersions: electronHost, hostExecPath: '/usr/share/code/code', platform: 'linux',
    probe: probes({ '/opt/node22/bin/node': { node: '22.3.0', electron: null }, [fakeNode]: { node: '20.0.0', electron: null } }),
  });
  assert.equal(r.execPath, '/opt/node22/bin/node');
  assert.equal(r.gpuCapable, true);
  assert.match(r.description, /node 22\.3\.0 .*nodePath/);
});

test('a node ≥ 20 on PATH next, after a setting that is not usable (named)', () => {
  const r = chooseTrainerRuntime({
    nodePath: '/old/node', env: { PATH: `/nonexistent${path.delimiter}${dir}` }, hostVersions: electronHost, hostExecPath: '/usr/share/code/code', platform: 'linux',
    probe: probes({ '/old/node': { node: '18.20.0', electron: null }, [fakeNode]: { node: '20.11.1', electron: null } }),
  });
  assert.equal(r.execPath, fakeNode);
  assert.deepEqual(r.skipped, ['the setting rnnDebugger.trainer.nodePath: /old/node is Node 18.20.0, older than 20']);
});

test("the host's own runtime when it is real Node (code-server, remote server)", () => {
  const r = chooseTrainerRuntime({
    nodePath: '', env: { PATH: '/nonexistent' }, hostVersions: nodeHost, hostExecPath: '/srv/code-server/lib/node', platform: 'linux', probe: () => null,
  });
  assert.equal(r.execPath, undefined);
  assert.equal(r.gpuCapable, true);
  assert.deepEqual(r.skipped, ['no node on PATH']);
});

test('Electron is refused for the GPU with the reason: CPU only, and how to fix it', () => {
  const r = chooseTrainerRuntime({
    nodePath: '', env: { PATH: dir }, hostVersions: electronHost, hostExecPath: '/usr/share/code/code', platform: 'linux',
    probe: probes({ [fakeNode]: { node: '20.18.1', electron: '32.2.6' } }),
  });
  assert.equal(r.execPath, undefined);
  assert.equal(r.gpuCapable, false);
  assert.match(r.description, /Electron 32\.2\.6 as Node 20\.18\.1: CPU only \(install Node ≥ 20 or set rnnDebugger\.trainer\.nodePath/);
  assert.deepEqual(r.skipped, [`PATH: ${fakeNode} is Electron 32.2.6, not Node`]);
});

test('probeNode reads the versions of a real binary, and null for one that is not Node', () => {
  assert.deepEqual(probeNode(process.execPath), { node: process.versions.node, electron: null });
  assert.equal(probeNode(fakeNode), null);
});
