// The headless CLI: exit codes and single-line messages for bad input, a tiny train → trace
// round trip, and the real process exit code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cli-'));
const write = (name: string, content: string | Uint8Array): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
};

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, tmp);
  return { code, out, err };
}

test('--help prints usage and exits 0', async () => {
  const r = await run('--help');
  assert.equal(r.code, 0);
  assert.match(r.out.join('\n'), /rnn-debugger train \[options\]/);
  assert.equal((await run('train', '--help')).code, 0);
});

test('bad files exit 2 with one clear message', async () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['empty.txt', '', /empty\.txt is empty/],
    ['binary.txt', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x14]), /looks binary/],
    ['latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f]), /not valid UTF-8/],
  ];
  for (const [name, content, re] of cases) {
    const r = await run('train', '--data', write(name, content), '--backend', 'cpu');
    assert.equal(r.code, 2, name);
    assert.equal(r.err.length, 1, name);
    assert.match(r.err[0], re);
    assert.match(r.err[0], /^rnn-debugger: /);
  }
  const big = write('big.txt', 'abc '.repeat(300));
  const spec = write('big.rnn.json', JSON.stringify({ data: { kind: 'text', path: 'big.txt', maxBytes: 1000 } }));
  assert.ok(fs.existsSync(big));
  const r = await run('train', '--spec', spec);
  assert.equal(r.code, 2);
  assert.match(r.err[0], /is 1\.2 KB, larger than the limit of 1000 bytes/);
  const missing = await run('train', '--data', 'nope.txt');
  assert.equal(missing.code, 2);
  assert.match(missing.err[0], /nope\.txt does not exist/);
});

test('invalid spec values, options and spec files exit 2 naming the problem', async () => {
  let r = await run('train', '--task', 'copy', '--hidden', '0', '--clip', '-1');
  assert.equal(r.code, 2);
  assert.match(r.err[0], /model\.hiddenSize: must be at least 1, got 0/);
  assert.match(r.err[0], /train\.clipNorm: must be greater than 0, got -1/);
  r = await run('train', '--lr', 'fast');
  assert.equal(r.code, 2);
  assert.match(r.err[0], /--lr must be a number, got 'fast'/);
  r = await run('train', '--frobnicate', '3');
  assert.equal(r.code, 2);
  assert.match(r.err[0], /unknown option --frobnicate/);
  r = await run('train', '--task', 'parity');
  assert.equal(r.code, 2);
  r = await run('train', '--spec', write('broken.rnn.json', '{ "model": '));
  assert.equal(r.code, 2);
  assert.match(r.err[0], /not valid JSON/);
  r = await run('train', '--spec', write('typo.rnn.json', JSON.stringify({ modle: {} })));
  assert.equal(r.code, 2);
  assert.match(r.err[0], /modle: unknown field/);
  r = await run('frobnicate');
  assert.equal(r.code, 2);
});

