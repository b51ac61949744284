// The lecture's claim at initialisation, on delayed recall with T = 100: the gradient of the loss
// at the last step reaches 90 steps back through an LSTM (forget bias 1) orders of magnitude
// more strongly than through a vanilla tanh RNN.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { Rng } from '../../../src/core/init';
import type { Batch, ModelIO } from '../../../src/core/types';
import { makeSpec, useCpu } from './helpers';

before(useCpu);

const T = 100, B = 8, H = 32, LAG = 90;
/** Tokens: 0 unused, 1…8 symbols, 9 the query mark at the last step. */
const io: ModelIO = { vocabSize: 10, inputSize: 0, outputSize: 10, loss: 'xent' };

/** Symbol at step 0, random distractor symbols in between, query mark last; loss only at the last step. */
function delayedRecall(seed: number): Batch {
  const rng = new Rng(seed);
  const tokens = new Int32Array(B * T), targetTokens = new Int32Array(B * T), mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const symbol = 1 + Math.floor(rng.next() * 8);
    tokens[b * T] = symbol;
    for (let t = 1; t < T - 1; t++) tokens[b * T + t] = 1 + Math.floor(rng.next() * 8);
    tokens[b * T + T - 1] = 9;
    targetTokens[b * T + T - 1] = symbol;
    mask[b * T + T - 1] = 1;
  }
  return { batchSize: B, steps: T, tokens, inputs: null, targetTokens, targets: null, mask };
}

/** ‖∂ℓ_T/∂state_{T−1−LAG}‖ (for the LSTM the larger of h and c) and at lag 0. */
function reach(cell: 'rnn' | 'lstm', seed: number, batch: Batch): { lag: number; zero: number } {
  const model = createModel(makeSpec(cell, { hiddenSize: H, forgetBias: 1 }), io, seed);
  const r = model.forwardBackward(batch, null, { sample: 0, reachFrom: -1, jacobian: false });
  tf.dispose(Object.values(r.grads));
  model.dispose();
  const lt = r.trace!.layers[0];
  const t = T - 1 - LAG;
  return { lag: Math.max(lt.reachH[t], lt.reachC?.[t] ?? 0), zero: lt.reachH[T - 1] };
}

// The ratio depends on the seed (weights and batch): over seeds 1–8 of this setup it spans
// 1.5e2 … 6.6e3 (cpu backend), RNN reach ≈ 2e-6…2e-5, LSTM ≈ 2e-3…2e-2, both ≈ 1 at lag 0. (With
// blanks instead of distractors the RNN keeps more — its orthogonal Wh is nearly norm-preserving
// around a quiet fixed point — and the ratio spread from 2.8 to 8e5.) The claim tested, and made in
// the README, is the measured range: at least 100× on every one of the eight seeds.
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
test('at initialisation the LSTM gradient reaches 90 steps back ≥ 100× more strongly than a tanh RNN, on each of seeds 1–8', (ctx) => {
  const ratios: number[] = [];
  for (const seed of SEEDS) {
    const batch = delayedRecall(seed * 77);
    const rnn = reach('rnn', seed, batch);
    const lstm = reach('lstm', seed, batch);
    // Same scale at the loss step: the difference is what BPTT does over 90 steps.
    assert.ok(rnn.zero > 0.1 && lstm.zero > 0.1, `reach at lag 0: rnn ${rnn.zero}, lstm ${lstm.zero}`);
    assert.ok(rnn.lag < 1e-3 * rnn.zero, `the tanh RNN's gradient should vanish over ${LAG} steps: ${rnn.lag}`);
    ratios.push(lstm.lag / rnn.lag);
  }
  const text = ratios.map((x) => x.toExponential(1)).join(', ');
  ctx.diagnostic(`LSTM/RNN reach ratio at lag ${LAG}, seeds ${SEEDS.join(',')}: ${text} (min ${Math.min(...ratios).toExponential(1)}, max ${Math.max(...ratios).toExponential(1)})`);
  for (const r of ratios) assert.ok(r >= 100, `LSTM/RNN reach ratios at lag ${LAG}: ${text}`);
});
