// Run folders read back from disk are untrusted input: a foreign or damaged folder must not make
// the reader open files outside it, allocate what its JSON claims, or pass on a spec, status or
// snapshot that does not fit its type.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRun, readRunHeader, readSnapshot, readWeights, RunFolder } from '../../../src/core/runFolder';
import { listRunFolders } from '../../../src/extension/runsRoot';
import { makeRun, tokenPrediction } from '../../webview/runFixture';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-runfolder-'));
let count = 0;

/** A complete, valid run folder (spec, status, one snapshot, weights) inside its own parent. */
function goodFolder(): { dir: string; snapJson: string } {
  const parent = path.join(tmp, `p${count++}`);
  const dir = path.join(parent, 'run');
  const run = makeRun({ steps: 20, T: 5, H: 3, snapshotEvery: 20 });
  const folder = new RunFolder(dir, (m) => { throw new Error(m); });
  folder.writeSpec(run.status.spec);
  folder.writeStatus(run.status);
  folder.writeSnapshot(run.snapshots[0]);
  folder.writeWeights({ 'layer0.Wh': { shape: [3, 12], data: Float32Array.from({ length: 36 }, (_, k) => k) } }, { step: 20, cell: 'lstm', hiddenSize: 3, layers: 1 });
  return { dir, snapJson: path.join(dir, 'traces', 'step-20-sample-0.json') };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests edit JSON of any shape, on purpose
type Json = Record<string, any>;

const edit = (file: string, fn: (o: Json) => void): void => {
  const o = JSON.parse(fs.readFileSync(file, 'utf8'));
  fn(o);
  fs.writeFileSync(file, JSON.stringify(o));
};

test('a valid folder reads back whole', () => {
  const { dir } = goodFolder();
  const run = readRun(dir);
  assert.deepEqual(run.unreadable, []);
  assert.equal(run.snapshots.length, 1);
  assert.equal(run.weights!.tensors['layer0.Wh'].data[35], 35);
});

test('a snapshot whose .bin path leaves the folder is refused, and the file outside is not read', () => {
  const { dir, snapJson } = goodFolder();
  // A perfectly readable companion, but outside the run folder.
  const outside = path.join(path.dirname(dir), 'outside.bin');
  fs.copyFileSync(snapJson.replace(/\.json$/, '.bin'), outside);
  for (const bad of ['../../outside.bin', outside, '..', 'sub/../../../outside.bin']) {
    edit(snapJson, (o) => { o.bin = bad; });
    assert.throws(() => readSnapshot(snapJson), /not a file name inside/);
    assert.deepEqual(readRun(dir).unreadable, [path.join('traces', 'step-20-sample-0.json')]);
  }
});

test('weights whose index.file leaves the folder are refused; the rest of the run still loads', () => {
  const { dir } = goodFolder();
  const index = path.join(dir, 'weights', 'index.json');
  const outside = path.join(path.dirname(dir), 'w.bin');
  fs.copyFileSync(path.join(dir, 'weights', 'step-20.bin'), outside);
  edit(index, (o) => { o.file = '../../w.bin'; });
  assert.throws(() => readWeights(dir), /not a file name inside/);
  const run = readRun(dir);
  assert.equal(run.weights, null);
  assert.deepEqual(run.unreadable, [path.join('weights', 'index.json')]);
  assert.equal(run.snapshots.length, 1);
});

test('array sizes are checked against the .bin before anything is allocated', () => {
  const { snapJson } = goodFolder();
  const first = (o: Json) => o.snapshot.layers[0].values.h.$bin;
  const cases: [(e: Json) => void, RegExp][] = [
    [(e) => { e.length = 2 ** 30; }, /beyond the end of/],
    [(e) => { e.length = -1; }, /length/],
    [(e) => { e.byteOffset = 2; }, /byteOffset/],
    [(e) => { e.byteOffset = -4; }, /byteOffset/],
    [(e) => { e.dtype = 'float64'; }, /dtype/],
  ];
  for (const [change, re] of cases) {
    const { snapJson: f } = goodFolder();
    edit(f, (o) => change(first(o)));
    assert.throws(() => readSnapshot(f), re);
  }
  // Many entries that each fit but together claim more than the file holds (overlapping reuse).
  edit(snapJson, (o) => {
    const e = first(o);
    o.snapshot.layers[0].values = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`v${k}`, { $bin: { ...e, byteOffset: 0, length: 60 } }]));
  });
  assert.throws(() => readSnapshot(snapJson), /more than the \d+ bytes/);
  // Weights likewise: a tensor past the end, and a shape that disagrees with the length.
  const w1 = goodFolder().dir;
  edit(path.join(w1, 'weights', 'index.json'), (o) => { o.tensors[0].length = 1e9; });
  assert.throws(() => readWeights(w1), /beyond the end of/);
  const w2 = goodFolder().dir;
  edit(path.join(w2, 'weights', 'index.json'), (o) => { o.tensors[0].shape = [4, 12]; });
  assert.throws(() => readWeights(w2), /shape \[4,12\] does not match its length 36/);
});

