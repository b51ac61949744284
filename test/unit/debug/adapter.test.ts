// The `rnn` debug adapter over the Debug Adapter Protocol, against real trainer processes: a
// DAP client (DebugClient of @vscode/debugadapter-testsupport) talks to the adapter over a
// socket; the adapter drives a freshly built trainer one step at a time, so every assertion is
// on a held run (no timing). Values shown are checked against the run folder the trainer wrote.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { formatNumber } from '../../../src/core/debugExpr/evaluate';
import { parseExpression } from '../../../src/core/debugExpr/parse';
import { readRun } from '../../../src/core/runFolder';
import { DEBUG_LIMITS, standaloneProvider, type TrainerHandle } from '../../../src/extension/debug/runtime';
import { TrainerClient } from '../../../src/extension/trainerClient';
import { RnnDebugSession } from '../../../src/extension/debug/session';
import { trainerBundle, wasmDir } from '../host/buildTrainer';
import { tinySpec } from '../host/fixtures';

let tmp = '';
let server: Server;
let port = 0;
let runsRoot = '';
let trainerPath = '';
/** Runs an attach request may find (what Train RNN started, in the extension). */
const attachable = new Map<string, TrainerHandle>();

before(async () => {
  trainerPath = await trainerBundle();
  tmp = mkdtempSync(join(tmpdir(), 'rnn-debug-'));
  server = createServer((socket) => {
    const trainers = { ...standaloneProvider({ trainerPath, wasmDir, runsRoot }), attach: (id: string) => attachable.get(id) };
    const session = new RnnDebugSession({ trainers, stopTimeoutMs: 20_000 });
    session.setRunAsServer(true);
    session.start(socket, socket);
  }).listen(0);
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A client on a fresh adapter; runs go to a fresh folder so the test can find its run. */
async function client(name: string): Promise<DebugClient> {
  runsRoot = join(tmp, name);
  const dc = new DebugClient('node', 'unused', 'rnn');
  dc.defaultTimeout = 60_000;
  await dc.start(port);
  return dc;
}
function runDir(): string {
  const [id] = readdirSync(runsRoot);
  return join(runsRoot, id);
}

/** initialize → launch → (initialized) breakpoints → configurationDone, as VS Code does it. */
async function launch(dc: DebugClient, args: Record<string, unknown>, setup: () => Promise<unknown> = async () => undefined): Promise<void> {
  const initialized = dc.waitForEvent('initialized');
  await dc.initializeRequest({ adapterID: 'rnn', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const launched = dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await setup();
  await dc.configurationDoneRequest();
  await launched;
}

/** Sends a request and waits for the `stopped` event it causes. */
async function stopAfter(dc: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await request();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

const evaluate = async (dc: DebugClient, expression: string, frameId?: number): Promise<string> => (await dc.evaluateRequest({ expression, frameId, context: 'repl' })).body.result;
const frames = async (dc: DebugClient) => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;

function specFile(name: string, spec: object): string {
  const f = join(tmp, `${name}.rnn.json`);
  writeFileSync(f, JSON.stringify(spec));
  return f;
}

const longTiny = (over: Partial<ReturnType<typeof tinySpec>['train']> = {}) => tinySpec({ train: { ...tinySpec().train, steps: 100_000, ...over } });

test('conditional function breakpoint, Step Into/Back/Out/Over through timesteps, variables paging, values equal the run folder', { timeout: 120_000 }, async () => {
  const dc = await client('steps');
  try {
    let bps: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { spec: specFile('steps', longTiny()) }, async () => {
      bps = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'step == 3 && loss > 0' }, { name: 'loss >' }, { name: 'mean(z) > 0' }] });
    });
    assert.deepEqual(bps!.body.breakpoints.map((b) => b.verified), [true, false, false]);
    assert.match(bps!.body.breakpoints[1].message ?? '', /incomplete expression/);
    assert.match(bps!.body.breakpoints[2].message ?? '', /'z' is not a quantity of the lstm cell; its quantities are f, i, g, o, c, h/);
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(ev.body.reason, 'function breakpoint');
    let fs = await frames(dc);
    assert.deepEqual(fs.map((f) => f.name), ['step 3']);
    assert.deepEqual((await dc.stackTraceRequest({ threadId: 1, startFrame: 1, levels: 20 })).body.stackFrames, [], 'delayed loading gets no second copy');

    const dir = runDir();
    const onDisk = readRun(dir);
    const m3 = onDisk.metrics.find((m) => m.step === 3)!;
    const snap3 = onDisk.snapshots.find((s) => s.step === 3)!;
    assert.ok(snap3, 'the step is traced (traceEvery defaults to 1 under the debugger)');
    assert.equal(onDisk.metrics.at(-1)?.step, 3, 'the trainer is held: no step after the breakpoint');
    assert.equal(await evaluate(dc, 'loss', fs[0].id), formatNumber(m3.loss));

    // Scopes: Step, then Gates / State / Gradients of the layer.
    const scopes = (await dc.scopesRequest({ frameId: fs[0].id })).body.scopes;
    assert.deepEqual(scopes.map((s) => s.name), ['Step', 'Gates', 'State', 'Gradients']);
    const stepVars = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    assert.equal(stepVars.find((v) => v.name === 'gradNorm (before clipping)')?.value, formatNumber(m3.gradNorm));
    assert.equal(stepVars.find((v) => v.name === 'lr')?.value, formatNumber(m3.learningRate));
    // Step level: a gate is its [T, H] matrix, paged by timestep.
    const gates = (await dc.variablesRequest({ variablesReference: scopes[1].variablesReference })).body.variables;
    assert.deepEqual(gates.map((g) => g.name), ['f', 'i', 'g', 'o']);
    assert.equal(gates[0].indexedVariables, 6);
    assert.match(gates[0].value, /^\[6 × 4\] min .* mean .* max .* saturated \d+\/24$/);
    const rows = (await dc.variablesRequest({ variablesReference: gates[0].variablesReference, filter: 'indexed', start: 2, count: 2 })).body.variables;
    assert.deepEqual(rows.map((r) => r.name), ['t=2', 't=3']);

    // Step Into: t = 0, then t = 1; frames newest first.
    await stopAfter(dc, () => dc.stepInRequest({ threadId: 1 }));
    await stopAfter(dc, () => dc.stepInRequest({ threadId: 1 }));
    fs = await frames(dc);
    assert.deepEqual(fs.map((f) => f.name.replace(/^.* /, '')), ['t=1', 't=0']);
    const gatesT1 = (await dc.variablesRequest({ variablesReference: (await dc.scopesRequest({ frameId: fs[0].id })).body.scopes[1].variablesReference })).body.variables;
    assert.equal(gatesT1[0].indexedVariables, 4, 'at a timestep a gate is its [H] vector');
    const page = (await dc.variablesRequest({ variablesReference: gatesT1[0].variablesReference, filter: 'indexed', start: 1, count: 2 })).body.variables;
    const f = snap3.layers[0].values.f;
    assert.deepEqual(page.map((v) => [v.name, v.value]), [['[1]', formatNumber(f[1 * 4 + 1])], ['[2]', formatNumber(f[1 * 4 + 2])]]);
    assert.equal(await evaluate(dc, 'c[3]', fs[0].id), formatNumber(snap3.layers[0].values.c![1 * 4 + 3]));
    assert.equal(await evaluate(dc, 'c[3]', fs[1].id), formatNumber(snap3.layers[0].values.c![0 * 4 + 3]), 'the selected frame decides t');
    assert.equal(await evaluate(dc, 'dhNorm', fs[0].id), formatNumber(snap3.layers[0].dhNorm[1]));

    // Step Back to t = 0, Step Out to the step level, Step Over to step 4.
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.deepEqual((await frames(dc)).map((x) => x.name.replace(/^.* /, '')), ['t=0']);
    await stopAfter(dc, () => dc.stepOutRequest({ threadId: 1 }));
    assert.deepEqual((await frames(dc)).map((x) => x.name), ['step 3']);
    const over = await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    assert.equal(over.body.reason, 'step');
    assert.deepEqual((await frames(dc)).map((x) => x.name), ['step 4']);

    // Evaluate errors are one line naming the token; completions list names.
    await assert.rejects(dc.evaluateRequest({ expression: 'mean(f', context: 'repl' }), /expected '\)'/);
    await assert.rejects(dc.evaluateRequest({ expression: 'foo * 2', context: 'repl' }), /unknown name 'foo' at column 1/);
    await assert.rejects(dc.evaluateRequest({ expression: 'constructor', context: 'repl' }), /unknown name 'constructor'/);
    const comp = await dc.completionsRequest({ text: 'mean(gr', column: 8 });
    assert.deepEqual(comp.body.targets.map((t) => t.label), ['gradNorm', 'gradNormClipped']);

    // Stop: the trainer ends after its held step, the run folder says 'stopped' and keeps every step.
    await dc.disconnectRequest({ terminateDebuggee: true });
    const final = readRun(dir);
    assert.equal(final.status.state, 'stopped');
    assert.deepEqual(final.metrics.map((m) => m.step), [1, 2, 3, 4]);
  } finally {
    await dc.stop();
  }
});

