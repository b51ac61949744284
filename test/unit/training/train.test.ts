// The training loop: clipping maths, metrics and snapshots, NaN/Inf handling that keeps the last
// good weights, stop, write failures that do not stop training, the run-folder round trip, leaks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { clipScale, runTraining } from '../../../src/core/train';
import { resolveSpec } from '../../../src/core/spec';
import { createDataSource } from '../../../src/core/data';
import { defaultWasmDir } from '../../../src/core/backend';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { readRun, RunFolder, type RunFs } from '../../../src/core/runFolder';
import type { RecurrentModel } from '../../../src/core/types';
import type { MetricsRecord } from '../../../src/protocol/trace';
import { recorder } from './recorder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-train-'));
const wasmDir = defaultWasmDir();


const tiny = (over: Record<string, unknown> = {}) =>
  resolveSpec({
    data: { kind: 'adding', length: 8 },
    model: { hiddenSize: 6 },
    train: { steps: 6, batchSize: 4, validateEvery: 3, clipNorm: 0.5 },
    trace: { every: 4, samples: [0, 2] },
    backend: 'cpu',
    ...over,
  });

test('clipScale: norm after clipping equals the clip value, unchanged below it', () => {
  assert.equal(clipScale(10, 2) * 10, 2);
  assert.equal(clipScale(1, 2), 1);
  assert.equal(clipScale(5, null), 1);
});

