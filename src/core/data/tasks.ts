// Synthetic long-memory tasks with known answers and analytic baselines: the adding problem,
// the copy memory task and delayed recall. Training batches are drawn fresh every step; the
// validation set is a fixed set drawn from its own seed stream.

import type { Batch } from '../types';
import { deriveSeed, mulberry32, type Rng } from './prng';
import type { DataSource, TrainBatch } from './source';

export interface TaskOptions {
  batchSize: number;
  seed: number;
  /** 0 = no validation; otherwise a fixed held-out set of `validationBatches` batches. */
  validationFraction: number;
  /** Number of held-out batches (default 4: 128 sequences at batch 32). */
  validationBatches?: number;
}

function makeSource(gen: (rng: Rng, B: number) => Batch, opts: TaskOptions, rest: Omit<DataSource, 'nextTrainBatch' | 'validationBatches' | 'continuous'>): DataSource {
  const trainRng = mulberry32(deriveSeed(opts.seed, 'train'));
  const valRng = mulberry32(deriveSeed(opts.seed, 'validation'));
  const count = opts.validationFraction > 0 ? (opts.validationBatches ?? 4) : 0;
  const validation = Array.from({ length: count }, () => gen(valRng, opts.batchSize));
  return {
    ...rest,
    continuous: false,
    nextTrainBatch: (): TrainBatch => ({ ...gen(trainRng, opts.batchSize), fresh: true }),
    validationBatches: () => validation,
  };
}

/**
 * Adding problem, [0,1] version (Hochreiter & Schmidhuber 1997; marker placement of Le et al.
 * 2015): input [B, T, 2] = (value ~ U[0,1], marker ∈ {0,1}); exactly two markers, one in the
 * first half and one in the second; target [B, T, 1] = the sum of the two marked values, scored
 * at the last step only. Always answering 1 (the mean of the sum) gives MSE Var = 2/12 = 1/6.
 */
export function addingTask(T: number, opts: TaskOptions): DataSource {
  const half = Math.floor(T / 2);
  const gen = (rng: Rng, B: number): Batch => {
    const inputs = new Float32Array(B * T * 2);
    const targets = new Float32Array(B * T);
    const mask = new Float32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) inputs[(b * T + t) * 2] = rng.next();
      const p1 = rng.int(half);
      const p2 = half + rng.int(T - half);
      inputs[(b * T + p1) * 2 + 1] = 1;
      inputs[(b * T + p2) * 2 + 1] = 1;
      targets[b * T + T - 1] = inputs[(b * T + p1) * 2] + inputs[(b * T + p2) * 2];
      mask[b * T + T - 1] = 1;
    }
    return { batchSize: B, steps: T, tokens: null, inputs, targetTokens: null, targets, mask };
  };
  return makeSource(gen, opts, {
    io: { vocabSize: 0, inputSize: 2, outputSize: 1, loss: 'mse' },
    baseline: 1 / 6,
    description: `adding problem T=${T}: two marked values in U[0,1], predict their sum at the last step (baseline MSE 1/6 ≈ 0.1667)`,
  });
}

/** Copy task vocabulary: blank, the 8 symbols, the delimiter. */
export const COPY_VOCABULARY = ['_', '1', '2', '3', '4', '5', '6', '7', '8', ':'];

/**
 * Copy memory task (Arjovsky, Shah & Bengio 2016): 10 symbols drawn from 8 categories, then T−1
 * blanks, the delimiter, 10 blanks (length T + 20); the target is blank everywhere except the
 * last 10 steps, which must reproduce the 10 symbols. Cross-entropy at every step. Answering
 * blank until the delimiter and uniformly over the 8 symbols afterwards gives 10·ln8/(T+20).
 */
export function copyTask(T: number, opts: TaskOptions): DataSource {
  const L = T + 20;
  const gen = (rng: Rng, B: number): Batch => {
    const tokens = new Int32Array(B * L);
    const targetTokens = new Int32Array(B * L);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < 10; k++) {
        const s = 1 + rng.int(8);
        tokens[b * L + k] = s;
        targetTokens[b * L + L - 10 + k] = s;
      }
      tokens[b * L + T + 9] = 9; // the delimiter, after 10 symbols and T−1 blanks
    }
    return { batchSize: B, steps: L, tokens, inputs: null, targetTokens, targets: null, mask: new Float32Array(B * L).fill(1) };
  };
  return makeSource(gen, opts, {
    io: { vocabSize: 10, inputSize: 0, outputSize: 10, loss: 'xent' },
    vocabulary: COPY_VOCABULARY,
    baseline: (10 * Math.log(8)) / (T + 20),
    description: `copy task T=${T}: recall 10 symbols after ${T} steps (sequence ${L}, baseline 10·ln8/${L} ≈ ${((10 * Math.log(8)) / L).toFixed(4)})`,
  });
}

/**
 * Delayed recall: blanks everywhere except one symbol (of `symbols`) at step `recallFrom` and a
 * query mark at the last step (when that is not the recall step); the target at the last step is
 * that symbol, scored there only. Guessing gives ln(symbols).
 * Vocabulary: '_' blank, 'A'…, '?' query.
 */
export function delayedRecallTask(T: number, recallFrom: number, symbols: number, opts: TaskOptions): DataSource {
  const V = symbols + 2;
  const query = symbols + 1;
  const vocabulary = ['_', ...Array.from({ length: symbols }, (_, i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : '')), '?'];
  const gen = (rng: Rng, B: number): Batch => {
    const tokens = new Int32Array(B * T);
    const targetTokens = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    for (let b = 0; b < B; b++) {
      const s = 1 + rng.int(symbols);
      tokens[b * T + T - 1] = query;
      tokens[b * T + recallFrom] = s;
      targetTokens[b * T + T - 1] = s;
      mask[b * T + T - 1] = 1;
    }
    return { batchSize: B, steps: T, tokens, inputs: null, targetTokens, targets: null, mask };
  };
  return makeSource(gen, opts, {
    io: { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' },
    vocabulary,
    baseline: Math.log(symbols),
    description: `delayed recall T=${T}: output at step ${T - 1} the symbol seen at step ${recallFrom} (${symbols} symbols, baseline ln${symbols} ≈ ${Math.log(symbols).toFixed(4)})`,
  });
}