test('a snapshot whose arrays do not fit steps × units is unreadable', () => {
  const { dir, snapJson } = goodFolder();
  edit(snapJson, (o) => { o.snapshot.steps = 6; });
  assert.throws(() => readSnapshot(snapJson), /tokens has 5 values, expected 6/);
  assert.equal(readRun(dir).snapshots.length, 0);
  const b = goodFolder();
  edit(b.snapJson, (o) => { o.snapshot.layers = 'many'; });
  assert.throws(() => readSnapshot(b.snapJson), /layers is not an array/);
});

test('a snapshot\'s prediction reads back, a prediction that does not fit steps is unreadable, and a folder without one still reads', () => {
  const parent = path.join(tmp, `p${count++}`);
  const dir = path.join(parent, 'run');
  const run = makeRun({ steps: 20, T: 5, H: 3, snapshotEvery: 20 });
  const snap = { ...run.snapshots[0], prediction: tokenPrediction(5, 5) };
  const folder = new RunFolder(dir, (m) => { throw new Error(m); });
  folder.writeStatus(run.status);
  folder.writeSnapshot(snap);
  const file = path.join(dir, 'traces', 'step-20-sample-0.json');
  assert.deepEqual(readSnapshot(file).prediction, snap.prediction);
  const cases: [(p: Json) => void, RegExp][] = [
    [(p) => { p.targetProb.$bin.length = 4; }, /prediction\.targetProb has 4 values, expected 5/],
    [(p) => { p.kind = 'guess'; }, /prediction\.kind "guess" is not 'values' or 'tokens'/],
    [(p) => { p.top.$bin.dtype = 'float32'; }, /prediction\.top is not an int32 array/],
    [(p) => { delete p.mask; }, /prediction\.mask is not a binary array/],
    [(p) => { p.kind = 'values'; p.outputs = 1; p.predicted = p.targetProb; delete p.targetProb; }, /prediction\.target is not a float32 array/],
  ];
  const good = fs.readFileSync(file, 'utf8');
  for (const [change, re] of cases) {
    fs.writeFileSync(file, good);
    edit(file, (o) => change(o.snapshot.prediction));
    assert.throws(() => readSnapshot(file), re);
    assert.deepEqual(readRun(dir).unreadable, [path.join('traces', 'step-20-sample-0.json')]);
  }
  // Folders written before predictions were recorded: no prediction, read whole.
  fs.writeFileSync(file, good);
  edit(file, (o) => { delete o.snapshot.prediction; });
  assert.equal(readSnapshot(file).prediction, undefined);
  assert.deepEqual(readRun(dir).unreadable, []);
});

test('the spec and status inside a run folder are validated again', () => {
  const a = goodFolder().dir;
  edit(path.join(a, 'spec.json'), (o) => { o.model.hiddenSize = -3; });
  assert.throws(() => readRunHeader(a), /spec\.json.*model\.hiddenSize/);
  const b = goodFolder().dir;
  edit(path.join(b, 'status.json'), (o) => { o.state = 'exploded'; });
  assert.throws(() => readRunHeader(b), /status\.json: state/);
  const c = goodFolder().dir;
  edit(path.join(c, 'status.json'), (o) => { o.step = 'twenty'; });
  assert.throws(() => readRunHeader(c), /status\.json: step/);
  const d = goodFolder().dir;
  fs.unlinkSync(path.join(d, 'spec.json'));
  edit(path.join(d, 'status.json'), (o) => { o.spec.train.batchSize = 0; });
  assert.throws(() => readRunHeader(d), /status\.json.*train\.batchSize/);
});

test('Open Run\'s list skips run folders whose status.json does not fit its type', () => {
  const a = goodFolder().dir;
  const root = path.dirname(a);
  const b = path.join(root, 'foreign');
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(b, 'status.json'), JSON.stringify({ id: 'x', name: { toString: 1 }, state: 'running', step: 1, startedAt: 0, updatedAt: 0 }));
  assert.deepEqual(listRunFolders(root).map((r) => path.basename(r.dir)), ['run']);
});
