// The float64 reference's hand-written BPTT against central finite differences of its own forward
// pass: every weight gradient, every ∂L/∂h_t and ∂L/∂c_t, every reach vector ∂ℓ_τ/∂(h_t, c_t),
// for every cell kind, 1 and 2 layers, one-hot / embedding / numeric input, xent and mse, masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CELL_KINDS, GATE_ORDER, hasCellState } from '../../../src/protocol/spec';
import type { CellKind, ModelSpec } from '../../../src/protocol/spec';
import type { Batch, ModelIO, RecurrentState } from '../../../src/core/types';
import { referenceForwardBackward, referenceLoss, referenceCellStep } from '../../../src/core/float64Reference';
import type { RefWeights } from '../../../src/core/float64Reference';
import { central, maxRelError, modelSpec, randomBatch, randomState, randomWeights, rng } from './helpers';

const EPS = 1e-3;
/** Fourth-order central differences at ε = 1e-3: truncation O(ε⁴) and rounding both ~1e-13 absolute. */
const TOL = 1e-7;

interface Case { name: string; spec: ModelSpec; io: ModelIO; B: number; T: number; initial: boolean; reachFrom: number }

const IOS: { name: string; io: ModelIO; embedding: number }[] = [
  { name: 'one-hot xent', io: { vocabSize: 4, inputSize: 0, outputSize: 4, loss: 'xent' }, embedding: 0 },
  { name: 'embedding xent', io: { vocabSize: 5, inputSize: 0, outputSize: 5, loss: 'xent' }, embedding: 2 },
  { name: 'one-hot mse', io: { vocabSize: 3, inputSize: 0, outputSize: 2, loss: 'mse' }, embedding: 0 },
  { name: 'numeric mse', io: { vocabSize: 0, inputSize: 2, outputSize: 2, loss: 'mse' }, embedding: 0 },
];

const cases: Case[] = [];
let n = 0;
for (const cell of CELL_KINDS) {
  for (const layers of [1, 2]) {
    for (const { name, io, embedding } of IOS) {
      n++;
      cases.push({
        name: `${cell}, ${layers} layer(s), ${name}`,
        spec: modelSpec(cell, { layers, embeddingSize: embedding }),
        io, B: 2, T: 4,
        initial: n % 2 === 0, // half the cases start from a random (carried) state
        reachFrom: n % 3 === 0 ? 1 : -1,
      });
    }
  }
}
// The relu options of the lecture: relu candidate / cell activation, relu vanilla RNN.
cases.push({ name: 'lstm, relu candidate and cell activation', spec: modelSpec('lstm', { layers: 2, cellActivation: 'relu', candidateActivation: 'relu' }), io: IOS[0].io, B: 2, T: 4, initial: true, reachFrom: 2 });
cases.push({ name: 'lstm-no-output-gate, relu cell activation', spec: modelSpec('lstm-no-output-gate', { cellActivation: 'relu' }), io: IOS[3].io, B: 2, T: 4, initial: true, reachFrom: -1 });
cases.push({ name: 'rnn, relu', spec: modelSpec('rnn', { layers: 2, rnnActivation: 'relu' }), io: IOS[1].io, B: 2, T: 4, initial: true, reachFrom: -1 });