test('hit count and an exploding-gradient filter with an edited threshold', { timeout: 120_000 }, async () => {
  const dc = await client('explode');
  try {
    // Plain SGD with a large rate and no clipping: the gradient norm grows step after step.
    const spec = tinySpec({ train: { ...tinySpec().train, steps: 200, optimizer: 'sgd', learningRate: 1, clipNorm: null } });
    let exc: DebugProtocol.SetExceptionBreakpointsResponse | undefined;
    const first = dc.waitForEvent('stopped');
    await launch(dc, { spec: specFile('explode', spec) }, async () => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'gradNorm > 0', hitCondition: '2' }] });
      exc = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'exploding', condition: '5' }, { filterId: 'lossSpike', condition: 'lots' }] });
    });
    assert.deepEqual(exc!.body?.breakpoints?.map((b) => b.verified), [true, false]);
    assert.match(exc!.body?.breakpoints?.[1].message ?? '', /a number ≥ 0; got 'lots'/);
    const hit = (await first) as DebugProtocol.StoppedEvent;
    assert.equal(hit.body.reason, 'function breakpoint');
    assert.deepEqual((await frames(dc)).map((f) => f.name), ['step 2'], 'hit count 2: the second step');
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const ev = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(ev.body.reason, 'exception');
    assert.match(ev.body.text ?? '', /gradient norm .* > 5 before clipping/);
    const step = Number((await frames(dc))[0].name.replace('step ', ''));
    const metrics = readRun(runDir()).metrics;
    assert.equal(metrics.at(-1)?.step, step, 'held at the step that exploded');
    assert.ok(metrics.at(-1)!.gradNorm > 5);
    assert.ok(metrics.slice(0, -1).every((m) => m.gradNorm <= 5), 'no earlier step crossed the threshold');
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, 'exploding');
    assert.equal(await evaluate(dc, 'gradNorm > 5'), 'true');
    await dc.disconnectRequest({ terminateDebuggee: true });
    assert.equal(readRun(runDir()).status.state, 'stopped');
  } finally {
    await dc.stop();
  }
});

