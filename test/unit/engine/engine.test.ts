// Behaviour of the engine a user relies on: ∂c_t/∂c_{t-1} = f_t, carried state across windows,
// deterministic seeded initialisation, weight export/import, the trace's shape, no tensor leaks.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { CELL_KINDS, GATE_ORDER, hasCellState, type CellKind } from '../../../src/protocol/spec';
import type { Batch, ModelIO, RecurrentState } from '../../../src/core/types';
import { makeBatch, makeSpec, relErr, useCpu } from './helpers';

before(useCpu);

const tokenIO: ModelIO = { vocabSize: 5, inputSize: 0, outputSize: 5, loss: 'xent' };

/** Steps [t0, t1) of a batch, as its own batch. */
function window(batch: Batch, t0: number, t1: number): Batch {
  const { batchSize: B, steps: T } = batch;
  const n = t1 - t0;
  const pick = <A extends Int32Array | Float32Array>(a: A | null, width: number): A | null => {
    if (!a) return null;
    const out = new (a.constructor as new (len: number) => A)(B * n * width);
    for (let b = 0; b < B; b++) out.set(a.subarray((b * T + t0) * width, (b * T + t1) * width), b * n * width);
    return out;
  };
  return {
    batchSize: B,
    steps: n,
    tokens: pick(batch.tokens, 1),
    inputs: pick(batch.inputs, 1),
    targetTokens: pick(batch.targetTokens, 1),
    targets: pick(batch.targets, 1),
    mask: pick(batch.mask, 1)!,
  };
}

const LSTM_FAMILY = CELL_KINDS.filter(hasCellState);

test('∂c_t/∂c_{t-1} = f_t on the direct path: perturbing c_{t-1} (h_{t-1} fixed) moves c_t by f_t per unit', () => {
  const H = 4, T = 8, t = 5, s = 1, eps = 1e-2;
  for (const cell of LSTM_FAMILY) {
    const model = createModel(makeSpec(cell, { hiddenSize: H }), tokenIO, 3);
    const batch = makeBatch(tokenIO, 2, T, 5, { fullMask: true });
    const r = model.forwardBackward(batch, null, { sample: s, reachFrom: -1, jacobian: false });
    tf.dispose(Object.values(r.grads));
    const f = r.trace!.layers[0].values.f;
    // State after steps 0…t−1, then step t alone from it, with and without a bump on c_{t-1}[j].
    const state = model.evaluate(window(batch, 0, t)).finalState;
    const step = window(batch, t, t + 1);
    const base = model.evaluate(step, state).finalState.c![0];
    for (let j = 0; j < H; j++) {
      const c = state.c![0].slice();
      c[s * H + j] += eps;
      const bumped: RecurrentState = { h: state.h, c: [c] };
      const moved = model.evaluate(step, bumped).finalState.c![0];
      for (let k = 0; k < H; k++) {
        const ratio = (moved[s * H + k] - base[s * H + k]) / eps;
        const expected = k === j ? f[t * H + j] : 0; // diag(f_t)
        assert.ok(Math.abs(ratio - expected) < 2e-4, `${cell} unit ${j}→${k}: Δc_t/Δc_{t-1} = ${ratio}, f_t = ${f[t * H + j]}`);
      }
    }
    model.dispose();
  }
});

