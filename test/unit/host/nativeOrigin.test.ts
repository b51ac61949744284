// Native code only from the extension's own install folder. The packaged .vsix is installed the
// way VS Code does into a scratch extensions folder; a harmless addon that writes a marker file
// when loaded is planted as dist/fastblas.node in the current directory, in the workspace, beside
// the extensions folder (where a parent-relative lookup would land), at a path named by the old
// environment override, and as a fake @tensorflow/tfjs-node in a parent's node_modules. Training
// and the saved-run evaluator run from the installed layout and the marker is never written.
// Positive control: the same addon inside the install folder IS loaded (so the marker works), is
// refused by an untrusted workspace's evaluator, and its failure to register is reported by file
// and reason while training goes on on the wasm kernel.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SavedRunEvaluator } from '../../../src/extension/savedRunEvaluator';
import { TrainerClient, type TrainerExit } from '../../../src/extension/trainerClient';
import type { RunSpec } from '../../../src/protocol/spec';
import { repoRoot } from './buildTrainer';
import { withDistLock } from './distLock';
import { tinySpec } from './fixtures';

let tmp = '';
let ext = '';
let marker = '';
let addon = '';
let workspace = '';
let cwdDir = '';
const compiler = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rnn-native-origin-'));
  marker = join(tmp, 'MARKER');
  // The planted addon: a shared object whose constructor appends its own path to the marker file.
  const src = join(tmp, 'marker.c');
  writeFileSync(src, `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
  Dl_info info; FILE *f = fopen(${JSON.stringify(marker)}, "a");
  if (!f) return;
  fprintf(f, "%s\\n", dladdr((void *)planted, &info) && info.dli_fname ? info.dli_fname : "?");
  fclose(f);
}
`);
  addon = join(tmp, 'marker.node');
  if (compiler) {
    const r = spawnSync(compiler, ['-shared', '-fPIC', '-o', addon, src, '-ldl'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `building the marker addon: ${r.stderr}`);
  }
  // The package as users get it, unpacked as VS Code does.
  const vsix = join(tmp, 'rnn-debugger.vsix');
  const p = withDistLock(() => spawnSync(process.execPath, [join(repoRoot, 'scripts/package.mjs'), '--out', vsix], { cwd: repoRoot, encoding: 'utf8' }));
  assert.equal(p.status, 0, `packaging failed: ${p.stdout}\n${p.stderr}`);
  const { installVsix } = (await import(join(repoRoot, 'scripts/install-vsix.mjs'))) as { installVsix: (v: string, d: string) => string };
  const extensions = join(tmp, 'home', '.vscode', 'extensions');
  ext = installVsix(vsix, extensions);
  assert.ok(existsSync(join(ext, 'dist', 'trainer.js')), 'the package carries dist/trainer.js');
  assert.ok(!existsSync(join(ext, 'dist', 'fastblas.node')), 'the universal package carries no native BLAS bridge');

  workspace = join(tmp, 'workspace');
  cwdDir = join(tmp, 'cwd');
  if (compiler) {
    const plant = (file: string): void => {
      mkdirSync(dirname(file), { recursive: true });
      cpSync(addon, file);
    };
    plant(join(cwdDir, 'dist', 'fastblas.node'));
    plant(join(workspace, 'dist', 'fastblas.node'));
    // Where resolve(<ext>/dist, '../../../dist') lands, and a parent's dist/ and node_modules.
    plant(join(dirname(dirname(ext)), 'dist', 'fastblas.node'));
    plant(join(dirname(ext), 'dist', 'fastblas.node'));
    plant(join(tmp, 'env', 'fastblas.node'));
    for (const nm of [join(dirname(ext), 'node_modules'), join(tmp, 'home', 'node_modules')]) {
      const pkg = join(nm, '@tensorflow', 'tfjs-node');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '9.9.9', main: 'index.js' }));
      writeFileSync(join(pkg, 'index.js'), `process.dlopen({ exports: {} }, ${JSON.stringify(addon)}); module.exports = { version: {} };\n`);
    }
  }
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'corpus.txt'), 'the cat sat on the mat. '.repeat(40));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const markerLines = (): string[] => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : []);

function textSpec(): RunSpec {
  return tinySpec({
    data: { kind: 'text', path: join(workspace, 'corpus.txt') },
    train: { ...tinySpec().train, steps: 4, seqLength: 12, validateEvery: 2 },
    backend: 'auto', // would try @tensorflow/tfjs-node first
  });
}

/** Trains from the installed trainer with `cwd` as the current directory; resolves with its exit and log. */
async function trainFrom(cwd: string, runDir: string, env?: Record<string, string>): Promise<{ exit: TrainerExit; log: string[] }> {
  const here = process.cwd();
  process.chdir(cwd); // the fork inherits it: the editor started from this folder
  let client: TrainerClient;
  try {
    client = new TrainerClient({ trainerPath: join(ext, 'dist', 'trainer.js'), env });
  } finally {
    process.chdir(here);
  }
  client.start({ runId: 'r', spec: textSpec(), runDir, wasmDir: join(ext, 'dist'), limits: { metricsIntervalMs: 50, snapshotIntervalMs: 100 } });
  const exit = await client.whenExited();
  return { exit, log: client.logTail };
}

