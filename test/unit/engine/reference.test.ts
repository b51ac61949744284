// The engine against the independent float64 reference (src/core/float64Reference.ts): loss, every weight
// gradient, ∂L/∂h_t, ∂L/∂c_t, the reach vectors ∂ℓ_τ/∂h_t, ∂ℓ_τ/∂c_t, the recorded values, the
// step losses and the final state, for every cell kind, input and loss, with a mask.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { referenceForwardBackward } from '../../../src/core/float64Reference';
import { jacobianSpectra } from '../../../src/core/analysis/jacobian';
import { CELL_KINDS, hasCellState, type CellKind, type ModelSpec } from '../../../src/protocol/spec';
import type { ModelIO, RecurrentState } from '../../../src/core/types';
import { Rng } from '../../../src/core/init';
import { makeBatch, makeSpec, relErr, useCpu } from './helpers';

before(useCpu);

const B = 2, T = 6, H = 3, V = 5;
const TOL = 1e-4; // float32 against float64; measured worst ≈ 7e-7

interface Case { name: string; spec: ModelSpec; io: ModelIO; initial: boolean }

function cases(): Case[] {
  const out: Case[] = [];
  for (const cell of CELL_KINDS) {
    for (const emb of [0, 4]) {
      for (const loss of ['xent', 'mse'] as const) {
        out.push({
          name: `${cell} ${emb ? 'embedding' : 'one-hot'} ${loss}`,
          spec: makeSpec(cell, { hiddenSize: H, layers: 2, embeddingSize: emb }),
          io: { vocabSize: V, inputSize: 0, outputSize: loss === 'xent' ? V : 2, loss },
          initial: emb > 0 && loss === 'mse',
        });
      }
    }
    out.push({
      name: `${cell} numeric mse, relu activations, 3 layers`,
      spec: makeSpec(cell, { hiddenSize: H, layers: 3, cellActivation: 'relu', candidateActivation: 'relu', rnnActivation: 'relu' }),
      io: { vocabSize: 0, inputSize: 2, outputSize: 2, loss: 'mse' },
      initial: true,
    });
  }
  return out;
}

function randomState(cell: CellKind, layers: number, seed: number): RecurrentState {
  const rng = new Rng(seed);
  const arr = (): Float32Array => Float32Array.from({ length: B * H }, () => rng.uniform(-0.8, 0.8));
  return { h: Array.from({ length: layers }, arr), c: hasCellState(cell) ? Array.from({ length: layers }, arr) : null };
}

/** Random non-initial weights, so gates are away from their init values (biases ≠ 0, etc.). */
function perturbWeights(w: Record<string, { shape: number[]; data: Float32Array }>, seed: number): void {
  const rng = new Rng(seed);
  for (const v of Object.values(w)) for (let k = 0; k < v.data.length; k++) v.data[k] += rng.uniform(-0.3, 0.3);
}