test('carrying the final state across two windows gives the loss and state of the whole sequence', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as CellKind[]) {
    const model = createModel(makeSpec(cell, { hiddenSize: 4, layers: 2, embeddingSize: 3 }), tokenIO, 9);
    const batch = makeBatch(tokenIO, 3, 10, 2);
    const whole = model.evaluate(batch);
    const a = window(batch, 0, 6), b = window(batch, 6, 10);
    const first = model.evaluate(a);
    const second = model.evaluate(b, first.finalState);
    const mA = a.mask.reduce((x, y) => x + y, 0), mB = b.mask.reduce((x, y) => x + y, 0);
    const combined = (first.loss * mA + second.loss * mB) / (mA + mB);
    assert.ok(Math.abs(combined - whole.loss) < 1e-5 * whole.loss, `${cell}: ${combined} vs ${whole.loss}`);
    for (let l = 0; l < 2; l++) assert.ok(relErr(second.finalState.h[l], whole.finalState.h[l]) < 1e-5);
    assert.equal(whole.finalState.c === null, !hasCellState(cell));
    // forwardBackward reports the same loss and final state as evaluate.
    const fb = model.forwardBackward(batch, null, null);
    tf.dispose(Object.values(fb.grads));
    assert.ok(Math.abs(fb.loss - whole.loss) < 1e-6 * whole.loss);
    assert.ok(relErr(fb.finalState.h[1], whole.finalState.h[1]) < 1e-6);
    model.dispose();
  }
});

