// createFastModel against the op-by-op tfjs engine (createModel) with the same seed, for the LSTM,
// the GRU and the vanilla RNN: loss, every weight gradient, final state and every trace field
// (values, ∂L/∂h_t, ∂L/∂c_t where the cell has c, reach, saturation, Jacobian spectra) agree within
// float32 tolerance, and the fields the engine leaves out are left out.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../../src/protocol/spec';
import type { ModelIO, RecurrentState, TraceRequest } from '../../../src/core/types';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { createFastModel } from '../../../src/core/fast/model';
import { defaultGemm, jsSgemm, type GemmProvider } from '../../../src/core/fast/gemm';
import { buildWasmKernel, lstmSpec, randomBatch, relErr, wasmGemm } from './helpers';

before(buildWasmKernel);

const TOL = 5e-5;

async function compare(spec: ModelSpec, io: ModelIO, B: number, T: number, trace: TraceRequest, withInitial: boolean,
  gemm: GemmProvider = { name: 'js', sgemm: jsSgemm }): Promise<void> {
  await tf.setBackend('cpu');
  const ref = createModel(spec, io, 5);
  const fast = createFastModel(spec, io, 5, { gemm });
  assert.equal(fast.path, `fused:${gemm.name}`);
  const batch = randomBatch(io, B, T, 21);
  const H = spec.hiddenSize;
  const initial: RecurrentState | null = withInitial
    ? {
        h: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => Math.sin(k + l))),
        c: Array.from({ length: spec.layers }, (_, l) => Float32Array.from({ length: B * H }, (_v, k) => Math.cos(2 * k + l))),
      }
    : null;
  const a = ref.forwardBackward(batch, initial, trace);
  const b = fast.forwardBackward(batch, initial, trace);
  try {
    assert.ok(Math.abs(a.loss - b.loss) < TOL * Math.max(1, a.loss), `loss ${b.loss} vs ${a.loss}`);
    assert.deepEqual(Object.keys(b.grads).sort(), Object.keys(a.grads).sort());
    for (const name of Object.keys(a.grads)) {
      assert.deepEqual(b.grads[name].shape, a.grads[name].shape, name);
      const e = relErr(b.grads[name].dataSync(), a.grads[name].dataSync());
      assert.ok(e < TOL, `${name}: relative error ${e}`);
    }
    for (let l = 0; l < spec.layers; l++) {
      assert.ok(relErr(b.finalState.h[l], a.finalState.h[l]) < TOL, `final h ${l}`);
      if (a.finalState.c) assert.ok(relErr(b.finalState.c![l], a.finalState.c[l]) < TOL, `final c ${l}`);
      else assert.equal(b.finalState.c, null, 'no cell state');
    }
    const ta = a.trace!, tb = b.trace!;
    assert.equal(tb.sample, ta.sample);
    assert.equal(tb.reachFrom, ta.reachFrom);
    assert.equal(tb.steps, ta.steps);
    assert.deepEqual(tb.tokens, ta.tokens);
    assert.deepEqual(tb.inputs, ta.inputs);
    assert.ok(relErr(tb.stepLoss, ta.stepLoss) < TOL, 'stepLoss');
    assert.deepEqual(tb.layers.map((x) => x.layer), ta.layers.map((x) => x.layer));
    ta.layers.forEach((la, k) => {
      const lb = tb.layers[k];
      assert.deepEqual(Object.keys(lb.values).sort(), Object.keys(la.values).sort());
      for (const key of Object.keys(la.values)) assert.ok(relErr(lb.values[key], la.values[key]) < TOL, `layer ${la.layer} ${key}`);
      for (const key of ['dh', 'dc', 'dhNorm', 'dcNorm', 'reachH', 'reachC'] as const) {
        if (la[key] === undefined) {
          assert.equal(lb[key], undefined, `layer ${la.layer} ${key} absent like the engine's`);
          continue;
        }
        const e = relErr(lb[key]!, la[key]);
        assert.ok(e < TOL, `layer ${la.layer} ${key}: ${e}`);
      }
      // Jacobian spectra: present exactly when asked for, and equal to the reference's.
      assert.equal(lb.jacobianSigma !== undefined, !!trace.jacobian, `layer ${la.layer} jacobianSigma present iff asked`);
      if (trace.jacobian) {
        assert.ok(relErr(lb.jacobianSigma!, la.jacobianSigma!) < 1e-4, `layer ${la.layer} jacobianSigma`);
        assert.deepEqual(lb.jacobianLags, la.jacobianLags);
        assert.ok(relErr(lb.jacobianLagSigma!, la.jacobianLagSigma!) < 1e-4, `layer ${la.layer} jacobianLagSigma`);
      }
      assert.deepEqual(Object.keys(lb.saturation).sort(), Object.keys(la.saturation).sort());
      for (const gate of Object.keys(la.saturation)) {
        assert.ok(relErr(lb.saturation[gate].low, la.saturation[gate].low) < 1e-6, `sat low ${gate}`);
        assert.ok(relErr(lb.saturation[gate].high, la.saturation[gate].high) < 1e-6, `sat high ${gate}`);
      }
    });
    const ea = ref.evaluate(batch, initial), eb = fast.evaluate(batch, initial);
    assert.ok(Math.abs(ea.loss - eb.loss) < TOL * Math.max(1, ea.loss), 'evaluate loss');
  } finally {
    tf.dispose([...Object.values(a.grads), ...Object.values(b.grads)]);
    ref.dispose();
    fast.dispose();
  }
}

const tokens: ModelIO = { vocabSize: 7, inputSize: 0, outputSize: 7, loss: 'xent' };
const numeric: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

