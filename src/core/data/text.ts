// Character-level language modelling: a UTF-8 text becomes token ids over its sorted distinct
// code points; the first part trains, the tail validates; truncated-BPTT windows are laid out in
// row stripes so that carrying the state from one batch to the next is meaningful.

import { normaliseLineEnds } from '../../protocol/textMap';
import type { Batch } from '../types';
import { DataError, StripeReader, splitTrainValidation, type DataSource, type TrainBatch } from './source';

export interface TextOptions {
  batchSize: number;
  seqLength: number;
  validationFraction: number;
  /** Cap on validation batches, so validation costs a bounded time on large texts. */
  maxValidationBatches?: number;
}

/** Sorted distinct characters of a text; a surrogate pair (e.g. an emoji) is one character. */
export function buildVocabulary(text: string): string[] {
  const set = new Set<string>(Array.from(text));
  return [...set].sort((a, b) => (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0));
}

/** Token ids of `text` under `vocabulary`; characters outside it are reported with their position. */
export function encodeText(text: string, vocabulary: readonly string[]): Int32Array {
  const index = new Map(vocabulary.map((ch, i) => [ch, i]));
  const chars = Array.from(text);
  const ids = new Int32Array(chars.length);
  const missing: string[] = [];
  chars.forEach((ch, i) => {
    const id = index.get(ch);
    if (id === undefined) {
      if (missing.length < 5) missing.push(`${JSON.stringify(ch)} at character ${i}`);
      ids[i] = -1;
    } else ids[i] = id;
  });
  if (missing.length) {
    const count = ids.filter((x) => x < 0).length;
    throw new DataError(`${count} character(s) are not in the model's vocabulary of ${vocabulary.length}: ${missing.join(', ')}${count > missing.length ? ', …' : ''}`);
  }
  return ids;
}

/** Gathers windows of `seq` inputs (and next-character targets) starting at `starts` into a Batch [B, T]. */
function windowBatch(ids: Int32Array, starts: number[], seq: number): Batch {
  const B = starts.length;
  const tokens = new Int32Array(B * seq);
  const targetTokens = new Int32Array(B * seq);
  starts.forEach((s, b) => {
    tokens.set(ids.subarray(s, s + seq), b * seq);
    targetTokens.set(ids.subarray(s + 1, s + seq + 1), b * seq);
  });
  return { batchSize: B, steps: seq, tokens, inputs: null, targetTokens, targets: null, mask: new Float32Array(B * seq).fill(1), starts };
}

/** A char-level source over an already decoded text. */
export function textSource(raw: string, opts: TextOptions, label = 'text'): DataSource {
  // CRLF and CR read as one "\n", as the inspector reads a document (protocol/textMap.ts).
  const text = normaliseLineEnds(raw);
  const vocabulary = buildVocabulary(text);
  if (vocabulary.length < 2) throw new DataError(`${label} has only one distinct character; there is nothing to predict`);
  const ids = encodeText(text, vocabulary);
  const n = ids.length;
  const { batchSize: B, seqLength: T } = opts;
  // Validation is the tail: the model never trains on it, and it stays one contiguous text.
  const { nTrain, nVal } = splitTrainValidation(n, B, T, opts.validationFraction, 'characters', label);
  const trainIds = ids.subarray(0, nTrain);
  const reader = new StripeReader(nTrain, B, T);
  let validation: Batch[] = [];
  if (nVal > 0) {
    const valIds = ids.subarray(nTrain);
    const rows = Math.min(B, Math.floor((valIds.length - 1) / T));
    const vr = new StripeReader(valIds.length, rows, T);
    const count = Math.min(vr.windows, opts.maxValidationBatches ?? 4);
    validation = Array.from({ length: count }, () => windowBatch(valIds, vr.next().starts, T));
  }
  return {
    io: { vocabSize: vocabulary.length, inputSize: 0, outputSize: vocabulary.length, loss: 'xent' },
    vocabulary,
    continuous: true,
    description: `${label}: ${n} characters, vocabulary ${vocabulary.length}, ${nTrain} train / ${nVal} validation, ${reader.windows} windows of ${T} per row and pass`,
    nextTrainBatch(): TrainBatch {
      const { starts, fresh } = reader.next();
      return { ...windowBatch(trainIds, starts, T), fresh };
    },
    validationBatches: () => validation,
  };
}