function check(c: Case, seed: number): Record<string, number> {
  const rand = rng(seed);
  const weights = randomWeights(c.spec, c.io, rand);
  const batch = randomBatch(c.io, c.B, c.T, rand);
  const lstm = hasCellState(c.spec.cell);
  const initial: RecurrentState | null = c.initial ? randomState(c.spec, c.B, rand, lstm) : null;
  const sample = 1;
  const ref = referenceForwardBackward(c.spec, c.io, weights, batch, { sample, reachFrom: c.reachFrom, initial });
  const errs: Record<string, number> = {};

  // The loss the reference reports is the one its forward computes.
  assert.equal(ref.loss, referenceLoss(c.spec, c.io, weights, batch, { initial }).loss);

  // Every weight: perturb one entry, re-run the forward.
  for (const [name, w] of Object.entries(weights)) {
    const g = ref.grads[name];
    assert.ok(g, `no gradient for ${name}`);
    assert.equal(g.length, w.data.length);
    const data = w.data as Float64Array;
    const numeric = new Float64Array(data.length);
    for (let k = 0; k < data.length; k++) {
      const orig = data[k];
      numeric[k] = central((d) => {
        data[k] = orig + d;
        const L = referenceLoss(c.spec, c.io, weights, batch, { initial }).loss;
        data[k] = orig;
        return L;
      }, EPS);
    }
    errs[name] = maxRelError(g, numeric);
  }

  // Every state: perturb h_t or c_t of the traced sample inside the forward pass.
  const H = c.spec.hiddenSize;
  const tau = ref.reachFrom;
  for (let l = 0; l < c.spec.layers; l++) {
    for (const state of lstm ? (['h', 'c'] as const) : (['h'] as const)) {
      const total = new Float64Array(c.T * H);
      const reach = new Float64Array(c.T * H);
      for (let t = 0; t < c.T; t++) {
        for (let j = 0; j < H; j++) {
          const run = (d: number) => referenceLoss(c.spec, c.io, weights, batch, { initial, perturb: { layer: l, sample, step: t, unit: j, state, delta: d } });
          const runs = new Map<number, { loss: number; stepLoss: Float64Array }>();
          const at = (d: number) => runs.get(d) ?? (runs.set(d, run(d)), runs.get(d) as { loss: number; stepLoss: Float64Array });
          total[t * H + j] = central((d) => at(d).loss, EPS);
          reach[t * H + j] = central((d) => at(d).stepLoss[sample * c.T + tau], EPS);
        }
      }
      const rec = ref.layers[l];
      const analyticTotal = state === 'h' ? rec.dh : rec.dc;
      const analyticReach = state === 'h' ? rec.reachH : rec.reachC;
      assert.ok(analyticTotal && analyticReach, `layer ${l} has no ${state} gradients`);
      errs[`layer${l}.d${state}`] = maxRelError(analyticTotal, total);
      errs[`layer${l}.reach${state.toUpperCase()}`] = maxRelError(analyticReach, reach);
      // Reach is zero after τ: a later state cannot change an earlier loss.
      for (let t = tau + 1; t < c.T; t++) for (let j = 0; j < H; j++) assert.equal(analyticReach[t * H + j], 0);
    }
  }
  return errs;
}

let worstOverall = 0;
for (const [k, c] of cases.entries()) {
  test(`reference gradients = finite differences: ${c.name}`, (t) => {
    const errs = check(c, 1000 + k);
    const worst = Math.max(...Object.values(errs));
    worstOverall = Math.max(worstOverall, worst);
    t.diagnostic(`max relative error ${worst.toExponential(2)}`);
    for (const [name, e] of Object.entries(errs)) assert.ok(e < TOL, `${name}: relative error ${e} ≥ ${TOL}`);
  });
}
test('worst relative error over all cases', (t) => {
  t.diagnostic(`worst ${worstOverall.toExponential(2)} over ${cases.length} cases`);
  assert.ok(worstOverall > 0 && worstOverall < TOL);
});

