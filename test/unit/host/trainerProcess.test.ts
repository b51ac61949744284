// The trainer child process for real: fork the bundled trainer with tiny specs and check what
// a user would see — messages arrive (typed arrays intact), the run folder is written, Stop and
// Pause work, a bad spec or a SIGKILL is reported as a failed run that keeps what it had, two
// runs at once do not interfere, a run folder that cannot be written leaves the run in memory.

import { fork } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { readRun } from '../../../src/core/runFolder';
import { traceText } from '../../../src/core/textTrace';
import { SavedRunEvaluator } from '../../../src/extension/savedRunEvaluator';
import { TrainerClient, finalStatusAfterExit, writeStatusFile, type TrainerExit } from '../../../src/extension/trainerClient';
import { TRAINER_NICENESS, type FromTrainerMessage } from '../../../src/protocol/trainer';
import type { RunSpec } from '../../../src/protocol/spec';
import { trainerBundle, wasmDir } from './buildTrainer';
import { tinySpec } from './fixtures';


let trainerPath = '';
let tmp = '';
const clients: TrainerClient[] = [];

before(async () => {
  trainerPath = await trainerBundle();
  tmp = mkdtempSync(join(tmpdir(), 'rnn-host-runs-'));
});
after(() => {
  for (const c of clients) c.kill();
  rmSync(tmp, { recursive: true, force: true });
});

interface Started {
  client: TrainerClient;
  messages: FromTrainerMessage[];
  runDir: string | null;
  /** Resolves when a message matching `pred` has arrived. */
  waitFor(pred: (m: FromTrainerMessage) => boolean, what: string, timeoutMs?: number): Promise<FromTrainerMessage>;
}