test('non-finite filter: a ReLU RNN with a huge learning rate overflows; the failing step is shown, Continue ends', { timeout: 120_000 }, async () => {
  const dc = await client('nan');
  try {
    const spec = tinySpec({
      model: { ...tinySpec().model, cell: 'rnn', rnnActivation: 'relu' },
      train: { ...tinySpec().train, steps: 500, optimizer: 'sgd', learningRate: 1e6, clipNorm: null },
      data: { kind: 'adding', length: 30 },
    });
    spec.train.seqLength = 30;
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { spec: specFile('nan', spec) }, () => dc.setExceptionBreakpointsRequest({ filters: ['nonFinite'] }));
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(ev.body.reason, 'exception');
    assert.match(ev.body.description ?? '', /Non-finite/);
    const run = readRun(runDir());
    assert.equal(run.status.state, 'failed', 'the trainer ended the run at the bad step and kept the last good weights');
    const last = run.metrics.at(-1)!;
    assert.ok(!Number.isFinite(last.loss) || !Number.isFinite(last.gradNorm) || /non-finite/.test(run.status.reason ?? ''), JSON.stringify(last));
    await assert.rejects(dc.evaluateRequest({ expression: 'mean(o)', context: 'repl' }), /'o' is not a quantity of the rnn cell; its quantities are a, h/);
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await terminated;
  } finally {
    await dc.stop();
  }
});

/**
 * The exception stop `ev` of filter `id`: its reason is 'exception', its description the filter's
 * label, and exceptionInfo says what its text says. Returns the held step, the run folder's last.
 */
