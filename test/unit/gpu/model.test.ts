// The GPU model against the op-by-op tfjs engine (createModel) with the same seed, for every cell
// (LSTM, its variants, GRU, RNN): loss, every weight gradient, final state, and the whole trace snapshot as
// the panel receives it (values, ∂L/∂h, ∂L/∂c, norms, reach, saturation, Jacobian spectra).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { CELL_KINDS, hasCellState, type CellKind } from '../../../src/protocol/spec';
import type { ModelIO, TraceRequest } from '../../../src/core/types';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { createGpuModel } from '../../../src/core/gpu/model';
import { lstmSpec, randomBatch, relErr } from '../fast/helpers';
import { testGpu } from './adapter';

const TOL = 5e-5;
const io: ModelIO = { vocabSize: 0, inputSize: 3, outputSize: 2, loss: 'mse' };

for (const cell of CELL_KINDS as readonly CellKind[]) {
  test(`GPU model (${cell}) equals the tfjs engine: loss, gradients, state and the trace snapshot`, async (t) => {
    const gpu = await testGpu(t);
    if (!gpu) return;
    await tf.setBackend('cpu');
    const spec = lstmSpec({ cell, hiddenSize: 6, layers: 2 });
    const ref = createModel(spec, io, 5);
    const model = await createGpuModel(spec, io, 5, gpu);
    assert.equal(model.path, `gpu:${gpu.label}`);
    const B = 3, T = 7;
    const batch = randomBatch(io, B, T, 21);
    const trace: TraceRequest = { sample: 1, reachFrom: 4, jacobian: true };
    const a = ref.forwardBackward(batch, null, trace);
    const b = await model.forwardBackwardAsync(batch, null, trace);
    try {
      assert.ok(Math.abs(a.loss - b.loss) < TOL * Math.max(1, a.loss), `loss ${b.loss} vs ${a.loss}`);
      assert.deepEqual(Object.keys(b.grads).sort(), Object.keys(a.grads).sort());
      for (const name of Object.keys(a.grads)) assert.ok(relErr(b.grads[name].dataSync(), a.grads[name].dataSync()) < TOL, name);
      for (let l = 0; l < 2; l++) {
        assert.ok(relErr(b.finalState.h[l], a.finalState.h[l]) < TOL, `final h ${l}`);
        if (hasCellState(cell)) assert.ok(relErr(b.finalState.c![l], a.finalState.c![l]) < TOL, `final c ${l}`);
        else assert.equal(b.finalState.c, null);
      }
      const ta = a.trace!, tb = b.trace!;
      assert.equal(tb.cell, cell);
      assert.ok(relErr(tb.stepLoss, ta.stepLoss) < TOL, 'stepLoss');
      ta.layers.forEach((la, k) => {
        const lb = tb.layers[k];
        assert.deepEqual(Object.keys(lb.values).sort(), Object.keys(la.values).sort(), 'recorded quantities');
        for (const key of Object.keys(la.values)) assert.ok(relErr(lb.values[key], la.values[key]) < TOL, `layer ${k} ${key}`);
        assert.deepEqual(Object.keys(lb).sort(), Object.keys(la).sort(), 'the same trace fields');
        for (const key of ['dh', 'dc', 'dhNorm', 'dcNorm', 'reachH', 'reachC'] as const) if (la[key]) assert.ok(relErr(lb[key]!, la[key]!) < TOL, `layer ${k} ${key}`);
        assert.ok(relErr(lb.jacobianSigma!, la.jacobianSigma!) < 1e-4, `layer ${k} jacobianSigma`);
        assert.deepEqual(lb.jacobianLags, la.jacobianLags);
        assert.ok(relErr(lb.jacobianLagSigma!, la.jacobianLagSigma!) < 1e-4, `layer ${k} jacobianLagSigma`);
        assert.deepEqual(Object.keys(lb.saturation).sort(), Object.keys(la.saturation).sort(), 'saturation gates');
        for (const gate of Object.keys(la.saturation)) {
          assert.ok(relErr(lb.saturation[gate].low, la.saturation[gate].low) < 1e-6, `sat low ${gate}`);
          assert.ok(relErr(lb.saturation[gate].high, la.saturation[gate].high) < 1e-6, `sat high ${gate}`);
        }
      });
      const ea = ref.evaluate(batch), eb = await model.evaluateAsync(batch);
      assert.ok(Math.abs(ea.loss - eb.loss) < TOL * Math.max(1, ea.loss), 'evaluate');
      // The synchronous pass (CPU fused kernel or reference engine) agrees too.
      const c = model.forwardBackward(batch, null, null);
      assert.ok(Math.abs(c.loss - a.loss) < TOL * Math.max(1, a.loss), 'synchronous pass');
      tf.dispose(Object.values(c.grads));
    } finally {
      tf.dispose([...Object.values(a.grads), ...Object.values(b.grads)]);
      ref.dispose();
      model.dispose();
    }
  });
}
