// Answers the inline gate inspector's traceText request inside the trainer process: runs a text
// through the run's latest saved weights (one sequence, next-character loss) and returns the
// full per-timestep trace, so every character of the text gets its gates, states and gradients.

import { encodeText } from '../core/data';
import { createModel, type InstrumentedModel } from '../core/model';
import { readWeights } from '../core/runFolder';
import type { StartMessage } from '../protocol/trainer';
import type { RunStatus, TraceSnapshot } from '../protocol/trace';
import type { Batch } from '../core/types';

/** Longer texts cost O(T) tensors of the unrolled graph; the inspector asks for a window. */
export const MAX_TEXT_STEPS = 20_000;

let cached: { key: string; model: InstrumentedModel } | null = null;

/**
 * Trace of `text` through the model: timestep t reads character t and is scored on predicting
 * character t + 1 (the last character bears no loss), [T = text length in code points].
 * Throws (with a message for the user) when the run is not on text data, has no saved weights
 * yet, or the text holds characters outside the run's vocabulary.
 */
export function evaluateText(start: StartMessage, status: RunStatus, text: string): TraceSnapshot {
  const spec = start.spec;
  if (spec.data.kind !== 'text') throw new Error(`only runs on text data can evaluate a text (this run trains on ${spec.data.kind} data)`);
  const vocabulary = status.vocabulary;
  if (!vocabulary) throw new Error('the run has not read its vocabulary yet');
  if (!start.runDir) throw new Error('this run keeps no run folder, so no weights can be evaluated');
  const weights = readWeights(start.runDir);
  if (!weights) throw new Error(`no weights are saved yet (the trainer saves them every ${spec.train.validateEvery} steps)`);

  const tokens = encodeText(text, vocabulary);
  const T = tokens.length;
  if (T < 2) throw new Error('the text needs at least two characters');
  if (T > MAX_TEXT_STEPS) throw new Error(`the text is ${T} characters long; at most ${MAX_TEXT_STEPS} can be evaluated at once`);

  const V = vocabulary.length;
  const key = `${start.runDir}#${weights.index.step}#${weights.index.file}`;
  if (cached?.key !== key) {
    cached?.model.dispose();
    cached = null;
    const model = createModel(spec.model, { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' }, spec.seed, { chronoMaxLength: spec.train.seqLength });
    model.importWeights(weights.tensors);
    cached = { key, model };
  }

  // One sequence [B = 1, T]: target t is token t + 1; the last step has no target (mask 0).
  const targetTokens = new Int32Array(T);
  targetTokens.set(tokens.subarray(1));
  const mask = new Float32Array(T).fill(1);
  mask[T - 1] = 0;
  const batch: Batch = { batchSize: 1, steps: T, tokens, inputs: null, targetTokens, targets: null, mask };
  const result = cached.model.forwardBackward(batch, null, { sample: 0, reachFrom: T - 2, jacobian: false });
  for (const g of Object.values(result.grads)) g.dispose();
  if (!result.trace) throw new Error('the model returned no trace');
  return { ...result.trace, step: weights.index.step, sample: 0 };
}