test('one-hot LSTM: fused pass equals the tfjs engine', () =>
  compare(lstmSpec({ hiddenSize: 6 }), tokens, 4, 9, { sample: 2, reachFrom: -1, jacobian: false }, false));

test('2-layer embedding LSTM with carried state, reach from step 4', () =>
  compare(lstmSpec({ hiddenSize: 5, layers: 2, embeddingSize: 3 }), tokens, 3, 8, { sample: 0, reachFrom: 4, jacobian: true }, true));

test('3-layer numeric MSE LSTM, tracing layers 0 and 2 only', () =>
  compare(lstmSpec({ hiddenSize: 4, layers: 3 }), numeric, 2, 6, { sample: 1, reachFrom: -1, layers: [0, 2], jacobian: false }, false));

test('one-hot vanilla RNN (tanh): fused pass equals the tfjs engine', () =>
  compare(lstmSpec({ cell: 'rnn', hiddenSize: 6 }), tokens, 4, 9, { sample: 2, reachFrom: -1, jacobian: false }, false));

test('2-layer embedding vanilla RNN (relu) with carried state, reach from step 4, Jacobian spectra', () =>
  compare(lstmSpec({ cell: 'rnn', rnnActivation: 'relu', hiddenSize: 5, layers: 2, embeddingSize: 3 }), tokens, 3, 8, { sample: 0, reachFrom: 4, jacobian: true }, true));

test('3-layer numeric MSE vanilla RNN, tracing layers 0 and 2 only', () =>
  compare(lstmSpec({ cell: 'rnn', hiddenSize: 4, layers: 3 }), numeric, 2, 6, { sample: 1, reachFrom: -1, layers: [0, 2], jacobian: false }, false));

test('one-hot GRU: fused pass equals the tfjs engine', () =>
  compare(lstmSpec({ cell: 'gru', hiddenSize: 6 }), tokens, 4, 9, { sample: 2, reachFrom: -1, jacobian: false }, false));

test('2-layer embedding GRU with carried state, reach from step 4, Jacobian spectra', () =>
  compare(lstmSpec({ cell: 'gru', hiddenSize: 5, layers: 2, embeddingSize: 3 }), tokens, 3, 8, { sample: 0, reachFrom: 4, jacobian: true }, true));

test('3-layer numeric MSE GRU, tracing layers 0 and 2 only', () =>
  compare(lstmSpec({ cell: 'gru', hiddenSize: 4, layers: 3 }), numeric, 2, 6, { sample: 1, reachFrom: -1, layers: [0, 2], jacobian: false }, false));

test('the GRU with the wasm SIMD GEMM and steps: fused pass equals the tfjs engine', () =>
  compare(lstmSpec({ cell: 'gru', hiddenSize: 7, layers: 2 }), tokens, 3, 10, { sample: 1, reachFrom: 6, jacobian: true }, true, wasmGemm(true)));

test('the LSTM variants keep the reference engine and say so', async () => {
  await tf.setBackend('cpu');
  for (const cell of ['lstm-no-output-gate', 'lstm-no-input-gate', 'lstm-forget-only'] as const) {
    const m = createFastModel(lstmSpec({ cell }), tokens, 1);
    assert.match(m.path, new RegExp(`^op-by-op: .*cell '${cell}'`));
    assert.equal(m.gemm, null);
    m.dispose();
  }
});

test('the LSTM, the GRU and the vanilla RNN take the fused path on the default GEMM', async () => {
  await tf.setBackend('cpu');
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const m = createFastModel(lstmSpec({ cell }), tokens, 1);
    assert.equal(m.path, `fused:${defaultGemm().name}`, cell);
    m.dispose();
  }
});

test('weights imported into the fast model change its loss like the engine', async () => {
  await tf.setBackend('cpu');
  const spec = lstmSpec({ hiddenSize: 4 });
  const ref = createModel(spec, tokens, 1);
  const fast = createFastModel(spec, tokens, 2, { gemm: { name: 'js', sgemm: jsSgemm } });
  const batch = randomBatch(tokens, 2, 5, 3);
  const before = fast.evaluate(batch).loss;
  fast.importWeights(ref.exportWeights());
  const after = fast.evaluate(batch).loss;
  assert.notEqual(after, before);
  assert.ok(Math.abs(after - ref.evaluate(batch).loss) < 1e-5);
  ref.dispose();
  fast.dispose();
});

test('saturation is the engine\'s definition: a forget gate open at every one of 399 steps reads exactly 1, as on the engine', async () => {
  await tf.setBackend('cpu');
  const spec = lstmSpec({ hiddenSize: 4 });
  const T = 399;
  const ref = createModel(spec, tokens, 1);
  const w = ref.exportWeights();
  // f-block of the bias (GATE_ORDER lstm: f, i, g, o) far positive: f ≈ 1 > 0.9 at every step.
  for (let j = 0; j < 4; j++) w['layer0.b'].data[j] = 40;
  ref.importWeights(w);
  const fast = createFastModel(spec, tokens, 1, { gemm: { name: 'js', sgemm: jsSgemm } });
  fast.importWeights(w);
  const batch = randomBatch(tokens, 1, T, 4);
  const req = { sample: 0, reachFrom: -1, jacobian: false };
  const a = ref.forwardBackward(batch, null, req);
  const b = fast.forwardBackward(batch, null, req);
  try {
    assert.deepEqual([...b.trace!.layers[0].saturation.f.high], [1, 1, 1, 1]);
    assert.deepEqual(b.trace!.layers[0].saturation, a.trace!.layers[0].saturation);
  } finally {
    tf.dispose([...Object.values(a.grads), ...Object.values(b.grads)]);
    ref.dispose();
    fast.dispose();
  }
});