async function exceptionStop(dc: DebugClient, ev: DebugProtocol.StoppedEvent, id: string, label: string): Promise<number> {
  assert.equal(ev.body.reason, 'exception');
  assert.equal(ev.body.description, label);
  const info = await dc.exceptionInfoRequest({ threadId: 1 });
  assert.equal(info.body.exceptionId, id);
  assert.equal(info.body.description, ev.body.text);
  assert.equal(info.body.details?.message, ev.body.text);
  const step = Number((await frames(dc))[0].name.replace('step ', ''));
  assert.equal(readRun(runDir()).metrics.at(-1)?.step, step, 'the trainer is held at the step that stopped');
  return step;
}

/** Sets `filterId`'s threshold to `condition` alone, continues, and says how the session went on: 'terminated' or the stop's text. */
async function continueWith(dc: DebugClient, filterId: string, condition: string): Promise<string> {
  const set = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId, condition }] });
  assert.deepEqual(set.body?.breakpoints?.map((b) => b.verified), [true]);
  const next = nextEnd(dc);
  await dc.continueRequest({ threadId: 1 });
  return next;
}

/** How the session goes on from now: 'terminated', or the next stop's reason and text. */
function nextEnd(dc: DebugClient): Promise<string> {
  return new Promise<string>((resolve) => {
    dc.once('terminated', () => resolve('terminated'));
    dc.once('stopped', (e: DebugProtocol.StoppedEvent) => resolve(`stopped: ${e.body.reason}: ${e.body.text}`));
  });
}

test('vanishing-gradient filter: a tanh RNN on a 100-step adding problem; the reach at lag 99 equals the trace of the step', { timeout: 120_000 }, async () => {
  const dc = await client('vanish');
  try {
    const spec = tinySpec({
      model: { ...tinySpec().model, cell: 'rnn' },
      train: { ...tinySpec().train, steps: 8, seqLength: 100 },
      data: { kind: 'adding', length: 100 },
    });
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { spec: specFile('vanish', spec) }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'vanishing', condition: '1e-6' }] }));
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    const step = await exceptionStop(dc, ev, 'vanishing', 'Vanishing gradient');
    // Independently: ‖∂ℓ_τ/∂h_0‖ over the largest ‖∂ℓ_τ/∂h_t‖, t ≤ τ, from the step's trace (τ = 99, the last timestep).
    const ratio = (s: number) => {
      const snap = readRun(runDir()).snapshots.find((x) => x.step === s)!;
      const reach = Array.from(snap.layers[0].reachH).slice(0, snap.reachFrom + 1);
      assert.equal(snap.reachFrom, 99);
      return reach[0] / Math.max(...reach);
    };
    assert.ok(ratio(step) < 1e-6);
    for (let s = 1; s < step; s++) assert.ok(ratio(s) >= 1e-6, `step ${s} did not vanish below 1e-6`);
    assert.equal(ev.body.text, `step ${step}, layer 0: reach at lag 99 is ${ratio(step).toExponential(2)} of its peak (< ${1e-6})`);
    // With ε below what the run reaches, it runs to its end; at 1e-6 it would have stopped again.
    assert.equal(await continueWith(dc, 'vanishing', '1e-10'), 'terminated');
    const run = readRun(runDir());
    assert.equal(run.status.state, 'completed');
    const later = run.metrics.filter((m) => m.step > step).map((m) => ratio(m.step));
    assert.equal(later.length, 8 - step);
    assert.ok(later.every((r) => r >= 1e-10), later.join());
    assert.ok(later.some((r) => r < 1e-6), later.join());
  } finally {
    await dc.stop();
  }
});