test('initialisation is deterministic per seed and follows the documented scheme', () => {
  const spec = makeSpec('lstm', { hiddenSize: 5, forgetBias: 1 });
  const a = createModel(spec, tokenIO, 42), b = createModel(spec, tokenIO, 42), c = createModel(spec, tokenIO, 43);
  const wa = a.exportWeights(), wb = b.exportWeights(), wc = c.exportWeights();
  for (const name of Object.keys(wa)) assert.deepEqual(wa[name].data, wb[name].data, name);
  assert.notDeepEqual(wa['layer0.Wh'].data, wc['layer0.Wh'].data);
  // Wh: each gate block orthogonal, W·Wᵀ = I.
  const H = 5, G = 4, Wh = wa['layer0.Wh'].data;
  for (let g = 0; g < G; g++) {
    for (let r1 = 0; r1 < H; r1++) {
      for (let r2 = 0; r2 < H; r2++) {
        let dot = 0;
        for (let k = 0; k < H; k++) dot += Wh[k * G * H + g * H + r1] * Wh[k * G * H + g * H + r2];
        assert.ok(Math.abs(dot - (r1 === r2 ? 1 : 0)) < 1e-5, `block ${g} not orthogonal`);
      }
    }
  }
  // Forget bias 1 in the f block, 0 elsewhere.
  const bias = wa['layer0.b'].data;
  GATE_ORDER.lstm.forEach((gate, k) => {
    for (let j = 0; j < H; j++) assert.equal(bias[k * H + j], gate === 'f' ? 1 : 0);
  });
  // ReLU RNN: identity recurrent matrix (Le et al. 2015).
  const relu = createModel(makeSpec('rnn', { hiddenSize: 3, rnnActivation: 'relu' }), tokenIO, 1);
  assert.deepEqual(Array.from(relu.exportWeights()['layer0.Wh'].data), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  // Chrono: b_f = log U[1, T_max − 1] ∈ [0, log(T_max − 1)], b_i = −b_f.
  const chrono = createModel(makeSpec('lstm', { hiddenSize: 50, chronoInit: true }), tokenIO, 1, { chronoMaxLength: 200 });
  const cb = chrono.exportWeights()['layer0.b'].data;
  let maxBf = 0;
  for (let j = 0; j < 50; j++) {
    const bf = cb[j], bi = cb[50 + j];
    assert.ok(bf >= 0 && bf <= Math.log(199) + 1e-6);
    assert.equal(bi, -bf);
    maxBf = Math.max(maxBf, bf);
  }
  assert.ok(maxBf > 3, 'chrono biases should span long time constants');
  for (const m of [a, b, c, relu, chrono]) m.dispose();
});

test('exported weights re-imported into a fresh model give the same loss; bad shapes are refused', () => {
  const spec = makeSpec('gru', { hiddenSize: 4, layers: 2 });
  const a = createModel(spec, tokenIO, 1), b = createModel(spec, tokenIO, 2);
  const batch = makeBatch(tokenIO, 2, 6, 1);
  assert.notEqual(a.evaluate(batch).loss, b.evaluate(batch).loss);
  const w = a.exportWeights();
  b.importWeights(w);
  assert.equal(b.evaluate(batch).loss, a.evaluate(batch).loss);
  const bad = { ...w, 'layer0.Wh': { shape: [4, 11], data: new Float32Array(44) } };
  assert.throws(() => b.importWeights(bad), /layer0\.Wh/);
  assert.equal(b.evaluate(batch).loss, a.evaluate(batch).loss, 'a refused import leaves the model untouched');
  a.dispose();
  b.dispose();
});

test('the trace has every gate of the cell, [T, H] matrices, zero reach after τ, and the sample’s masked step losses', () => {
  const T = 7, H = 3;
  for (const cell of CELL_KINDS) {
    const model = createModel(makeSpec(cell, { hiddenSize: H, layers: 2 }), tokenIO, 4);
    const batch = makeBatch(tokenIO, 2, T, 8);
    const r = model.forwardBackward(batch, null, { sample: 1, reachFrom: 4, jacobian: false, layers: [1] });
    tf.dispose(Object.values(r.grads));
    const tr = r.trace!;
    assert.equal(tr.steps, T);
    assert.equal(tr.reachFrom, 4);
    assert.deepEqual(Array.from(tr.tokens!), Array.from(batch.tokens!.slice(T, 2 * T)));
    assert.deepEqual(tr.layers.map((l) => l.layer), [1]);
    const lt = tr.layers[0];
    const expectedKeys = ['h', ...(hasCellState(cell) ? ['c'] : []), ...GATE_ORDER[cell]].sort();
    assert.deepEqual(Object.keys(lt.values).sort(), expectedKeys, cell);
    for (const v of Object.values(lt.values)) assert.equal(v.length, T * H);
    assert.equal(lt.dh.length, T * H);
    assert.equal(lt.dc !== undefined, hasCellState(cell));
    for (let t = 5; t < T; t++) assert.equal(lt.reachH[t], 0);
    assert.ok(lt.reachH[4] > 0 && lt.reachH[0] > 0);
    for (let t = 0; t < T; t++) {
      if (batch.mask[T + t] === 0) assert.equal(tr.stepLoss[t], 0);
      else assert.ok(tr.stepLoss[t] > 0);
    }
    // The sample's step losses, weighted like the batch loss, are part of L.
    for (let t = 0; t < T; t++) assert.ok(tr.stepLoss[t] <= r.loss * batch.mask.reduce((x, y) => x + y, 0) + 1e-6);
    model.dispose();
  }
});

test('no tensor leaks across repeated forwardBackward (with and without trace) and evaluate', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as CellKind[]) {
    const model = createModel(makeSpec(cell, { hiddenSize: 4, layers: 2, embeddingSize: 3 }), tokenIO, 1);
    const batch = makeBatch(tokenIO, 3, 6, 1);
    const counts: number[] = [];
    for (let k = 0; k < 3; k++) {
      const trace = k % 2 === 0 ? { sample: 0, reachFrom: -1, jacobian: true } : null;
      const r = model.forwardBackward(batch, null, trace);
      model.evaluate(batch, r.finalState);
      tf.dispose(Object.values(r.grads));
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts).size, 1, `${cell}: numTensors ${counts.join(', ')}`);
    const before = tf.memory().numTensors;
    model.dispose();
    assert.equal(tf.memory().numTensors, before - Object.keys(model.params).length);
  }
});

test('bad batches are refused with a message naming the problem', () => {
  const model = createModel(makeSpec('lstm'), tokenIO, 1);
  const batch = makeBatch(tokenIO, 2, 4, 1);
  assert.throws(() => model.forwardBackward({ ...batch, tokens: Int32Array.from(batch.tokens!, () => 9) }), /token id 9/);
  assert.throws(() => model.forwardBackward({ ...batch, mask: new Float32Array(3) }), /mask/);
  assert.throws(() => model.forwardBackward(batch, null, { sample: 5, reachFrom: -1, jacobian: false }), /sample 5/);
  model.dispose();
});
