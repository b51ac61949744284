// Answers the inline gate inspector's traceText request inside a trainer process: runs a text
// through the run's latest saved weights and returns the full per-timestep trace, one timestep
// per character, so every character of the text gets its gates, states and gradients. The
// evaluation itself is core/textTrace's, shared with `rnn-debugger trace`.

import { createFastModel, type FastModel } from '../core/fast/model';
import { readWeights } from '../core/runFolder';
import { traceText } from '../core/textTrace';
import type { RunSpec } from '../protocol/spec';
import { NO_WEIGHTS_YET } from '../protocol/trainer';
import type { TraceSnapshot } from '../protocol/trace';

/** Longer texts cost O(T) tensors of the unrolled graph; the inspector asks for a window. */
export const MAX_TEXT_STEPS = 20_000;

/** What evaluating a text needs of a run: its spec, folder (for the weights) and vocabulary. */
export interface TextEvalRun {
  spec: RunSpec;
  runDir: string | null;
  vocabulary: readonly string[] | undefined;
}

let cached: { key: string; model: FastModel } | null = null;

/**
 * Trace of `text` through the model: timestep t reads character t and is scored on predicting
 * character t + 1 (the last character bears no loss), [T = text length in code points].
 * Throws (with a message for the user) when the run is not on text data, has no saved weights
 * yet, or the text holds characters outside the run's vocabulary.
 */
export function evaluateText(run: TextEvalRun, text: string): TraceSnapshot {
  const { spec, runDir, vocabulary } = run;
  if (spec.data.kind !== 'text') throw new Error(`only runs on text data can evaluate a text (this run trains on ${spec.data.kind} data)`);
  if (!runDir) throw new Error('this run keeps no run folder, so no weights can be evaluated');
  // Weights first: a run that has just started has neither weights nor (while it reads its data)
  // a vocabulary, and "no weights yet" is the state the inspector waits out without a warning.
  const weights = readWeights(runDir);
  if (!weights) throw new Error(`${NO_WEIGHTS_YET} (the trainer saves them every ${spec.train.validateEvery} steps)`);
  if (!vocabulary) throw new Error('the run has not read its vocabulary yet');
  const T = Array.from(text).length;
  if (T > MAX_TEXT_STEPS) throw new Error(`the text is ${T} characters long; at most ${MAX_TEXT_STEPS} can be evaluated at once`);

  const V = vocabulary.length;
  const key = `${runDir}#${weights.index.step}#${weights.index.file}`;
  if (cached?.key !== key) {
    cached?.model.dispose();
    cached = null;
    // The fused kernel: a 2000-character text takes ~1 s instead of ~12 s on the op-by-op engine,
    // and a trainer evaluating text is not training (nor hearing Stop) meanwhile.
    const model = createFastModel(spec.model, { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' }, spec.seed, { chronoMaxLength: spec.train.seqLength });
    model.importWeights(weights.tensors);
    cached = { key, model };
  }
  return traceText(cached.model, vocabulary, text, { step: weights.index.step, stepPerCharacter: true });
}