test('gate-saturation filter: an LSTM with forget bias 2.5; the saturated fraction equals the trace of the step', { timeout: 120_000 }, async () => {
  const dc = await client('saturate');
  try {
    const spec = tinySpec({ model: { ...tinySpec().model, forgetBias: 2.5 }, train: { ...tinySpec().train, steps: 8 } });
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { spec: specFile('saturate', spec) }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'saturation', condition: '0.849' }] }));
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    const step = await exceptionStop(dc, ev, 'saturation', 'Gate saturation');
    // Independently: the fraction of each sigmoid gate's [T, H] values below 0.1 or above 0.9.
    const fractions = (s: number) => {
      const snap = readRun(runDir()).snapshots.find((x) => x.step === s)!;
      return (['f', 'i', 'o'] as const).map((g) => {
        const v = Array.from(snap.layers[0].values[g]!);
        return { g, frac: v.filter((x) => x < 0.1 || x > 0.9).length / v.length };
      });
    };
    const hit = fractions(step).find((x) => x.frac > 0.849);
    assert.equal(hit?.g, 'f', 'the forget gate, pushed open by its bias');
    for (let s = 1; s < step; s++) assert.ok(fractions(s).every((x) => x.frac <= 0.849), `step ${s}: ${JSON.stringify(fractions(s))}`);
    assert.equal(ev.body.text, `step ${step}, layer 0: ${(hit!.frac * 100).toFixed(1)}% of gate f saturated (> 84.9%)`);
    assert.equal(await evaluate(dc, 'sat(f)'), formatNumber(hit!.frac), 'the Debug Console says the same');
    // With p above what the run reaches, it runs to its end; at 0.849 it would have stopped again.
    assert.equal(await continueWith(dc, 'saturation', '0.95'), 'terminated');
    const run = readRun(runDir());
    assert.equal(run.status.state, 'completed');
    const later = run.metrics.filter((m) => m.step > step).map((m) => Math.max(...fractions(m.step).map((x) => x.frac)));
    assert.equal(later.length, 8 - step);
    assert.ok(later.every((f) => f <= 0.95), later.join());
    assert.ok(later.some((f) => f > 0.849), later.join());
  } finally {
    await dc.stop();
  }
});

test('loss-spike filter: SGD with a large learning rate diverges; the loss and the running mean equal metrics.jsonl', { timeout: 120_000 }, async () => {
  const dc = await client('spike');
  try {
    const steps = 30;
    const spec = tinySpec({ train: { ...tinySpec().train, steps, optimizer: 'sgd', learningRate: 1, clipNorm: null } });
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { spec: specFile('spike', spec) }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'lossSpike', condition: '5' }] }));
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    const step = await exceptionStop(dc, ev, 'lossSpike', 'Loss spike');
    // Independently: the mean of the losses of the (up to) 20 steps before, once there are 5.
    const spike = (s: number) => {
      const losses = readRun(runDir()).metrics.filter((m) => m.step <= s).map((m) => m.loss);
      const prior = losses.slice(Math.max(0, s - 1 - 20), s - 1);
      const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
      return { loss: losses[s - 1], mean, n: prior.length, ratio: prior.length >= 5 ? losses[s - 1] / mean : 0 };
    };
    const at = spike(step);
    assert.ok(at.ratio > 5, JSON.stringify(at));
    for (let s = 1; s < step; s++) assert.ok(spike(s).ratio <= 5, `step ${s}: ${JSON.stringify(spike(s))}`);
    assert.equal(ev.body.text, `step ${step}: loss ${formatNumber(at.loss)} > 5 × ${formatNumber(at.mean)} (mean of the previous ${at.n} steps)`);
    assert.equal(await evaluate(dc, 'loss'), formatNumber(at.loss));
    // With k above what the run reaches, it runs to its end; at 5 it would have stopped again.
    assert.equal(await continueWith(dc, 'lossSpike', '10'), 'terminated');
    const run = readRun(runDir());
    assert.equal(run.status.state, 'completed');
    assert.deepEqual(run.metrics.map((m) => m.step), Array.from({ length: steps }, (_, i) => i + 1));
    const later = run.metrics.filter((m) => m.step > step).map((m) => spike(m.step).ratio);
    assert.ok(later.every((r) => r <= 10), later.join());
    assert.ok(later.some((r) => r > 5), later.join());
  } finally {
    await dc.stop();
  }
});