test('train writes a run folder; trace evaluates it on a text and writes the per-timestep trace', async () => {
  write('tiny.txt', 'if (a) { b("x"); } else { c(\'y\'); }\n'.repeat(30));
  const r = await run('train', '--data', 'tiny.txt', '--cell', 'gru', '--hidden', '6', '--steps', '3', '--batch', '2', '--seq', '12', '--backend', 'cpu', '--out', 'runs', '--seed', '4');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.match(r.out[0], /^backend cpu/);
  assert.ok(r.out.some((l) => /^step 3\/3 {2}loss \d\.\d{4} {2}val \d\.\d{4} {2}grad /.test(l)));
  const runDir = r.out.find((l) => l.startsWith('run folder: '))!.slice('run folder: '.length);
  assert.ok(fs.existsSync(path.join(runDir, 'weights', 'index.json')));
  write('probe.txt', 'if (b) { a("y"); }');
  const t = await run('trace', '--run', runDir, '--text', 'probe.txt', '--out', 'probe.json');
  assert.equal(t.code, 0, t.err.join('\n'));
  const doc = JSON.parse(fs.readFileSync(path.join(tmp, 'probe.json'), 'utf8'));
  assert.equal(doc.steps, 17);
  assert.equal(doc.inputs.join(''), 'if (b) { a("y"); ');
  assert.equal(doc.targets.join(''), 'f (b) { a("y"); }');
  assert.deepEqual(Object.keys(doc.layers[0].values).sort(), ['h', 'n', 'r', 'z']);
  assert.equal(doc.layers[0].values.z.length, 17);
  assert.equal(doc.layers[0].values.z[0].length, 6);
  assert.equal(doc.layers[0].dh.length, 17);
  assert.ok(doc.loss > 0 && Number.isFinite(doc.loss));
  // A character the model never saw is a clear error.
  const bad = await run('trace', '--run', runDir, '--text', write('unseen.txt', 'if (z) {}'));
  assert.equal(bad.code, 2);
  assert.match(bad.err[0], /"z" at character 4/);
  // Line ends read as in training and in the inspector: CRLF gives the trace of LF.
  write('probe-crlf.txt', 'if (b) {\r\n a("y"); }');
  write('probe-lf.txt', 'if (b) {\n a("y"); }');
  assert.equal((await run('trace', '--run', runDir, '--text', 'probe-crlf.txt', '--out', 'crlf.json')).code, 0);
  assert.equal((await run('trace', '--run', runDir, '--text', 'probe-lf.txt', '--out', 'lf.json')).code, 0);
  const crlf = JSON.parse(fs.readFileSync(path.join(tmp, 'crlf.json'), 'utf8'));
  const lf = JSON.parse(fs.readFileSync(path.join(tmp, 'lf.json'), 'utf8'));
  assert.deepEqual(crlf.inputs, lf.inputs);
  assert.deepEqual(crlf.layers[0].values.h, lf.layers[0].values.h);
  // train wrote the standalone report next to the run; `report` writes one where asked.
  const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, /id="run-data"/);
  const rep = await run('report', '--run', runDir, '--out', 'out/report.html');
  assert.equal(rep.code, 0, rep.err.join('\n'));
  assert.match(rep.out[0], /^wrote .*report\.html/);
  assert.ok(fs.statSync(path.join(tmp, 'out', 'report.html')).size > 10_000);
  assert.equal((await run('report', '--run', tmp)).code, 2, 'a folder that is no run is bad input');
});

test('trace refuses a run that is not character-level', async () => {
  const r = await run('train', '--task', 'adding', '--seq', '6', '--hidden', '4', '--steps', '1', '--batch', '2', '--backend', 'cpu', '--out', 'runs', '--quiet');
  assert.equal(r.code, 0, r.err.join('\n'));
  const runDir = r.out.find((l) => l.startsWith('run folder: '))!.slice('run folder: '.length);
  const t = await run('trace', '--run', runDir, '--text', write('x.txt', 'abc'));
  assert.equal(t.code, 2);
  assert.match(t.err[0], /trained on adding data/);
  assert.equal((await run('trace', '--run', tmp, '--text', 'x.txt')).code, 2);
});

test('the CLI process exits with code 2 on bad input', () => {
  const cli = path.join(__dirname, '..', '..', '..', 'src', 'cli.ts');
  const res = spawnSync(process.execPath, ['--import', 'tsx', cli, 'train', '--data', write('empty2.txt', '')], { encoding: 'utf8', cwd: path.join(__dirname, '..', '..', '..') });
  assert.equal(res.status, 2, res.stderr);
  assert.match(res.stderr.trim(), /^rnn-debugger: text file .*empty2\.txt is empty$/);
});

// The wasm kernel's worker thread is alive when training ends (it is never stopped explicitly on
// this path): the process must still exit by itself, promptly, with its exit code.
test('the CLI process exits by itself after training on the two-thread wasm kernel', { timeout: 180_000 }, () => {
  const cli = path.join(__dirname, '..', '..', '..', 'src', 'cli.ts');
  const res = spawnSync(process.execPath, ['--import', 'tsx', cli, 'train', '--task', 'copy', '--cell', 'lstm', '--hidden', '32', '--batch', '8',
    '--steps', '3', '--backend', 'wasm', '--out', path.join(tmp, 'threads'), '--no-report'], {
    encoding: 'utf8', cwd: path.join(__dirname, '..', '..', '..'), timeout: 120_000,
    // No native BLAS: the wasm kernel is the GEMM, as in the universal package.
    env: { ...process.env, RNN_DEBUGGER_NATIVE: 'off' },
  });
  assert.equal(res.signal, null, `the CLI did not exit by itself (killed by ${res.signal}):\n${res.stdout}\n${res.stderr}`);
  assert.equal(res.status, 0, res.stderr);
  const threads = os.availableParallelism() >= 2 ? '2 threads' : '1 thread';
  assert.match(res.stdout, new RegExp(`CPU · fused LSTM · wasm SIMD \\(${threads}\\)`), res.stdout);
  assert.match(res.stdout, /completed after 3 steps/);
});
