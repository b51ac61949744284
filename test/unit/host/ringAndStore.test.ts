// RunStore: bounded rings of metrics and snapshots, events the panel/inspector/sidebar rely on,
// replay of a run folder, the shared selection and the traceText routing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, typedBytes } from '../../../src/extension/ring';
import { runsFolderProblem, settleInterrupted } from '../../../src/extension/runsRoot';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, type LoadedRun, type RunEvent } from '../../../src/extension/runStore';
import { metrics, snapshot, status } from './fixtures';

test('ring keeps the newest items by count', () => {
  const r = new Ring<number>(3);
  r.push(1, 2, 3, 4, 5);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.equal(r.dropped, 2);
  for (let k = 6; k < 5000; k++) r.push(k);
  assert.deepEqual(r.toArray(), [4997, 4998, 4999]);
  assert.equal(r.last(), 4999);
});

test('ring evicts by byte budget but always keeps the newest item', () => {
  const size = typedBytes(snapshot(0, 10, 10));
  assert.ok(size > 10 * 10 * 4 * 8, `snapshot bytes counted (${size})`);
  const r = new Ring<ReturnType<typeof snapshot>>(100, typedBytes, size * 2.5);
  for (let s = 0; s < 6; s++) r.push(snapshot(s, 10, 10));
  assert.deepEqual(r.toArray().map((x) => x.step), [4, 5]);
  const tiny = new Ring<ReturnType<typeof snapshot>>(100, typedBytes, 1);
  tiny.push(snapshot(1), snapshot(2));
  assert.deepEqual(tiny.toArray().map((x) => x.step), [2]);
});

test('store: events, bounded memory, getters', () => {
  const store = new RunStore({ maxMetrics: 50, maxSnapshots: 3, snapshotBytes: Infinity });
  const events: RunEvent[] = [];
  const snaps: number[] = [];
  let metricCount = 0;
  store.onDidChangeRun((e) => events.push(e));
  store.onDidAddSnapshot((e) => snaps.push(e.snapshot.step));
  store.onDidAddMetrics((e) => (metricCount += e.records.length));

  store.addRun(status('a', { state: 'starting' }), '/runs/a');
  store.addRun(status('b'), null);
  for (let s = 1; s <= 120; s++) store.appendMetrics('a', [metrics(s)]);
  for (let s = 0; s < 5; s++) store.addSnapshot('a', snapshot(s * 10));
  store.updateStatus(status('a', { state: 'completed', step: 120 }));

  assert.deepEqual(store.runIds(), ['a', 'b']);
  assert.equal(store.metrics('a').length, 50, 'metrics ring bounded');
  assert.equal(store.metrics('a')[0].step, 71);
  assert.equal(metricCount, 120, 'every record was announced');
  assert.deepEqual(store.snapshots('a').map((s) => s.step), [20, 30, 40]);
  assert.equal(store.droppedSnapshots('a'), 2);
  assert.equal(store.latestSnapshot('a')?.step, 40);
  assert.deepEqual(snaps, [0, 10, 20, 30, 40]);
  assert.equal(store.status('a')?.state, 'completed');
  assert.ok(!store.isLive('a'));
  assert.ok(store.isLive('b'));
  assert.deepEqual(store.liveRuns().map((s) => s.id), ['b']);
  assert.equal(store.runDir('a'), '/runs/a');
  assert.deepEqual(events.map((e) => `${e.runId}:${e.kind}:${e.status.state}`), ['a:added:starting', 'b:added:running', 'a:changed:completed']);
  // Unknown runs are ignored, not created by stray deltas.
  store.appendMetrics('zzz', [metrics(1)]);
  store.addSnapshot('zzz', snapshot(1));
  assert.ok(!store.has('zzz'));
  store.removeRun('b');
  assert.deepEqual(store.runIds(), ['a']);
  assert.equal(events.at(-1)?.kind, 'removed');
});

