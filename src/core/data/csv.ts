// Numeric next-value regression on a CSV file: chosen columns, standardised with the training
// part's mean and deviation, predicting x_{t+1} from x_{≤t}; windows striped like text.

import { parse } from 'csv-parse/sync';
import type { Batch } from '../types';
import { DataError, StripeReader, splitTrainValidation, type DataSource, type TrainBatch } from './source';

export interface CsvOptions {
  batchSize: number;
  seqLength: number;
  validationFraction: number;
  columns?: (string | number)[];
  maxValidationBatches?: number;
}

/** One CSV record: its trimmed fields and the file line it ends on (1-based, for messages). */
interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Splits CSV text into records with csv-parse: double-quoted fields (commas, "" escapes and line
 * breaks inside quotes), LF / CRLF / CR line ends and a UTF-8 byte-order mark. Blank lines are
 * skipped; records of differing widths are kept so that parseCsv can name the line.
 */
function readRecords(text: string, label: string): CsvRecord[] {
  try {
    const rows = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return rows.map((r) => ({ fields: r.record, line: r.info.lines }));
  } catch (e) {
    throw new DataError(`${label} is not valid CSV: ${(e as Error).message}`);
  }
}

function parseNumber(s: string): number | null {
  if (s === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/** Parsed table: chosen column names and values [rows, columns]. */
export interface CsvTable {
  header: string[] | null;
  names: string[];
  rows: number;
  values: Float32Array;
}

/** Parses CSV text and picks numeric columns; bad cells are errors naming row and column. */
export function parseCsv(text: string, columns: (string | number)[] | undefined, label = 'CSV'): CsvTable {
  const records = readRecords(text, label);
  if (records.length === 0) throw new DataError(`${label} has no rows`);
  // A header is a first row with any field that is not a number.
  const hasHeader = records[0].fields.some((f) => parseNumber(f) === null);
  const header = hasHeader ? records[0].fields : null;
  const bodyRecords = hasHeader ? records.slice(1) : records;
  const width = records[0].fields.length;
  for (const r of bodyRecords) {
    if (r.fields.length !== width) throw new DataError(`${label} line ${r.line} has ${r.fields.length} fields, the first line has ${width}`);
  }
  const body = bodyRecords.map((r) => r.fields);
  if (body.length < 3) throw new DataError(`${label} has ${body.length} data rows; next-value regression needs many more`);
  const colName = (j: number): string => (header ? `'${header[j]}'` : `column ${j}`);
  let chosen: number[];
  if (columns) {
    chosen = columns.map((c) => {
      if (typeof c === 'number') {
        if (c >= width) throw new DataError(`${label} has ${width} columns; data.columns names index ${c}`);
        return c;
      }
      if (!header) throw new DataError(`${label} has no header row, so data.columns must be 0-based indices, not '${c}'`);
      const j = header.indexOf(c);
      if (j < 0) throw new DataError(`${label} has no column '${c}' (columns: ${header.join(', ')})`);
      return j;
    });
    for (const j of chosen) {
      const bad = body.findIndex((r) => parseNumber(r[j]) === null);
      if (bad >= 0) throw new DataError(`${label} ${colName(j)} is not numeric: ${JSON.stringify(body[bad][j])} on line ${bodyRecords[bad].line}`);
    }
  } else {
    chosen = [];
    for (let j = 0; j < width; j++) if (body.every((r) => parseNumber(r[j]) !== null)) chosen.push(j);
    if (chosen.length === 0) throw new DataError(`${label} has no column whose every value is a number`);
  }
  const values = new Float32Array(body.length * chosen.length);
  body.forEach((r, i) => chosen.forEach((j, k) => (values[i * chosen.length + k] = Number(r[j]))));
  return { header, names: chosen.map((j) => (header ? header[j] : String(j))), rows: body.length, values };
}

/** Window of inputs x_t and targets x_{t+1}, [B, T, C] each. */
function windowBatch(x: Float32Array, C: number, starts: number[], T: number): Batch {
  const B = starts.length;
  const inputs = new Float32Array(B * T * C);
  const targets = new Float32Array(B * T * C);
  starts.forEach((s, b) => {
    inputs.set(x.subarray(s * C, (s + T) * C), b * T * C);
    targets.set(x.subarray((s + 1) * C, (s + T + 1) * C), b * T * C);
  });
  return { batchSize: B, steps: T, tokens: null, inputs, targetTokens: null, targets, mask: new Float32Array(B * T).fill(1) };
}

/** A regression source over CSV text. */
export function csvSource(text: string, opts: CsvOptions, label = 'CSV'): DataSource {
  const table = parseCsv(text, opts.columns, label);
  const C = table.names.length;
  const n = table.rows;
  const { batchSize: B, seqLength: T } = opts;
  const { nTrain, nVal } = splitTrainValidation(n, B, T, opts.validationFraction, 'rows', label);
  // Standardise with training statistics only, so validation tells the truth about unseen data.
  const x = new Float32Array(table.values);
  for (let k = 0; k < C; k++) {
    let mean = 0;
    for (let i = 0; i < nTrain; i++) mean += table.values[i * C + k];
    mean /= nTrain;
    let v = 0;
    for (let i = 0; i < nTrain; i++) v += (table.values[i * C + k] - mean) ** 2;
    const std = Math.sqrt(v / nTrain) || 1;
    for (let i = 0; i < n; i++) x[i * C + k] = (table.values[i * C + k] - mean) / std;
  }
  const train = x.subarray(0, nTrain * C);
  const reader = new StripeReader(nTrain, B, T);
  let validation: Batch[] = [];
  if (nVal > 0) {
    const val = x.subarray(nTrain * C);
    const rows = Math.min(B, Math.floor((nVal - 1) / T));
    const vr = new StripeReader(nVal, rows, T);
    const count = Math.min(vr.windows, opts.maxValidationBatches ?? 4);
    validation = Array.from({ length: count }, () => windowBatch(val, C, vr.next().starts, T));
  }
  // Baseline: repeat the last value (x̂_{t+1} = x_t), the MSE a model must beat to have learned
  // anything from the series; measured on the validation rows when there are any.
  const base = nVal > 1 ? x.subarray(nTrain * C) : train;
  let sq = 0;
  for (let i = C; i < base.length; i++) sq += (base[i] - base[i - C]) ** 2;
  const baseline = base.length > C ? sq / (base.length - C) : undefined;
  return {
    io: { vocabSize: 0, inputSize: C, outputSize: C, loss: 'mse' },
    continuous: true,
    ...(baseline !== undefined ? { baseline } : {}),
    description: `${label}: ${n} rows × ${C} column(s) [${table.names.join(', ')}], ${nTrain} train / ${nVal} validation`,
    nextTrainBatch(): TrainBatch {
      const { starts, fresh } = reader.next();
      return { ...windowBatch(train, C, starts, T), fresh };
    },
    validationBatches: () => validation,
  };
}