test('a run records metrics every step, validation, clipping, snapshots on steps 1, every and last, and completes', async () => {
  const { rec, hooks } = recorder();
  const runDir = path.join(tmp, 'run-ok');
  const final = await runTraining(tiny(), { runDir, wasmDir, hooks, runId: 'r1' });
  assert.equal(final.state, 'completed');
  assert.equal(final.step, 6);
  assert.equal(final.backend, 'cpu');
  assert.equal(final.baseline, 1 / 6);
  assert.deepEqual(rec.statuses.map((s) => s.state), ['starting', 'running', 'completed']);
  assert.deepEqual(rec.metrics.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(rec.metrics.filter((m) => m.valLoss !== undefined).map((m) => m.step), [3, 6]);
  for (const m of rec.metrics) {
    assert.ok(Number.isFinite(m.loss) && m.loss > 0);
    const sumSq = Object.values(m.groupNorms).reduce((a, n) => a + n * n, 0);
    assert.ok(Math.abs(Math.sqrt(sumSq) - m.gradNorm) < 1e-9 * m.gradNorm + 1e-12);
    if (m.gradNorm > 0.5) {
      assert.ok(m.clipped);
      assert.ok(Math.abs(m.gradNormClipped - 0.5) < 1e-9);
    } else assert.equal(m.gradNormClipped, m.gradNorm);
  }
  assert.deepEqual(rec.snapshots.map((s) => `${s.step}:${s.sample}`), ['1:0', '1:2', '4:0', '4:2', '6:0', '6:2']);
  assert.equal(rec.snapshots[0].steps, 8);
  assert.equal(rec.snapshots[0].layers[0].values.h.length, 8 * 6);
  // The two traced samples are different rows of the same batch.
  assert.notDeepEqual(rec.snapshots[0].inputs, rec.snapshots[1].inputs);

  // Round trip through the run folder.
  const run = readRun(runDir);
  assert.equal(run.status.state, 'completed');
  assert.equal(run.status.id, 'r1');
  assert.deepEqual(run.spec, tiny());
  assert.deepEqual(run.metrics, rec.metrics);
  assert.equal(run.snapshots.length, 6);
  assert.deepEqual(run.snapshots[3], rec.snapshots[3]);
  assert.ok(run.weights);
  assert.equal(run.weights.index.step, 6);
  assert.deepEqual(run.weights.index.gateOrder, ['f', 'i', 'g', 'o']);
  assert.deepEqual(run.weights.tensors['layer0.Wh'].shape, [6, 24]);
  // The saved weights are the trained ones: a fresh model (other seed) loaded from them gives the
  // run's last validation loss on the task's held-out batches, recomputed here.
  const data = createDataSource(run.spec);
  const model = createModel(run.spec.model, data.io, 99);
  model.importWeights(run.weights.tensors);
  let total = 0, weight = 0;
  for (const b of data.validationBatches()) {
    const w = b.mask.reduce((a, x) => a + x, 0);
    total += model.evaluate(b, null).loss * w;
    weight += w;
  }
  model.dispose();
  const runValLoss = rec.metrics[rec.metrics.length - 1].valLoss!;
  assert.ok(weight > 0 && Number.isFinite(runValLoss));
  assert.ok(Math.abs(total / weight - runValLoss) <= 1e-5 * runValLoss, `validation loss from the imported weights ${total / weight}, the run's ${runValLoss}`);
});

test('training is deterministic given the seed', async () => {
  const a = recorder(), b = recorder();
  await runTraining(tiny({ trace: { every: 100, samples: [] } }), { runDir: null, wasmDir, hooks: a.hooks });
  await runTraining(tiny({ trace: { every: 100, samples: [] } }), { runDir: null, wasmDir, hooks: b.hooks });
  assert.deepEqual(a.rec.metrics.map((m) => m.loss), b.rec.metrics.map((m) => m.loss));
});

test('a NaN in the gradients fails the run naming the step, keeps the last good weights and the metrics so far', async () => {
  const runDir = path.join(tmp, 'run-nan');
  const { rec, hooks } = recorder();
  let calls = 0;
  let goodWeights: Float32Array | null = null;
  const modelFactory = (spec: ReturnType<typeof tiny>, data: { io: RecurrentModel['io'] }): RecurrentModel => {
    const m = createModel(spec.model, data.io, spec.seed);
    const fb = m.forwardBackward.bind(m);
    m.forwardBackward = (batch, initial, trace) => {
      const r = fb(batch, initial, trace);
      if (++calls === 4) {
        // Step 4 (the trace step has two passes, so count passes): poison one gradient.
        goodWeights = m.exportWeights()['layer0.Wh'].data.slice();
        const g = r.grads['layer0.Wh'];
        r.grads['layer0.Wh'] = tf.fill(g.shape, NaN);
        g.dispose();
      }
      return r;
    };
    return m;
  };
  const spec = tiny({ trace: { every: 100, samples: [0] } });
  const final = await runTraining(spec, { runDir, wasmDir, hooks, modelFactory });
  assert.equal(final.state, 'failed');
  assert.match(final.reason!, /^step 4: the gradient of layer0\.Wh is not finite; the weights of step 3 \(the last good step\) are kept/);
  assert.equal(final.step, 3);
  assert.deepEqual(rec.metrics.map((m) => m.step), [1, 2, 3, 4]);
  assert.ok(!Number.isFinite(rec.metrics[3].gradNorm));
  const run = readRun(runDir);
  assert.equal(run.status.state, 'failed');
  assert.equal(run.metrics.length, 4);
  assert.ok(Number.isNaN(run.metrics[3].gradNorm));
  assert.equal(run.weights!.index.step, 3);
  assert.deepEqual(run.weights!.tensors['layer0.Wh'].data, goodWeights);
});

test('a huge learning rate ends in failed with finite saved weights, never in NaN weights', async () => {
  const runDir = path.join(tmp, 'run-lr');
  const { rec, hooks } = recorder();
  const spec = tiny({ model: { hiddenSize: 6, cell: 'rnn', rnnActivation: 'relu' }, train: { steps: 60, batchSize: 4, optimizer: 'sgd', learningRate: 1e6, clipNorm: null }, trace: { every: 1000, samples: [] } });
  const final = await runTraining(spec, { runDir, wasmDir, hooks });
  assert.equal(final.state, 'failed', `state ${final.state}, losses ${rec.metrics.map((m) => m.loss).join(', ')}`);
  assert.match(final.reason!, /^step \d+: /);
  const run = readRun(runDir);
  for (const t of Object.values(run.weights!.tensors)) for (const v of t.data) assert.ok(Number.isFinite(v));
  assert.equal(run.metrics.length, rec.metrics.length);
  // The failing step itself is on the curve, whichever way it failed (gradient or update).
  const failedAt = Number(final.reason!.match(/^step (\d+)/)![1]);
  assert.equal(run.metrics.at(-1)!.step, failedAt, 'the step that failed is recorded');
});

test('stop from checkpoint ends the run as stopped after the steps done, with weights saved', async () => {
  const runDir = path.join(tmp, 'run-stop');
  const { rec, hooks } = recorder({ stopAfter: 2 });
  const final = await runTraining(tiny({ train: { steps: 100, batchSize: 4 } }), { runDir, wasmDir, hooks });
  assert.equal(final.state, 'stopped');
  assert.equal(final.step, 2);
  assert.equal(rec.metrics.length, 2);
  assert.equal(readRun(runDir).weights!.index.step, 2);
});

test('bad data fails the run with the message', async () => {
  const { hooks } = recorder();
  const spec = resolveSpec({ data: { kind: 'text', path: path.join(tmp, 'missing.txt') }, backend: 'cpu' });
  const final = await runTraining(spec, { runDir: null, wasmDir, hooks });
  assert.equal(final.state, 'failed');
  assert.match(final.reason!, /missing\.txt does not exist/);
});

test('an unwritable run folder is reported and training goes on in memory', async () => {
  const blocker = path.join(tmp, 'a-file');
  fs.writeFileSync(blocker, 'x');
  const { rec, hooks } = recorder();
  const final = await runTraining(tiny(), { runDir: path.join(blocker, 'run'), wasmDir, hooks });
  assert.equal(final.state, 'completed');
  assert.equal(rec.metrics.length, 6);
  assert.ok(rec.logs.some((l) => /cannot write the run folder .*the run continues in memory/.test(l)));
  assert.ok(final.warnings && final.warnings.length > 0);
});

test('a disk that fails mid-run (injected fs) is reported once per kind', () => {
  const errors: string[] = [];
  let fail = false;
  const fsImpl: RunFs = {
    mkdirSync: () => undefined,
    writeFileSync: () => {
      if (fail) throw new Error('ENOSPC: no space left on device');
    },
    appendFileSync: () => {
      if (fail) throw new Error('ENOSPC: no space left on device');
    },
    renameSync: () => undefined,
    unlinkSync: () => undefined,
  };
  const folder = new RunFolder('/virtual/run', (m) => errors.push(m), fsImpl);
  const m: MetricsRecord = { step: 1, loss: 1, gradNorm: 1, gradNormClipped: 1, clipped: false, learningRate: 0.1, groupNorms: {}, seconds: 0, time: 0 };
  folder.appendMetrics([m]);
  assert.equal(errors.length, 0);
  fail = true;
  folder.appendMetrics([m]);
  folder.appendMetrics([m]);
  folder.writeWeights({ w: { shape: [1], data: new Float32Array([1]) } }, { step: 1, cell: 'gru', hiddenSize: 1, layers: 1 });
  assert.equal(errors.length, 2);
  assert.match(errors[0], /metrics\.jsonl.*ENOSPC/);
  assert.match(errors[1], /weights.*ENOSPC/);
});

test('no tensors leak per step (text data with carried state and traces)', async () => {
  const file = path.join(tmp, 'leak.txt');
  fs.writeFileSync(file, 'the quick brown fox jumps over the lazy dog. '.repeat(40));
  const spec = (steps: number) =>
    resolveSpec({ data: { kind: 'text', path: file }, model: { hiddenSize: 5, layers: 2 }, train: { steps, batchSize: 3, seqLength: 10, validateEvery: 2 }, trace: { every: 2 }, backend: 'cpu' });
  await tf.setBackend('cpu');
  const n0 = tf.memory().numTensors;
  await runTraining(spec(2), { runDir: null, wasmDir, hooks: recorder().hooks });
  const afterShort = tf.memory().numTensors - n0;
  await runTraining(spec(7), { runDir: null, wasmDir, hooks: recorder().hooks });
  const afterLong = tf.memory().numTensors - n0 - afterShort;
  // Whatever a run leaves behind does not grow with the number of steps.
  assert.equal(afterLong, afterShort);
});

test('a damaged snapshot file does not hide the rest of the run', async () => {
  const runDir = path.join(tmp, 'run-damaged');
  const { hooks } = recorder();
  const spec = tiny({ train: { steps: 6, batchSize: 4 }, trace: { every: 2 } });
  assert.equal((await runTraining(spec, { runDir, wasmDir, hooks })).state, 'completed');
  const whole = readRun(runDir);
  assert.ok(whole.snapshots.length >= 3, `${whole.snapshots.length} snapshots`);
  assert.deepEqual(whole.unreadable, []);
  // Cut one snapshot short, as a full disk or a crash mid-write would.
  const victim = fs.readdirSync(path.join(runDir, 'traces')).filter((f) => f.endsWith('.json')).sort()[1];
  fs.writeFileSync(path.join(runDir, 'traces', victim), '{"format": "rnn-debugger-trace", "vers');
  const run = readRun(runDir);
  assert.equal(run.snapshots.length, whole.snapshots.length - 1);
  assert.deepEqual(run.unreadable, [path.join('traces', victim)]);
  assert.equal(run.metrics.length, whole.metrics.length);
  assert.ok(run.weights);
});