test('training and the saved-run evaluator from the installed package load no planted native code', { timeout: 180_000, skip: compiler ? false : 'no C compiler to build the marker addon' }, async () => {
  const runDir = join(workspace, '.rnn-debugger', 'runs', 'planted');
  const { exit, log } = await trainFrom(cwdDir, runDir, { RNN_DEBUGGER_FASTBLAS: join(tmp, 'env', 'fastblas.node') });
  assert.equal(exit.code, 0, log.join('\n'));
  const model = log.find((l) => /model: lstm, fused:/.test(l)) ?? '';
  console.log(`installed trainer: ${model}`);
  assert.match(model, /fused:wasm-simd/, 'the installed package trains on its wasm kernel');
  // Two threads where there are two cores: the worker thread's script came from the package too.
  // The extension's trainer leaves a core to the editor on machines of two cores or fewer.
  const threads = availableParallelism() > 2 ? '2 threads' : '1 thread';
  assert.ok(log.some((l) => l.includes(`CPU · fused LSTM · wasm SIMD (${threads})`)), `the compute path names the wasm kernel and its threads:\n${log.join('\n')}`);
  assert.ok(log.some((l) => /backend wasm\b.*tensorflow: not installed/.test(l)), `tfjs-node of a parent folder is not loaded:\n${log.join('\n')}`);
  assert.deepEqual(markerLines(), [], 'no planted addon was loaded by training');

  const here = process.cwd();
  process.chdir(cwdDir);
  const ev = new SavedRunEvaluator({ trainerPath: join(ext, 'dist', 'trainer.js'), runDir, wasmDir: join(ext, 'dist'), idleMs: 30_000 });
  try {
    process.chdir(here);
    const trace = await ev.traceText('the mat');
    assert.equal(trace.steps, 7);
  } finally {
    process.chdir(here);
    ev.dispose();
  }
  assert.deepEqual(markerLines(), [], 'no planted addon was loaded by the evaluator');
});

test('control: an addon inside the install folder is loaded when trusted, refused when not, and its failure is reported', { timeout: 180_000, skip: compiler ? false : 'no C compiler to build the marker addon' }, async () => {
  const own = join(ext, 'dist', 'fastblas.node');
  cpSync(addon, own);
  try {
    const runDir = join(workspace, '.rnn-debugger', 'runs', 'control');
    // An untrusted workspace's evaluator: native code off, so not even the install folder's.
    rmSync(marker, { force: true });
    const first = await trainFrom(workspace, runDir, { RNN_DEBUGGER_NATIVE: 'off' });
    assert.equal(first.exit.code, 0, first.log.join('\n'));
    assert.deepEqual(markerLines(), []);
    const untrusted = new SavedRunEvaluator({ trainerPath: join(ext, 'dist', 'trainer.js'), runDir, wasmDir: join(ext, 'dist'), idleMs: 30_000, nativeAllowed: () => false });
    try {
      assert.equal((await untrusted.traceText('the cat')).steps, 7);
    } finally {
      untrusted.dispose();
    }
    assert.deepEqual(markerLines(), [], 'an untrusted workspace evaluator loads no native code');

    // Trusted: the install folder's file is loaded (the marker works) — it is no Node addon, so
    // loading fails; the trainer says which file and why and trains on the wasm kernel.
    const { exit, log } = await trainFrom(workspace, join(workspace, '.rnn-debugger', 'runs', 'control2'));
    assert.equal(exit.code, 0, log.join('\n'));
    assert.deepEqual(markerLines(), [own], 'the install folder addon was loaded, and only it');
    const why = log.find((l) => l.includes('GEMM fallback: native BLAS:')) ?? '';
    console.log(`reported: ${why}`);
    assert.ok(why.includes(`${own} failed to load:`), `the failing file and reason are logged:\n${log.join('\n')}`);
    assert.ok(log.some((l) => /fused:wasm-simd/.test(l)), 'training fell back to the wasm kernel');
  } finally {
    rmSync(own, { force: true });
  }
});

test('corrupted native and wasm pieces in the package: training says which files failed and why, and runs on the JavaScript GEMM', { timeout: 120_000 }, async () => {
  const own = join(ext, 'dist', 'fastblas.node');
  const kernel = join(ext, 'dist', 'fused-kernel.wasm');
  const good = readFileSync(kernel);
  writeFileSync(own, Buffer.from('this is not a shared object'));
  writeFileSync(kernel, good.subarray(0, 40)); // truncated
  try {
    const { exit, log } = await trainFrom(workspace, join(workspace, '.rnn-debugger', 'runs', 'corrupted'));
    assert.equal(exit.code, 0, log.join('\n'));
    const lines = log.filter((l) => l.includes('GEMM fallback:'));
    console.log(lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`native BLAS: ${own} failed to load:`)), log.join('\n'));
    assert.ok(lines.some((l) => l.includes(`wasm SIMD: ${kernel} failed to load:`)), log.join('\n'));
    assert.ok(log.some((l) => /model: lstm, fused:js\b/.test(l)), 'training fell back to the JavaScript GEMM');
  } finally {
    rmSync(own, { force: true });
    writeFileSync(kernel, good);
  }
});