test('store: reopening a run folder replays it; a folder cut short is shown as interrupted', () => {
  const folders: Record<string, LoadedRun> = {
    '/runs/done': { status: status('done', { state: 'completed', step: 3 }), metrics: [metrics(1), metrics(2), metrics(3)], snapshots: [snapshot(0), snapshot(3)] },
    '/runs/cut': { status: status('cut', { state: 'running', step: 2 }), metrics: [metrics(1), metrics(2)], snapshots: [] },
  };
  const store = new RunStore(undefined, (dir) => {
    const r = folders[dir];
    if (!r) throw new Error(`no run folder at ${dir}`);
    return r;
  });
  assert.equal(store.loadRun('/runs/done').state, 'completed');
  assert.deepEqual(store.metrics('done').map((m) => m.step), [1, 2, 3]);
  assert.deepEqual(store.snapshots('done').map((s) => s.step), [0, 3]);
  assert.equal(store.runDir('done'), '/runs/done');
  const cut = store.loadRun('/runs/cut');
  assert.equal(cut.state, 'interrupted');
  assert.match(cut.reason ?? '', /without a final status after step 2/);
  assert.throws(() => store.loadRun('/runs/missing'), /no run folder/);
  // Reopening the folder of a run that is live in this window keeps the live run.
  store.addRun(status('live', { step: 9 }), '/runs/live');
  folders['/runs/live'] = { status: status('live', { step: 4 }), metrics: [], snapshots: [] };
  assert.equal(store.loadRun('/runs/live').step, 9);
});

test('store: selection is shared state with an event', () => {
  const store = new RunStore();
  const seen: string[] = [];
  const sub = store.onDidChangeSelection((e) => seen.push(`${e.runId}:${e.selection.layer}:${e.selection.unit}`));
  store.setSelection('a', { layer: 1, unit: 17, step: null });
  sub.dispose();
  store.setSelection('a', { layer: 0, unit: 2, step: 5 });
  assert.deepEqual(seen, ['a:1:17']);
  assert.deepEqual(store.selection, { runId: 'a', selection: { layer: 0, unit: 2, step: 5 } });
});

test('store: where a debug session holds a run, with an event; running on clears it, for that run only', () => {
  const store = new RunStore();
  store.addRun(status('a'), null);
  const seen: string[] = [];
  store.onDidChangeDebugStop((s) => seen.push(s ? `${s.runId}@${s.step}:${s.t}` : 'ran on'));
  const snap = snapshot(3);
  store.setDebugStop({ runId: 'a', step: 3, t: null, snapshot: snap });
  store.setDebugStop({ runId: 'a', step: 3, t: null, snapshot: snap }); // the same stop again: no event
  store.setDebugStop({ runId: 'a', step: 3, t: 4, snapshot: snap }); // a frame selected in the Call Stack
  assert.equal(store.debugStopOf('a')?.t, 4);
  assert.equal(store.debugStopOf('b'), undefined);
  store.clearDebugStop('b');
  assert.ok(store.debugStop, 'another run\'s session running on leaves this stop');
  store.clearDebugStop('a');
  store.clearDebugStop('a');
  store.setDebugStop({ runId: 'a', step: 4, t: null, snapshot: null });
  store.removeRun('a');
  assert.equal(store.debugStop, undefined, 'a forgotten run is held by nobody');
  assert.deepEqual(seen, ['a@3:null', 'a@3:4', 'ran on', 'a@4:null', 'ran on']);
});

test('store: each run keeps its own selection (one run\'s layer 1 does not follow the user to another run)', () => {
  const store = new RunStore();
  store.addRun(status('one'), null);
  store.addRun(status('two'), null);
  store.setSelection('one', { layer: 0, unit: 5, step: null });
  store.setSelection('two', { layer: 1, unit: 3, step: 40 });
  assert.deepEqual(store.selectionOf('one'), { layer: 0, unit: 5, step: null });
  assert.deepEqual(store.selectionOf('two'), { layer: 1, unit: 3, step: 40 });
  assert.equal(store.selection.runId, 'two', 'the last choice still says which run is selected');
  store.removeRun('two');
  assert.deepEqual(store.selectionOf('two'), { layer: 0, unit: 0, step: null }, 'a removed run forgets its choice');
});

