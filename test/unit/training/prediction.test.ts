// The predictions a snapshot records equal the model's own forward output: y_t of the float64
// reference (src/core/float64Reference.ts) on the engine's weights, for every cell, on the op-by-op tfjs
// engine, the fused CPU engine and (where there is an adapter) the WebGPU engine; and the training
// loop records them on its snapshots, through a run folder and back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, type CellKind, type ModelSpec } from '../../../src/protocol/spec';
import type { TracePrediction, TraceSnapshot } from '../../../src/protocol/trace';
import type { Batch, ModelIO, RecurrentModel, StepResult } from '../../../src/core/types';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { createFastModel } from '../../../src/core/fast/model';
import { createGpuModel } from '../../../src/core/gpu/model';
import { referenceOutputs } from '../../../src/core/float64Reference';
import { tracePrediction } from '../../../src/core/prediction';
import { runTraining } from '../../../src/core/train';
import { resolveSpec } from '../../../src/core/spec';
import { createDataSource } from '../../../src/core/data';
import { defaultWasmDir } from '../../../src/core/backend';
import { readRun } from '../../../src/core/runFolder';
import { makeBatch, makeSpec } from '../engine/helpers';
import { testGpu } from '../gpu/adapter';

const TOL = 2e-5;
const tokenIO: ModelIO = { vocabSize: 5, inputSize: 0, outputSize: 5, loss: 'xent' };
const valueIO: ModelIO = { vocabSize: 0, inputSize: 2, outputSize: 3, loss: 'mse' };

/** What softmax(y) of the reference gives: p(target), top-1 and its probability at each t of `sample`. */
function expectedTokens(y: Float64Array, targets: Int32Array, sample: number, T: number, V: number) {
  const targetProb: number[] = [], top: number[] = [], topProb: number[] = [];
  for (let t = 0; t < T; t++) {
    const row = y.subarray((sample * T + t) * V, (sample * T + t + 1) * V);
    const z = Array.from(row, (v) => Math.exp(v));
    const s = z.reduce((a, b) => a + b, 0);
    const best = z.indexOf(Math.max(...z));
    targetProb.push(z[targets[sample * T + t]] / s);
    top.push(best);
    topProb.push(z[best] / s);
  }
  return { targetProb, top, topProb };
}

function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Math.abs(actual[k] - expected[k]) <= TOL * Math.max(1, Math.abs(expected[k])), `${what}[${k}]: ${actual[k]} vs ${expected[k]}`);
  }
}

/** The prediction recorded from `result`'s trace equals the reference's y on the model's weights. */
function checkAgainstReference(model: RecurrentModel, spec: ModelSpec, io: ModelIO, batch: Batch, result: StepResult, sample: number): TracePrediction {
  const readout = { W: model.params['readout.W'].dataSync(), b: model.params['readout.b'].dataSync() };
  const p = tracePrediction(result.trace!, readout, io, batch, sample, spec.layers - 1);
  assert.ok(p, 'a prediction when the top layer is traced');
  const y = referenceOutputs(spec, io, model.exportWeights(), batch);
  const T = batch.steps, O = io.outputSize;
  closeTo(p.mask, batch.mask.subarray(sample * T, (sample + 1) * T), 'mask');
  if (p.kind === 'values') {
    assert.equal(io.loss, 'mse');
    assert.equal(p.outputs, O);
    closeTo(p.predicted, y.subarray(sample * T * O, (sample + 1) * T * O), 'predicted');
    assert.deepEqual(p.target, batch.targets!.subarray(sample * T * O, (sample + 1) * T * O));
  } else {
    assert.equal(io.loss, 'xent');
    const e = expectedTokens(y, batch.targetTokens!, sample, T, O);
    closeTo(p.targetProb, e.targetProb, 'p(target)');
    closeTo(p.topProb, e.topProb, 'top-1 probability');
    assert.deepEqual(Array.from(p.top), e.top, 'top-1 token');
    assert.deepEqual(p.target, batch.targetTokens!.subarray(sample * T, (sample + 1) * T));
  }
  return p;
}

/** The read-out bias starts at 0: give it values, so a prediction that left it out would differ. */
function withReadoutBias<M extends RecurrentModel>(model: M): M {
  const b = model.params['readout.b'];
  b.assign(tf.tensor1d(Array.from({ length: b.size }, (_, k) => 0.3 * Math.sin(3 * k + 1))));
  return model;
}

const engines: { name: string; make: (spec: ModelSpec, io: ModelIO) => RecurrentModel }[] = [
  { name: 'op-by-op tfjs', make: (spec, io) => withReadoutBias(createModel(spec, io, 3)) },
  { name: 'fused CPU', make: (spec, io) => withReadoutBias(createFastModel(spec, io, 3)) },
];

