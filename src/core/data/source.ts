// What every data source gives the training loop: model shapes, batches and (for tasks) the
// analytic baseline loss. Plus the error type for unusable data files.

import type { Batch, ModelIO } from '../types';

/** A training batch; `fresh` says that carried state must be reset before it (a new pass). */
export interface TrainBatch extends Batch {
  fresh: boolean;
}

export interface DataSource {
  io: ModelIO;
  /** Index → character/symbol of token data. */
  vocabulary?: string[];
  /** Analytic loss of the best input-blind predictor (synthetic tasks). */
  baseline?: number;
  /** Whether consecutive batches continue each row's stream, so state may be carried. */
  continuous: boolean;
  /** A line for logs, e.g. "text: 31 kB, 78 characters, 28 000 train / 3 100 validation". */
  description: string;
  /** Next training batch (deterministic given the seed). */
  nextTrainBatch(): TrainBatch;
  /**
   * The held-out batches, the same on every call. For continuous data they are consecutive
   * windows of each row, so state may be carried from one to the next.
   */
  validationBatches(): Batch[];
}

/** A data file or data setting that cannot be used (empty, binary, too large, not UTF-8, …). */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/**
 * Row-striped truncated-BPTT windows over one stream of length n (positions 0..n-1, where a
 * window's targets are its inputs shifted by one). Row b owns the stripe [b·L, (b+1)·L] and reads
 * it window after window, so the state at the end of one window is the right start of the next.
 */
export class StripeReader {
  readonly stripe: number;
  readonly windows: number;
  private w = 0;
  constructor(
    readonly n: number,
    readonly rows: number,
    readonly seq: number,
  ) {
    this.stripe = Math.floor((n - 1) / rows);
    this.windows = Math.floor(this.stripe / seq);
  }
  /** Start positions (one per row) of the next window, and whether it begins a new pass. */
  next(): { starts: number[]; fresh: boolean } {
    const fresh = this.w === 0;
    const starts = Array.from({ length: this.rows }, (_, b) => b * this.stripe + this.w * this.seq);
    this.w = (this.w + 1) % this.windows;
    return { starts, fresh };
  }
}

/**
 * The train / validation split of a stream of n positions (characters or CSV rows): validation is
 * the tail, max(T + 1, ⌊n·fraction⌋) long (0 when fraction is 0), so it holds at least one window;
 * training is the head and needs B·T + 1 positions (one window per row plus the last target).
 * Throws a DataError that says what each part needs when n is too short.
 */
export function splitTrainValidation(n: number, B: number, T: number, fraction: number, unit: string, label: string): { nTrain: number; nVal: number } {
  const valLength = (m: number): number => (fraction > 0 ? Math.max(T + 1, Math.floor(m * fraction)) : 0);
  const nVal = valLength(n);
  const nTrain = n - nVal;
  const trainNeed = B * T + 1;
  if (nTrain >= trainNeed) return { nTrain, nVal };
  const trainWords = `training needs at least ${trainNeed} (${B} rows × ${T} steps + 1)`;
  if (fraction === 0) {
    throw new DataError(`${label} is too short: ${n} ${unit}; ${trainWords} (lower train.batchSize or train.seqLength, or use a longer input)`);
  }
  // The smallest total that leaves trainNeed after the tail (the tail grows with n, so search up from the estimate).
  let total = Math.max(trainNeed + T + 1, Math.floor(trainNeed / (1 - fraction)) - 2);
  while (total - valLength(total) < trainNeed) total++;
  const pct = `${Number((fraction * 100).toPrecision(3))} %`;
  throw new DataError(
    `${label} is too short: ${n} ${unit}; ${trainWords} and validation the last ${nVal} (${pct} of the ${label}, at least seqLength + 1 = ${T + 1}): ` +
    `at least ${total} in all (lower train.batchSize or train.seqLength, set train.validationFraction to 0, or use a longer input)`,
  );
}

/** Formats a byte count for messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}