test('records: gates after their non-linearity, in GATE_ORDER, c and h consistent', () => {
  const rand = rng(7);
  for (const cell of CELL_KINDS) {
    const spec = modelSpec(cell, { hiddenSize: 4 });
    const io: ModelIO = { vocabSize: 3, inputSize: 0, outputSize: 3, loss: 'xent' };
    const weights = randomWeights(spec, io, rand, 1.5);
    const batch = randomBatch(io, 2, 5, rand);
    const ref = referenceForwardBackward(spec, io, weights, batch, { sample: 0, reachFrom: -1 });
    const v = ref.layers[0].values;
    assert.deepEqual(Object.keys(v).sort(), [...(hasCellState(cell) ? ['c', 'h'] : ['h']), ...GATE_ORDER[cell]].sort());
    for (const name of GATE_ORDER[cell]) {
      if (name === 'g' || name === 'n' || name === 'a') continue;
      for (const x of v[name]) assert.ok(x > 0 && x < 1, `${cell} gate ${name} = ${x} is not a sigmoid output`);
    }
    if (cell === 'lstm') {
      // c_t = f ⊙ c_{t-1} + i ⊙ g and h_t = o ⊙ tanh(c_t), read back from the record.
      for (let t = 1; t < 5; t++) for (let j = 0; j < 4; j++) {
        const k = t * 4 + j;
        assert.ok(Math.abs(v.c[k] - (v.f[k] * v.c[k - 4] + v.i[k] * v.g[k])) < 1e-12);
        assert.ok(Math.abs(v.h[k] - v.o[k] * Math.tanh(v.c[k])) < 1e-12);
      }
    }
    if (cell === 'rnn') for (let k = 0; k < v.h.length; k++) assert.ok(Math.abs(v.h[k] - Math.tanh(v.a[k])) < 1e-12);
  }
});

test('GRU matches the Keras reset_after=false formula written out by hand', () => {
  // H = 1, one-hot V = 1 input: z = σ(wxz + uz·h + bz), r = σ(wxr + ur·h + br),
  // n = tanh(wxn + un·(r·h) + bn), h' = z·h + (1 − z)·n.
  const spec = modelSpec('gru', { hiddenSize: 1 });
  const Wx = [0.3, -0.2, 0.5], Wh = [0.7, 0.4, -0.9], b = [0.1, 0.2, -0.3];
  const hPrev = 0.6;
  const step = referenceCellStep(spec, { Wx, Wh, b, inputWidth: 1 }, [1], [hPrev], null);
  const s = (x: number) => 1 / (1 + Math.exp(-x));
  const z = s(0.3 + 0.7 * hPrev + 0.1), r = s(-0.2 + 0.4 * hPrev + 0.2);
  const nn = Math.tanh(0.5 + -0.9 * (r * hPrev) - 0.3);
  assert.ok(Math.abs(step.h[0] - (z * hPrev + (1 - z) * nn)) < 1e-15);
  assert.deepEqual(Array.from(step.gates).map((x) => +x.toFixed(12)), [z, r, nn].map((x) => +x.toFixed(12)));
});

test('lstm variants: absent gates act as 1 and have no weight columns', () => {
  // lstm-forget-only with the same f and g columns as a full LSTM whose i and o are saturated at 1.
  const H = 2;
  const rand = rng(3);
  const io: ModelIO = { vocabSize: 0, inputSize: 2, outputSize: 1, loss: 'mse' };
  const full = modelSpec('lstm', { hiddenSize: H });
  const fo = modelSpec('lstm-forget-only', { hiddenSize: H });
  const wf = randomWeights(fo, io, rand);
  const wl: RefWeights = { 'readout.W': wf['readout.W'], 'readout.b': wf['readout.b'] };
  const expand = (src: ArrayLike<number>, rows: number, bias: boolean) => {
    const out = new Float64Array(rows * 4 * H);
    for (let r = 0; r < rows; r++) for (let j = 0; j < H; j++) {
      out[r * 4 * H + j] = src[r * 2 * H + j]; // f
      out[r * 4 * H + 2 * H + j] = src[r * 2 * H + H + j]; // g
      if (bias) { out[r * 4 * H + H + j] = 60; out[r * 4 * H + 3 * H + j] = 60; } // σ(60) = 1 in float64
    }
    return out;
  };
  wl['layer0.Wx'] = { shape: [2, 4 * H], data: expand(wf['layer0.Wx'].data, 2, false) };
  wl['layer0.Wh'] = { shape: [H, 4 * H], data: expand(wf['layer0.Wh'].data, H, false) };
  wl['layer0.b'] = { shape: [4 * H], data: expand(wf['layer0.b'].data, 1, true) };
  const batch: Batch = randomBatch(io, 1, 6, rand);
  const a = referenceForwardBackward(fo, io, wf, batch, { sample: 0, reachFrom: -1 });
  const b = referenceForwardBackward(full, io, wl, batch, { sample: 0, reachFrom: -1 });
  assert.ok(Math.abs(a.loss - b.loss) < 1e-14, `${a.loss} vs ${b.loss}`);
  assert.equal(Object.keys(a.layers[0].values).length, 4); // h, c, f, g
});