for (const cell of CELL_KINDS as readonly CellKind[]) {
  for (const engine of engines) {
    test(`${cell}, ${engine.name}: recorded predictions equal the float64 reference's read-out`, async () => {
      await tf.setBackend('cpu');
      for (const [io, layers] of [[tokenIO, 2], [valueIO, 1]] as const) {
        const spec = makeSpec(cell, { hiddenSize: 4, layers });
        const model = engine.make(spec, io);
        const batch = makeBatch(io, 3, 6, 11);
        const r = model.forwardBackward(batch, null, { sample: 2, reachFrom: -1, jacobian: false });
        try {
          checkAgainstReference(model, spec, io, batch, r, 2);
        } finally {
          tf.dispose(Object.values(r.grads));
          model.dispose();
        }
      }
    });
  }
  test(`${cell}, WebGPU: recorded predictions equal the float64 reference's read-out`, async (t) => {
    const gpu = await testGpu(t);
    if (!gpu) return;
    await tf.setBackend('cpu');
    for (const [io, layers] of [[tokenIO, 2], [valueIO, 1]] as const) {
      const spec = makeSpec(cell, { hiddenSize: 4, layers });
      const model = withReadoutBias(await createGpuModel(spec, io, 3, gpu));
      const batch = makeBatch(io, 3, 6, 11);
      const r = await model.forwardBackwardAsync(batch, null, { sample: 1, reachFrom: -1, jacobian: false });
      try {
        checkAgainstReference(model, spec, io, batch, r, 1);
      } finally {
        tf.dispose(Object.values(r.grads));
        model.dispose();
      }
    }
  });
}

test('no prediction when trace.layers leaves the top layer out', async () => {
  await tf.setBackend('cpu');
  const spec = makeSpec('lstm', { hiddenSize: 4, layers: 2 });
  const model = createModel(spec, tokenIO, 3);
  const batch = makeBatch(tokenIO, 2, 5, 4);
  const r = model.forwardBackward(batch, null, { sample: 0, layers: [0], reachFrom: -1, jacobian: false });
  const readout = { W: model.params['readout.W'].dataSync(), b: model.params['readout.b'].dataSync() };
  assert.equal(tracePrediction(r.trace!, readout, tokenIO, batch, 0, 1), undefined);
  tf.dispose(Object.values(r.grads));
  model.dispose();
});

test('the training loop records each traced sample\'s predictions from the weights of its pass, and the run folder keeps them', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-prediction-'));
  for (const data of [{ kind: 'adding', length: 8 }, { kind: 'copy', length: 4 }]) {
    const spec = resolveSpec({ data, model: { cell: 'gru', hiddenSize: 5, layers: 2 }, train: { steps: 2, batchSize: 4 }, trace: { every: 10, samples: [1, 3] }, backend: 'cpu' });
    const snapshots: TraceSnapshot[] = [];
    const runDir = path.join(tmp, data.kind);
    const final = await runTraining(spec, {
      runDir, wasmDir: defaultWasmDir(),
      hooks: { onStatus: () => {}, onMetrics: () => {}, onSnapshot: (s) => snapshots.push(...s), onLog: () => {}, checkpoint: async () => 'continue' },
    });
    assert.equal(final.state, 'completed', final.reason);
    // Step 1 ran on the initial weights and the first batch: the reference recomputes both.
    const source = createDataSource(spec);
    const batch = source.nextTrainBatch();
    const initial = createModel(spec.model, source.io, spec.seed);
    const y = referenceOutputs(spec.model, source.io, initial.exportWeights(), batch);
    initial.dispose();
    const first = snapshots.filter((s) => s.step === 1);
    assert.deepEqual(first.map((s) => s.sample), [1, 3]);
    const T = batch.steps, O = source.io.outputSize;
    for (const s of first) {
      const p = s.prediction!;
      assert.ok(p, `step 1 sample ${s.sample} has a prediction`);
      if (p.kind === 'values') closeTo(p.predicted, y.subarray(s.sample * T * O, (s.sample + 1) * T * O), `${data.kind} predicted`);
      else closeTo(p.targetProb, expectedTokens(y, batch.targetTokens!, s.sample, T, O).targetProb, `${data.kind} p(target)`);
    }
    const back = readRun(runDir);
    assert.deepEqual(back.unreadable, []);
    const again = back.snapshots.find((s) => s.step === 1 && s.sample === 3)!;
    assert.deepEqual(again.prediction, first[1].prediction, 'the run folder gives the same prediction back');
  }
});