test('text data: source breakpoint on a line, log point, frames located in the file, Reverse Continue', { timeout: 120_000 }, async () => {
  const dc = await client('text');
  try {
    const lines = ['the cat', 'sat on', 'the mat', 'a dog ran', 'to the cat'];
    const text = lines.map((l) => l + '\n').join('').repeat(30);
    const file = join(tmp, 'story.txt');
    writeFileSync(file, text);
    const spec = tinySpec({ data: { kind: 'text', path: file }, train: { ...tinySpec().train, steps: 100_000, seqLength: 12, batchSize: 2, validationFraction: 0 } });
    let bps: DebugProtocol.SetBreakpointsResponse | undefined;
    const stopped = dc.waitForEvent('stopped');
    const logged: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => logged.push(e.body.output));
    await launch(dc, { spec: specFile('text', spec) }, async () => {
      bps = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: 2, logMessage: 'line 2 at step {step}: t={t} loss={loss}' }, { line: 4, condition: 'step >= 2' }, { line: 3, condition: 'o[' }] });
    });
    assert.deepEqual(bps!.body.breakpoints.map((b) => b.verified), [true, true, false]);
    const ev = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(ev.body.reason, 'breakpoint');
    const fs = await frames(dc);
    const top = fs[0];
    assert.equal(top.line, 4, 'the frame is on the breakpoint line');
    assert.equal(top.source?.path, file);
    const dir = runDir();
    const run = readRun(dir);
    const step = Number(ev.body.text?.match(/step (\d+)/)?.[1]);
    assert.ok(step >= 2);
    const snap = run.snapshots.find((s) => s.step === step)!;
    assert.equal(typeof snap.textStart, 'number', 'text snapshots say where the sample starts');
    // Independently: the character the top frame reads is the first of line 4 in the window.
    const t = Number(top.name.match(/t=(\d+)$/)![1]);
    const offset = snap.textStart! + t;
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
    const line = lineStarts.filter((s) => s <= offset).length;
    assert.equal(line, 4);
    assert.equal(top.column, offset - lineStarts[line - 1] + 1);
    assert.ok(top.name.startsWith(JSON.stringify(text[offset])), `${top.name} names the character ${JSON.stringify(text[offset])}`);
    assert.equal(fs.length, t + 1, 'frames t … 0');
    // The log point wrote its message with the values of its step and never stopped.
    const logLines = logged.filter((l) => l.startsWith('line 2 at step'));
    assert.ok(logLines.length >= 1, logged.join(''));
    const m = /step (\d+): t=(\d+) loss=(\S+)/.exec(logLines[0])!;
    assert.equal(m[3], formatNumber(run.metrics.find((x) => x.step === Number(m[1]))!.loss));
    // Reverse Continue goes back to the previous timestep on a breakpoint line (line 2's, if the window covers it), else t = 0.
    await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    const back = (await frames(dc))[0];
    assert.ok(back.line === 2 || back.name.endsWith('t=0'), `${back.name} line ${back.line}`);
    await dc.disconnectRequest({ terminateDebuggee: true });
    assert.equal(readRun(dir).status.state, 'stopped');
  } finally {
    await dc.stop();
  }
});

/** The parse error of `src`, as the expression language words it. */
function messageOf(src: string): string {
  try {
    parseExpression(src);
  } catch (e) {
    return (e as Error).message;
  }
  return assert.fail(`'${src}' parses`);
}

test('a breakpoint condition that does not parse: unverified with the parse error as its message, and the run never stops on it', { timeout: 120_000 }, async () => {
  const dc = await client('badcond');
  try {
    // Three long lines: every window of every step reads one of them.
    const file = join(tmp, 'lines.txt');
    writeFileSync(file, ['the cat sat on the mat. ', 'a dog ran to the cat. ', 'the mat was red. '].map((l) => l.repeat(8) + '\n').join(''));
    const spec = tinySpec({ data: { kind: 'text', path: file }, train: { ...tinySpec().train, steps: 4, seqLength: 12, batchSize: 2, validationFraction: 0 } });
    let fns: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    let lines: DebugProtocol.SetBreakpointsResponse | undefined;
    const ended = nextEnd(dc);
    await launch(dc, { spec: specFile('badcond', spec) }, async () => {
      fns = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'step >= 1', condition: 'loss >' }, { name: 'gradNorm > (1' }] });
      lines = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [1, 2, 3].map((line) => ({ line, condition: 'step >= 1 &&' })) });
    });
    assert.equal(await ended, 'terminated', 'an unverified breakpoint is not set, not even without its condition');
    assert.deepEqual(fns!.body.breakpoints.map((b) => [b.verified, b.message]), [[false, messageOf('loss >')], [false, messageOf('gradNorm > (1')]]);
    assert.deepEqual(lines!.body.breakpoints.map((b) => [b.verified, b.message]), [1, 2, 3].map(() => [false, messageOf('step >= 1 &&')]));
    const run = readRun(runDir());
    assert.equal(run.status.state, 'completed');
    assert.deepEqual(run.metrics.map((m) => m.step), [1, 2, 3, 4]);
  } finally {
    await dc.stop();
  }
});