test('stepLoss is unmasked, loss is the masked mean, finalState is the last step', () => {
  const rand = rng(11);
  const spec = modelSpec('lstm', { layers: 2 });
  const io: ModelIO = { vocabSize: 4, inputSize: 0, outputSize: 4, loss: 'xent' };
  const weights = randomWeights(spec, io, rand);
  const batch = randomBatch(io, 3, 5, rand);
  const ref = referenceForwardBackward(spec, io, weights, batch, { sample: 2, reachFrom: -1 });
  let num = 0, den = 0;
  for (let k = 0; k < 15; k++) { num += batch.mask[k] * ref.stepLoss[k]; den += batch.mask[k]; assert.ok(ref.stepLoss[k] > 0); }
  assert.ok(Math.abs(ref.loss - num / den) < 1e-14);
  const H = spec.hiddenSize;
  // The traced sample is 2: its last h is the final state's row 2.
  assert.deepEqual(Array.from(ref.finalState.h[1].subarray(2 * H, 3 * H)), Array.from(ref.layers[1].values.h.subarray(4 * H, 5 * H)));
  // Carrying the final state into a second window equals running both windows as one sequence.
  const T2 = 3;
  const batch2 = randomBatch(io, 3, T2, rand);
  const joined: Batch = { ...batch2, steps: 5 + T2, tokens: new Int32Array(3 * 8), targetTokens: new Int32Array(3 * 8), mask: new Float32Array(3 * 8) };
  for (let b = 0; b < 3; b++) for (let t = 0; t < 8; t++) {
    const src = t < 5 ? batch : batch2, tt = t < 5 ? t : t - 5, T = t < 5 ? 5 : T2;
    (joined.tokens as Int32Array)[b * 8 + t] = (src.tokens as Int32Array)[b * T + tt];
    (joined.targetTokens as Int32Array)[b * 8 + t] = (src.targetTokens as Int32Array)[b * T + tt];
    joined.mask[b * 8 + t] = src.mask[b * T + tt];
  }
  const carried = referenceForwardBackward(spec, io, weights, batch2, {
    sample: 0, reachFrom: -1,
    initial: { h: ref.finalState.h.map((x) => Float32Array.from(x)), c: (ref.finalState.c as Float64Array[]).map((x) => Float32Array.from(x)) },
  });
  const whole = referenceForwardBackward(spec, io, weights, joined, { sample: 0, reachFrom: -1 });
  for (let b = 0; b < 3; b++) for (let t = 0; t < T2; t++) {
    // float32 rounding of the carried state is the only difference.
    assert.ok(Math.abs(carried.stepLoss[b * T2 + t] - whole.stepLoss[b * 8 + 5 + t]) < 1e-6);
  }
});

test('bad inputs are refused with a message', () => {
  const spec = modelSpec('gru');
  const io: ModelIO = { vocabSize: 4, inputSize: 0, outputSize: 4, loss: 'xent' };
  const weights = randomWeights(spec, io, rng(1));
  const batch = randomBatch(io, 2, 3, rng(2));
  assert.throws(() => referenceForwardBackward(spec, io, weights, batch, { sample: 2, reachFrom: -1 }), /sample 2/);
  assert.throws(() => referenceForwardBackward(spec, io, weights, batch, { sample: 0, reachFrom: 3 }), /reachFrom 3/);
  const { ['layer0.Wh']: _dropped, ...missing } = weights;
  assert.throws(() => referenceForwardBackward(spec, io, missing, batch, { sample: 0, reachFrom: -1 }), /layer0\.Wh/);
  assert.throws(() => referenceForwardBackward(modelSpec('lstm' as CellKind), io, weights, batch, { sample: 0, reachFrom: -1 }), /shape/);
});