function start(name: string, spec: RunSpec, runDir: string | null = join(tmp, name), limits = { metricsIntervalMs: 50, snapshotIntervalMs: 100 }): Started {
  const client = new TrainerClient({ trainerPath });
  clients.push(client);
  const messages: FromTrainerMessage[] = [];
  const waiters: { pred: (m: FromTrainerMessage) => boolean; resolve: (m: FromTrainerMessage) => void }[] = [];
  client.onMessage((m) => {
    messages.push(m);
    for (const w of [...waiters]) {
      if (!w.pred(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  client.start({ runId: name, spec, runDir, wasmDir, limits });
  return {
    client, messages, runDir,
    waitFor(pred, what, timeoutMs = 30_000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; log:\n${client.logTail.join('\n')}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        void client.whenExited().then((e) => { clearTimeout(timer); reject(new Error(`trainer exited (${JSON.stringify({ code: e.code, signal: e.signal, crash: e.crash })}) before ${what}; log:\n${client.logTail.join('\n')}`)); });
      });
    },
  };
}

const metricSteps = (ms: FromTrainerMessage[]) => ms.flatMap((m) => (m.type === 'metrics' ? m.records.map((r) => r.step) : []));
const states = (ms: FromTrainerMessage[]) => ms.flatMap((m) => (m.type === 'status' ? [m.status.state] : []));
const longSpec = (over: Partial<RunSpec['train']> = {}) => tinySpec({ train: { ...tinySpec().train, steps: 100_000, ...over }, trace: { ...tinySpec().trace, every: 1000 } });

test('the trainer runs below normal priority, so the editor stays responsive while it trains', { timeout: 60_000 }, async () => {
  const r = start('niceness', longSpec(), null);
  const running = await r.waitFor((m) => m.type === 'status' && m.status.state === 'running' && m.status.pid !== undefined, 'running status with its pid');
  const pid = running.type === 'status' ? running.status.pid! : 0;
  assert.equal(os.getPriority(pid), TRAINER_NICENESS);
  if (process.platform === 'linux') {
    // Every thread of the process, the kernel's worker among them.
    const tasks = readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
    });
    assert.deepEqual(tasks.filter((t) => t.nice !== TRAINER_NICENESS), [], `threads: ${tasks.map((t) => `${t.comm}:${t.nice}`).join(' ')}`);
  }
  const exit = await r.client.stop(10_000);
  assert.equal(exit.lastStatus?.state, 'stopped');
});

test('a tiny run streams status, every metric and snapshots, and writes its run folder', { timeout: 60_000 }, async () => {
  const r = start('tiny', tinySpec());
  const exit = await r.client.whenExited();
  assert.equal(exit.code, 0, r.client.logTail.join('\n'));
  assert.equal(exit.crash, undefined);
  assert.deepEqual(states(r.messages).filter((s, i, a) => a[i - 1] !== s), ['starting', 'running', 'completed']);
  assert.deepEqual(metricSteps(r.messages), [1, 2, 3, 4, 5, 6], 'every step arrives once, in order');
  const snaps = r.messages.flatMap((m) => (m.type === 'snapshot' ? m.snapshots : []));
  assert.ok(snaps.length >= 2, `${snaps.length} snapshots`);
  assert.equal(snaps.at(-1)?.step, 6, 'the last step is traced and delivered');
  const layer = snaps[0].layers[0];
  assert.ok(layer.values.h instanceof Float32Array && layer.values.f instanceof Float32Array);
  assert.equal(layer.values.h.length, 6 * 4, '[T, H] = [6, 4]');
  assert.ok(layer.values.f.every((v) => v > 0 && v < 1), 'forget gate is a sigmoid');
  const last = r.messages.filter((m) => m.type === 'status').at(-1);
  assert.ok(last?.type === 'status' && last.status.backend === 'cpu');
  const onDisk = readRun(join(tmp, 'tiny'));
  assert.equal(onDisk.status.state, 'completed');
  assert.deepEqual(onDisk.metrics.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
  assert.equal(onDisk.snapshots.at(-1)?.step, 6);
});

test('an invalid spec ends the process with a reported reason, not a hang', { timeout: 30_000 }, async () => {
  const bad = tinySpec();
  (bad.model as { hiddenSize: number }).hiddenSize = -3;
  const r = start('bad', bad);
  const exit = await r.client.whenExited();
  assert.notEqual(exit.code, 0);
  assert.match(exit.crash ?? '', /hiddenSize/);
  const final = finalStatusAfterExit(exit, { id: 'bad', name: 'bad', state: 'starting', step: 0, startedAt: 0, updatedAt: 0, spec: bad });
  assert.equal(final.state, 'failed');
  assert.match(final.reason ?? '', /hiddenSize/);
  assert.ok(r.client.logTail.some((l) => /hiddenSize/.test(l)), 'the log holds the error for the Output channel');
});

test('SIGKILL mid-run: reported as killed, the run folder keeps the steps it had', { timeout: 60_000 }, async () => {
  const r = start('killed', longSpec());
  await r.waitFor((m) => m.type === 'metrics' && m.records.some((x) => x.step >= 3), 'step 3');
  process.kill(r.client.pid!, 'SIGKILL');
  const exit = await r.client.whenExited();
  assert.equal(exit.signal, 'SIGKILL');
  assert.match(exit.crash ?? '', /killed \(SIGKILL\)/);
  const final = finalStatusAfterExit(exit, exit.lastStatus!);
  assert.equal(final.state, 'failed');
  writeStatusFile(r.runDir!, final);
  const onDisk = readRun(r.runDir!);
  assert.equal(onDisk.status.state, 'failed');
  assert.match(onDisk.status.reason ?? '', /SIGKILL/);
  assert.ok(onDisk.metrics.length >= 3, `${onDisk.metrics.length} metrics kept on disk`);
  assert.ok(onDisk.snapshots.length >= 1, 'the first snapshot is kept');
  const streamed = metricSteps(r.messages);
  assert.deepEqual(onDisk.metrics.slice(0, streamed.length).map((m) => m.step), streamed, 'disk and stream agree');
});

test('pause holds the run, resume continues it, stop ends it as "stopped"', { timeout: 60_000 }, async () => {
  const r = start('pausing', longSpec());
  await r.waitFor((m) => m.type === 'metrics', 'first metrics');
  r.client.pause();
  await r.waitFor((m) => m.type === 'status' && m.status.state === 'paused', 'paused status');
  await new Promise((res) => setTimeout(res, 300)); // a step in progress may still land
  const atPause = metricSteps(r.messages).length;
  await new Promise((res) => setTimeout(res, 1000));
  assert.equal(metricSteps(r.messages).length, atPause, 'no steps while paused');
  r.client.resume();
  await r.waitFor((m) => m.type === 'metrics' && m.records.some((x) => x.step > atPause + 1), 'steps after resume');
  assert.equal(states(r.messages).filter((s) => s === 'running').length >= 2, true, 'running again after resume');
  const exit: TrainerExit = await r.client.stop(10_000);
  assert.equal(exit.code, 0);
  assert.equal(exit.killedAfterTimeout, false);
  assert.equal(exit.crash, undefined);
  assert.equal(exit.lastStatus?.state, 'stopped');
  assert.equal(readRun(r.runDir!).status.state, 'stopped');
});

test('a trainer whose host goes away ends its run as "interrupted" in the run folder', { timeout: 60_000 }, async () => {
  const runDir = join(tmp, 'orphaned');
  const child = fork(trainerPath, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const steps: number[] = [];
  const firstSteps = new Promise<void>((resolve) => child.on('message', (m: FromTrainerMessage) => {
    if (m.type === 'metrics') steps.push(...m.records.map((r) => r.step));
    if (steps.length >= 2) resolve();
  }));
  child.send({ type: 'start', runId: 'orphaned', spec: longSpec(), runDir, wasmDir, limits: { metricsIntervalMs: 50, snapshotIntervalMs: 100 } });
  await firstSteps;
  assert.equal(readRun(runDir).status.state, 'running', 'the folder says running while it trains');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.disconnect(); // what a reloaded window or a crashed extension host does to the channel
  assert.equal(await exited, 0);
  const run = readRun(runDir);
  assert.equal(run.status.state, 'interrupted');
  assert.match(run.status.reason ?? '', /went away/);
  assert.equal(run.status.pid, child.pid, 'the status names the trainer process');
  assert.ok(run.metrics.length >= 2, 'the steps it recorded are kept');
});

test('two runs at once both complete into their own folders', { timeout: 60_000 }, async () => {
  const a = start('twoA', tinySpec({ seed: 5 }));
  const b = start('twoB', tinySpec({ seed: 6, model: { ...tinySpec().model, cell: 'gru' } }));
  const [ea, eb] = await Promise.all([a.client.whenExited(), b.client.whenExited()]);
  assert.equal(ea.code, 0);
  assert.equal(eb.code, 0);
  assert.deepEqual(metricSteps(a.messages), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(metricSteps(b.messages), [1, 2, 3, 4, 5, 6]);
  const ra = readRun(a.runDir!);
  const rb = readRun(b.runDir!);
  assert.equal(ra.status.id, 'twoA');
  assert.equal(rb.status.id, 'twoB');
  assert.equal(rb.snapshots[0].cell, 'gru');
  assert.notEqual(ra.metrics[0].loss, rb.metrics[0].loss);
});

test('a run folder that cannot be written: clear error in the log, the run continues in memory', { timeout: 60_000 }, async () => {
  const blocker = join(tmp, 'a-file');
  writeFileSync(blocker, 'not a folder');
  const r = start('diskfail', tinySpec(), join(blocker, 'run'));
  const exit = await r.client.whenExited();
  assert.equal(exit.code, 0);
  assert.equal(exit.lastStatus?.state, 'completed');
  assert.deepEqual(metricSteps(r.messages), [1, 2, 3, 4, 5, 6], 'every step still streamed');
  assert.ok(r.client.logTail.some((l) => /cannot write the run folder/.test(l)), r.client.logTail.join('\n'));
  assert.ok(!existsSync(join(blocker, 'run')));
});

test('traceText evaluates a text with the live model, and refuses characters it never saw', { timeout: 60_000 }, async () => {
  const textFile = join(tmp, 'corpus.txt');
  writeFileSync(textFile, 'the cat sat on the mat. '.repeat(40));
  const spec = tinySpec({
    data: { kind: 'text', path: textFile },
    train: { ...tinySpec().train, steps: 100_000, seqLength: 12, validateEvery: 2 },
    trace: { ...tinySpec().trace, every: 1000 },
  });
  const r = start('text', spec);
  await r.waitFor((m) => m.type === 'metrics' && m.records.some((x) => x.step >= 3), 'step 3 (weights saved at step 2)');
  const trace = await r.client.traceText('the mat sat');
  assert.equal(trace.steps, 11);
  const vocabulary = r.client.lastStatus?.vocabulary ?? [];
  assert.deepEqual([...(trace.tokens ?? [])].map((t) => vocabulary[t]).join(''), 'the mat sat');
  assert.equal(trace.layers[0].values.h.length, 11 * 4);
  assert.ok(trace.stepLoss[0] > 0 && trace.stepLoss[10] === 0, 'loss on every step but the last');
  await assert.rejects(r.client.traceText('zebra!'), /not in the model's vocabulary/);
  await r.client.stop(10_000);
  assert.ok(JSON.parse(readFileSync(join(r.runDir!, 'status.json'), 'utf8')).state === 'stopped');
  await assert.rejects(r.client.traceText('the'), /exited/);

  // After the trainer has gone, an evaluator process serves the same request from the saved
  // weights, and its values are those of the CLI's evaluation (core traceText on the weights).
  const ev = new SavedRunEvaluator({ trainerPath, runDir: r.runDir!, wasmDir, idleMs: 30_000 });
  try {
    const saved = await ev.traceText('the mat sat');
    assert.ok(ev.running, 'the evaluator process should be alive after a request');
    assert.equal(saved.steps, 11);
    const run = readRun(r.runDir!);
    assert.equal(saved.step, run.weights?.index.step, 'the trace names the step of the saved weights');
    const model = createModel(run.spec.model, { vocabSize: vocabulary.length, inputSize: 0, outputSize: vocabulary.length, loss: 'xent' }, run.spec.seed);
    try {
      model.importWeights(run.weights!.tensors);
      const cli = traceText(model, vocabulary, 'the mat sat'); // T = 10: the last character is only predicted
      assert.equal(cli.steps, 10);
      const H = 4;
      for (const k of ['c', 'h', 'f', 'i', 'g', 'o'] as const) {
        const a = saved.layers[0].values[k]!, b = cli.layers[0].values[k]!;
        for (let j = 0; j < 10 * H; j++) assert.ok(Math.abs(a[j] - b[j]) < 1e-5, `${k}[${j}]: evaluator ${a[j]} vs CLI ${b[j]}`);
      }
      for (let t = 0; t < 10; t++) assert.ok(Math.abs(saved.stepLoss[t] - cli.stepLoss[t]) < 1e-5, `loss at t=${t}`);
      const dc = saved.layers[0].dc!, dcCli = cli.layers[0].dc!;
      for (let j = 0; j < 10 * H; j++) assert.ok(Math.abs(dc[j] - dcCli[j]) <= 1e-5 * Math.max(1, Math.abs(dcCli[j])), `∂L/∂c[${j}]`);
    } finally { model.dispose(); }
  } finally { ev.dispose(); }
  assert.ok(!ev.running);
});