test('stop on entry, Pause, and disconnect while the run is running: the trainer stops after its step, the run folder is intact', { timeout: 120_000 }, async () => {
  const dc = await client('midrun');
  try {
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { task: 'adding', length: 6, overrides: { model: { hiddenSize: 4 }, train: { batchSize: 4, steps: 100_000 }, backend: 'cpu' }, stopOnEntry: true });
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
    assert.deepEqual((await frames(dc)).map((f) => f.name), ['before step 1']);
    // Pause holds the run after its current step: the run folder ends at the paused step.
    await dc.continueRequest({ threadId: 1 });
    const paused = await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
    assert.equal(paused.body.reason, 'pause');
    const n = Number((await frames(dc))[0].name.replace('step ', ''));
    assert.equal(readRun(runDir()).metrics.at(-1)?.step, n);
    await dc.continueRequest({ threadId: 1 });
    await dc.disconnectRequest({ terminateDebuggee: true });
    const run = readRun(runDir());
    assert.equal(run.status.state, 'stopped');
    assert.deepEqual(run.metrics.map((m) => m.step), run.metrics.map((_, i) => i + 1), 'every step up to the stop, in order');
    for (const s of run.snapshots) assert.equal(s.layers[0].values.h.length, 6 * 4);
  } finally {
    await dc.stop();
  }
});

test('a malformed launch configuration names the field', { timeout: 30_000 }, async () => {
  const dc = await client('badlaunch');
  try {
    await dc.initializeRequest();
    await assert.rejects(dc.launchRequest({ task: 'adding', traceEvery: -1 } as DebugProtocol.LaunchRequestArguments), /'traceEvery' must be a positive integer/);
    await assert.rejects(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments), /exactly one of 'spec', 'data' or 'task'/);
    await assert.rejects(dc.launchRequest({ task: 'adding', overrides: { train: { learningRate: -1 } } } as DebugProtocol.LaunchRequestArguments), /overrides → train\.learningRate/);
    await assert.rejects(dc.launchRequest({ spec: join(tmp, 'missing.rnn.json') } as DebugProtocol.LaunchRequestArguments), /'spec': cannot read .*ENOENT/);
  } finally {
    await dc.stop();
  }
});

test('attach to a running run: it holds at a breakpoint; Disconnect lets it run on', { timeout: 120_000 }, async () => {
  const dc = await client('attach');
  const runDirA = join(runsRoot, 'free');
  const trainer = new TrainerClient({ trainerPath });
  const steps: number[] = [];
  trainer.onMessage((m) => { if (m.type === 'metrics') steps.push(...m.records.map((r) => r.step)); });
  trainer.start({ runId: 'free', spec: longTiny(), runDir: runDirA, wasmDir, limits: DEBUG_LIMITS });
  attachable.set('free', { client: trainer, runId: 'free', runDir: runDirA, owned: false });
  try {
    await dc.initializeRequest();
    await assert.rejects(dc.attachRequest({ runId: 'nope' } as DebugProtocol.AttachRequestArguments), /'runId': no live run nope/);
    const initialized = dc.waitForEvent('initialized');
    const stopped = dc.waitForEvent('stopped');
    const attached = dc.attachRequest({ runId: 'free' } as DebugProtocol.AttachRequestArguments);
    await initialized;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'step >= 1' }] });
    await dc.configurationDoneRequest();
    await attached;
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'function breakpoint');
    const n = Number((await frames(dc))[0].name.replace('step ', ''));
    assert.equal(Math.max(...steps), n, 'held at the step it stopped on');
    assert.equal(await evaluate(dc, 'step'), String(n));
    await dc.disconnectRequest({});
    await new Promise<void>((resolve) => { const d = trainer.onMessage(() => { if (Math.max(...steps) > n + 2) { d.dispose(); resolve(); } }); });
    assert.ok(!trainer.hasExited, 'the attached run goes on after Disconnect');
  } finally {
    attachable.delete('free');
    await trainer.stop(20_000);
    await dc.stop();
  }
});
