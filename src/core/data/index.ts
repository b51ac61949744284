// Builds the data source a RunSpec asks for.

import * as path from 'node:path';
import type { RunSpec } from '../../protocol/spec';
import { csvSource } from './csv';
import { readTextFile } from './file';
import { DEFAULT_MAX_BYTES } from '../spec';
import type { DataSource } from './source';
import { addingTask, copyTask, delayedRecallTask } from './tasks';
import { textSource } from './text';

export { DataError, type DataSource, type TrainBatch } from './source';
export { buildVocabulary, encodeText } from './text';
export { mulberry32, deriveSeed, type Rng } from './prng';

/** The data source of a resolved spec (paths are absolute after resolveSpec; else against baseDir). */
export function createDataSource(spec: RunSpec, opts: { baseDir?: string } = {}): DataSource {
  const d = spec.data;
  const t = spec.train;
  const common = { batchSize: t.batchSize, seqLength: t.seqLength, validationFraction: t.validationFraction };
  const resolve = (p: string): string => path.resolve(opts.baseDir ?? process.cwd(), p);
  switch (d.kind) {
    case 'text': {
      const file = resolve(d.path);
      return textSource(readTextFile(file, d.maxBytes ?? DEFAULT_MAX_BYTES, 'text file'), common, file);
    }
    case 'csv': {
      const file = resolve(d.path);
      return csvSource(readTextFile(file, d.maxBytes ?? DEFAULT_MAX_BYTES, 'CSV file'), { ...common, columns: d.columns }, file);
    }
    case 'adding':
      return addingTask(d.length, { batchSize: t.batchSize, seed: spec.seed, validationFraction: t.validationFraction });
    case 'copy':
      return copyTask(d.length, { batchSize: t.batchSize, seed: spec.seed, validationFraction: t.validationFraction });
    case 'delayed-recall':
      return delayedRecallTask(d.length, d.recallFrom ?? 0, d.symbols ?? 8, { batchSize: t.batchSize, seed: spec.seed, validationFraction: t.validationFraction });
  }
}