test('every cell kind: loss, weight gradients, dh, dc, reach vectors, values and final state equal the float64 reference', () => {
  let worstAll = 0;
  for (const c of cases()) {
    const model = createModel(c.spec, c.io, 5);
    const weights = model.exportWeights();
    perturbWeights(weights, 17);
    model.importWeights(weights);
    const batch = makeBatch(c.io, B, T, 23);
    const initial = c.initial ? randomState(c.spec.cell, c.spec.layers, 31) : null;
    for (const [sample, reachFrom] of [[1, 3], [0, -1]]) {
      const r = model.forwardBackward(batch, initial, { sample, reachFrom, jacobian: false });
      const ref = referenceForwardBackward(c.spec, c.io, weights, batch, { sample, reachFrom, initial });
      const check = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void => {
        const e = relErr(actual, expected);
        worstAll = Math.max(worstAll, e);
        assert.ok(e < TOL, `${c.name}, sample ${sample}, τ ${reachFrom}: ${what} differs by ${e.toExponential(2)} (relative)`);
      };
      check('loss', [r.loss], [ref.loss]);
      assert.deepEqual(Object.keys(r.grads).sort(), Object.keys(ref.grads).sort());
      for (const [name, g] of Object.entries(r.grads)) check(`∂L/∂${name}`, g.dataSync(), ref.grads[name]);
      tf.dispose(Object.values(r.grads));
      const tr = r.trace!;
      assert.equal(tr.reachFrom, ref.reachFrom);
      const refStep = Array.from({ length: T }, (_, t) => ref.stepLoss[sample * T + t] * batch.mask[sample * T + t]);
      check('stepLoss', tr.stepLoss, refStep);
      for (let l = 0; l < c.spec.layers; l++) {
        const lt = tr.layers[l], rl = ref.layers[l], reach = model.lastReach![l];
        for (const [k, v] of Object.entries(rl.values)) check(`layer ${l} ${k}`, lt.values[k], v);
        check(`layer ${l} dh`, lt.dh, rl.dh);
        check(`layer ${l} reachH`, reach.reachH, rl.reachH);
        if (hasCellState(c.spec.cell)) {
          check(`layer ${l} dc`, lt.dc!, rl.dc!);
          check(`layer ${l} reachC`, reach.reachC!, rl.reachC!);
        }
        check(`layer ${l} final h`, r.finalState.h[l], ref.finalState.h[l]);
        if (ref.finalState.c) check(`layer ${l} final c`, r.finalState.c![l], ref.finalState.c[l]);
      }
    }
    model.dispose();
  }
  assert.ok(worstAll > 0, 'the comparison saw float32 rounding (the test is comparing real numbers)');
});

test('the trace norms are the norms of the vectors, and the Jacobian spectra use this layer’s Wh, values and initial state', () => {
  const spec = makeSpec('lstm', { hiddenSize: H, layers: 2 });
  const io: ModelIO = { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' };
  const model = createModel(spec, io, 8);
  const weights = model.exportWeights();
  perturbWeights(weights, 4);
  model.importWeights(weights);
  const batch = makeBatch(io, B, T, 2);
  const initial = randomState('lstm', 2, 9);
  const r = model.forwardBackward(batch, initial, { sample: 1, reachFrom: 4, jacobian: true });
  tf.dispose(Object.values(r.grads));
  const ref = referenceForwardBackward(spec, io, weights, batch, { sample: 1, reachFrom: 4, initial });
  for (let l = 0; l < 2; l++) {
    const lt = r.trace!.layers[l];
    for (let t = 0; t < T; t++) {
      const nh = Math.hypot(...Array.from(ref.layers[l].dh.subarray(t * H, (t + 1) * H)));
      const nr = Math.hypot(...Array.from(ref.layers[l].reachC!.subarray(t * H, (t + 1) * H)));
      assert.ok(Math.abs(lt.dhNorm[t] - nh) <= 1e-4 * nh + 1e-9);
      assert.ok(Math.abs(lt.reachC![t] - nr) <= 1e-4 * nr + 1e-9);
    }
    // The same spectra from the reference's values and the sample's initial state.
    const expected = jacobianSpectra({
      cell: 'lstm', spec, Wh: weights[`layer${l}.Wh`].data, H, values: ref.layers[l].values,
      initialH: initial.h[l].subarray(H, 2 * H), initialC: initial.c![l].subarray(H, 2 * H), reachFrom: 4,
    });
    assert.equal(lt.jacobianSigma!.length, T);
    assert.ok(relErr(lt.jacobianSigma!, expected.sigma) < 1e-3, `layer ${l} sigma`);
    assert.deepEqual(Array.from(lt.jacobianLags!), Array.from(expected.lags));
    assert.ok(relErr(lt.jacobianLagSigma!, expected.lagSigma) < 1e-3, `layer ${l} lag sigma`);
    assert.deepEqual(Object.keys(lt.saturation).sort(), ['f', 'i', 'o']);
  }
  model.dispose();
});
