// Evaluates a char-level model on one piece of text with the full trace: what the inline
// inspector shows over a file and what `rnn-debugger trace` writes.

import type { TraceSnapshot } from '../protocol/trace';
import { DataError } from './data/source';
import { normaliseLineEnds } from '../protocol/textMap';
import { encodeText } from './data/text';
import type { Batch, RecurrentModel } from './types';

export interface TextTraceOptions {
  /** Step recorded in the snapshot (e.g. the step of the saved weights); default 0. */
  step?: number;
  /** τ of the gradient reach; −1 = the last step (default). */
  reachFrom?: number;
  /** Compute Jacobian spectra (default false: O(T·H²)). */
  jacobian?: boolean;
  /** Layers to record (default all). */
  layers?: number[];
  /**
   * One timestep per character (T = n) instead of per predicted character (T = n − 1): the last
   * character is read but bears no loss (mask 0), so every character of a text has its gates and
   * states (what the inline inspector tints). Values and gradients of the first n − 1 steps are
   * those of the default layout: the loss is normalised by Σ mask, and τ defaults to step n − 2.
   */
  stepPerCharacter?: boolean;
}

/**
 * One sequence of the whole text (batch of 1): inputs are characters 0…n−2, targets 1…n−1, so
 * the trace has T = n − 1 steps, timestep t reads character t and predicts character t + 1.
 * The loss is the mean next-character cross-entropy over all timesteps. Characters outside the
 * model's vocabulary are an error naming them (a char-level model has no input for them).
 */
export function traceText(model: RecurrentModel, vocabulary: readonly string[], text: string, opts: TextTraceOptions = {}): TraceSnapshot {
  if (model.io.loss !== 'xent' || model.io.vocabSize !== vocabulary.length) {
    throw new DataError(`this model was not trained on characters of a ${vocabulary.length}-character vocabulary`);
  }
  const ids = encodeText(normaliseLineEnds(text), vocabulary); // line ends as in training
  if (ids.length < 2) throw new DataError('the text needs at least 2 characters (one to read, one to predict)');
  const scored = ids.length - 1;
  const T = opts.stepPerCharacter ? ids.length : scored;
  const targetTokens = new Int32Array(T);
  targetTokens.set(ids.subarray(1));
  const mask = new Float32Array(T);
  mask.fill(1, 0, scored);
  const batch: Batch = { batchSize: 1, steps: T, tokens: ids.slice(0, T), inputs: null, targetTokens, targets: null, mask };
  // τ = the last loss-bearing step (−1 means the last step, which bears none when stepPerCharacter).
  const reachFrom = opts.reachFrom === undefined || opts.reachFrom < 0 ? scored - 1 : opts.reachFrom;
  if (reachFrom >= T) throw new DataError(`reachFrom ${reachFrom} is beyond the text's ${T} timesteps`);
  const r = model.forwardBackward(batch, null, { sample: 0, layers: opts.layers, reachFrom, jacobian: opts.jacobian ?? false });
  for (const g of Object.values(r.grads)) g.dispose();
  if (!r.trace) throw new Error('the model returned no trace');
  return { ...r.trace, step: opts.step ?? 0, sample: 0 };
}