test('store: traceText goes to the live trainer, and fails clearly without one', async () => {
  const store = new RunStore();
  store.addRun(status('a'), null);
  await assert.rejects(store.traceText('a', 'hi'), /cannot evaluate text/);
  store.setTraceTextProvider('a', async (text) => ({ ...snapshot(0, text.length, 2), tokens: Int32Array.from(text, (ch) => ch.charCodeAt(0)) }));
  assert.ok(store.canTraceText('a'));
  const t = await store.traceText('a', 'abc');
  assert.equal(t.steps, 3);
  assert.deepEqual([...(t.tokens ?? [])], [97, 98, 99]);
  store.setTraceTextProvider('a', undefined);
  await assert.rejects(store.traceText('a', 'hi'), /cannot evaluate text/);
});

test('store: listed run folders are read only when first asked for, once', () => {
  const reads: string[] = [];
  const store = new RunStore(undefined, (dir) => {
    reads.push(dir);
    return { status: status('a', { state: 'completed', step: 2 }), metrics: [metrics(1), metrics(2)], snapshots: [snapshot(2)] };
  });
  const events: RunEvent[] = [];
  store.onDidChangeRun((e) => events.push(e));
  store.addSavedRun(status('a', { state: 'completed', step: 2 }), '/runs/a');
  assert.deepEqual(store.runIds(), ['a'], 'the Runs view lists it at once');
  assert.deepEqual(events.map((e) => e.kind), ['added']);
  assert.deepEqual(reads, [], 'listing reads no metrics or snapshots');
  assert.deepEqual(store.metrics('a').map((m) => m.step), [1, 2]);
  assert.equal(store.latestSnapshot('a')?.step, 2);
  assert.deepEqual(store.snapshots('a').map((s) => s.step), [2]);
  assert.deepEqual(reads, ['/runs/a'], 'read once, on first use');
  // A run already known (live or loaded) is not replaced by its listing.
  store.addRun(status('b', { state: 'running', step: 7 }), '/runs/b');
  store.addSavedRun(status('b', { state: 'running', step: 1 }), '/runs/b');
  assert.equal(store.status('b')?.step, 7);
  // A listed folder that cannot be read any more shows its status and no data.
  const broken = new RunStore(undefined, () => { throw new Error('gone'); });
  broken.addSavedRun(status('c', { state: 'completed' }), '/runs/c');
  assert.deepEqual(broken.metrics('c'), []);
});

test('a folder left "running" by a trainer that is gone is rewritten as interrupted; a live one is left alone', () => {
  const written: [string, string][] = [];
  const write = (dir: string, s: { state: string }) => void written.push([dir, s.state]);
  const gone = settleInterrupted({ dir: '/runs/x', status: status('x', { state: 'running', step: 250, pid: 4242 }) }, write, () => false);
  assert.equal(gone.state, 'interrupted');
  assert.match(gone.reason ?? '', /after step 250/);
  assert.deepEqual(written, [['/runs/x', 'interrupted']]);
  // No pid recorded (an older run folder): nobody can be training it.
  assert.equal(settleInterrupted({ dir: '/runs/y', status: status('y', { state: 'paused' }) }, write, () => true).state, 'interrupted');
  // Its trainer still exists (another window's run): shown as it is, not rewritten.
  const live = settleInterrupted({ dir: '/runs/z', status: status('z', { state: 'running', pid: 4243 }) }, write, (pid) => pid === 4243);
  assert.equal(live.state, 'running');
  // Ended runs are never touched.
  assert.equal(settleInterrupted({ dir: '/runs/w', status: status('w', { state: 'completed' }) }, write, () => false).state, 'completed');
  assert.deepEqual(written.map((w) => w[0]), ['/runs/x', '/runs/y']);
});

test('a runs folder that cannot be written is found before a run starts, with the reason', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rnn-runs-root-'));
  try {
    const fine = join(tmp, 'new', 'runs');
    assert.equal(runsFolderProblem(fine), undefined, 'a missing folder is created');
    assert.deepEqual(readdirSync(fine), [], 'the probe leaves nothing behind');
    // A path through a file cannot be created (this holds for root too, unlike permissions).
    writeFileSync(join(tmp, 'a-file'), 'x');
    const blocked = runsFolderProblem(join(tmp, 'a-file', 'runs'));
    assert.match(blocked ?? '', /a-file\/runs cannot be written \((ENOTDIR|EEXIST)/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
