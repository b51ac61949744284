// Data sources: shapes, determinism given the seed, splits, baselines and every bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mulberry32, deriveSeed } from '../../../src/core/data/prng';
import { buildVocabulary, encodeText, textSource } from '../../../src/core/data/text';
import { csvSource, parseCsv } from '../../../src/core/data/csv';
import { addingTask, copyTask, delayedRecallTask } from '../../../src/core/data/tasks';
import { readTextFile } from '../../../src/core/data/file';
import { DataError } from '../../../src/core/data/source';
import { createDataSource } from '../../../src/core/data';
import { resolveSpec } from '../../../src/core/spec';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-data-'));
const file = (name: string, content: string | Uint8Array): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
};

test('prng: same seed same stream, different seeds and labels differ, uniform-ish', () => {
  const a = mulberry32(7), b = mulberry32(7), c = mulberry32(8);
  const xa = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xa, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xa, Array.from({ length: 5 }, () => c.next()));
  assert.notEqual(deriveSeed(1, 'train'), deriveSeed(1, 'validation'));
  const r = mulberry32(3);
  let s = 0;
  for (let i = 0; i < 10000; i++) s += r.next();
  assert.ok(Math.abs(s / 10000 - 0.5) < 0.02);
});

test('text: vocabulary is sorted code points, a surrogate pair is one character', () => {
  const v = buildVocabulary('ba😀a\n');
  assert.deepEqual(v, ['\n', 'a', 'b', '😀']);
  assert.deepEqual([...encodeText('a😀b', v)], [1, 3, 2]);
  assert.throws(() => encodeText('abz', v), /not in the model's vocabulary.*"z" at character 2/);
});

test('text: batches are [B, T] windows, targets shifted by one, rows read consecutive windows of their stripe', () => {
  const text = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  const src = textSource(text, { batchSize: 4, seqLength: 10, validationFraction: 0.1 });
  assert.equal(src.io.vocabSize, 26);
  assert.equal(src.io.loss, 'xent');
  const b1 = src.nextTrainBatch();
  const b2 = src.nextTrainBatch();
  assert.equal(b1.batchSize, 4);
  assert.equal(b1.steps, 10);
  assert.equal(b1.tokens!.length, 40);
  assert.ok(b1.fresh);
  assert.ok(!b2.fresh);
  for (let b = 0; b < 4; b++) {
    for (let t = 0; t < 9; t++) assert.equal(b1.targetTokens![b * 10 + t], b1.tokens![b * 10 + t + 1]);
    // Row b of batch 2 continues where row b of batch 1 stopped: the carried state is in context.
    assert.equal(b2.tokens![b * 10], b1.targetTokens![b * 10 + 9]);
  }
  // Stripes start at different places.
  assert.notEqual(b1.tokens![0], b1.tokens![10]);
  // The pass wraps around and is flagged fresh again.
  const trainChars = 900; // 1000 − 10 % validation
  const windows = Math.floor(Math.floor((trainChars - 1) / 4) / 10);
  for (let i = 2; i < windows; i++) assert.ok(!src.nextTrainBatch().fresh);
  assert.ok(src.nextTrainBatch().fresh);
});

test('text: validation is the tail of the text, never trained on, and fixed', () => {
  const text = 'x'.repeat(900) + 'y'.repeat(100);
  const src = textSource(text, { batchSize: 2, seqLength: 10, validationFraction: 0.1 });
  const val = src.validationBatches();
  assert.ok(val.length > 0);
  const y = src.vocabulary!.indexOf('y');
  for (const b of val) for (const t of b.tokens!) assert.equal(t, y);
  for (let i = 0; i < 100; i++) for (const t of src.nextTrainBatch().tokens!) assert.notEqual(t, y);
  assert.equal(src.validationBatches(), val);
});

test('text: too short for batch × seq is a clear error', () => {
  assert.throws(() => textSource('abcdefghij'.repeat(5), { batchSize: 8, seqLength: 10, validationFraction: 0 }), /too short: 50 characters; training needs at least 81/);
});

test('text and CSV too short for the validation split: no negative counts, the message says what each part needs', () => {
  // 51 characters with a 10 % validation tail of at least T + 1 = 51: nothing is left to train on.
  const text = 'ab'.repeat(25) + 'c';
  for (const check of [
    () => textSource(text, { batchSize: 2, seqLength: 50, validationFraction: 0.1 }),
    () => csvSource('x\n' + Array.from({ length: 51 }, (_, k) => String(k)).join('\n'), { batchSize: 2, seqLength: 50, validationFraction: 0.1 }),
  ]) {
    assert.throws(check, (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.doesNotMatch(e.message, /-\d/, e.message);
      assert.match(e.message, /too short: 51 (characters|rows); training needs at least 101 \(2 rows × 50 steps \+ 1\) and validation the last 51 \(10 % of the (text|CSV), at least seqLength \+ 1 = 51\): at least 152 in all/);
      return true;
    });
  }
  // At the bound it trains: 152 characters = 101 train and 51 validation; one fewer does not.
  const ok = textSource('ab'.repeat(76), { batchSize: 2, seqLength: 50, validationFraction: 0.1 });
  assert.match(ok.description, /101 train \/ 51 validation/);
  assert.throws(() => textSource('ab'.repeat(75) + 'c', { batchSize: 2, seqLength: 50, validationFraction: 0.1 }), /at least 152 in all/);
});

test('file checks: empty, binary, non-UTF-8, too large, missing', () => {
  assert.throws(() => readTextFile(file('empty.txt', ''), 1000), (e: Error) => e instanceof DataError && /is empty/.test(e.message));
  assert.throws(() => readTextFile(file('nul.bin', new Uint8Array([65, 66, 0, 67])), 1000), /looks binary \(a NUL byte at offset 2\)/);
  const ctl = new Uint8Array(200).map((_, i) => (i % 3 === 0 ? 1 : 65));
  assert.throws(() => readTextFile(file('ctl.bin', ctl), 1000), /looks binary \(\d+ control characters/);
  assert.throws(() => readTextFile(file('latin1.txt', new Uint8Array([104, 105, 0xe9, 104])), 1000), /not valid UTF-8 text \(first invalid byte at offset 2\)/);
  assert.throws(() => readTextFile(file('big.txt', 'a'.repeat(2000)), 1000), /is 2\.0 KB, larger than the limit of 1000 bytes \(data\.maxBytes\)/);
  assert.throws(() => readTextFile(path.join(tmp, 'nope.txt'), 1000), /does not exist/);
  assert.equal(readTextFile(file('ok.txt', 'héllo\n'), 1000), 'héllo\n');
});

test('createDataSource: text spec with relative path and the size limit', () => {
  file('corpus.txt', 'hello world, this is a text. '.repeat(200));
  const spec = resolveSpec({ data: { kind: 'text', path: 'corpus.txt' }, train: { batchSize: 4, seqLength: 20 } }, { baseDir: tmp });
  assert.equal(spec.data.kind === 'text' && spec.data.path, path.join(tmp, 'corpus.txt'));
  const src = createDataSource(spec);
  assert.equal(src.nextTrainBatch().tokens!.length, 80);
  const small = resolveSpec({ data: { kind: 'text', path: 'corpus.txt', maxBytes: 100 } }, { baseDir: tmp });
  assert.throws(() => createDataSource(small), /larger than the limit of 100 bytes/);
});

test('csv: header detection, numeric columns, standardisation with training statistics, next-value targets', () => {
  const rows = ['time,temp,label'];
  for (let i = 0; i < 400; i++) rows.push(`${i},${20 + Math.sin(i / 5) * 3},"a,b"`);
  const t = parseCsv(rows.join('\n'), undefined);
  assert.deepEqual(t.names, ['time', 'temp']);
  assert.equal(t.rows, 400);
  const noHeader = parseCsv('1,2\n3,4\n5,6\n7,8', undefined);
  assert.equal(noHeader.header, null);
  assert.equal(noHeader.rows, 4);
  const src = csvSource(rows.join('\n'), { batchSize: 3, seqLength: 20, validationFraction: 0.1, columns: ['temp'] });
  assert.deepEqual(src.io, { vocabSize: 0, inputSize: 1, outputSize: 1, loss: 'mse' });
  const b = src.nextTrainBatch();
  assert.equal(b.inputs!.length, 60);
  for (let t2 = 0; t2 < 19; t2++) assert.equal(b.targets![t2], b.inputs![t2 + 1]);
  // Standardised: values of a sine of amplitude 3 around 20 land within a few units of 0.
  for (const v of b.inputs!) assert.ok(Math.abs(v) < 2);
  assert.ok(src.validationBatches().length > 0);
});

test('csv: bad input names the problem', () => {
  const body = Array.from({ length: 20 }, (_, i) => `${i},${i * 2}`).join('\n');
  assert.throws(() => parseCsv('a,b\n' + body + '\n21,oops', ['b']), /'b' is not numeric: "oops" on line 22/);
  assert.throws(() => parseCsv('a,b\n' + body, ['c']), /no column 'c' \(columns: a, b\)/);
  assert.throws(() => parseCsv(body, ['a']), /no header row/);
  assert.throws(() => parseCsv(body, [5]), /has 2 columns; data.columns names index 5/);
  assert.throws(() => parseCsv('name,city\nx,y\nz,w\nq,r', undefined), /no column whose every value is a number/);
  assert.throws(() => parseCsv('a,b\n1,2\n3', undefined), /line 3 has 1 fields/);
});

test('csv: quoted fields keep their commas, doubled quotes and line breaks', () => {
  const rows = ['time,"the ""temp""",note'];
  for (let i = 0; i < 10; i++) rows.push(`${i},"${i * 2}","a, b\nc ""d"""`);
  const t = parseCsv(rows.join('\n'), undefined);
  assert.deepEqual(t.header, ['time', 'the "temp"', 'note']);
  assert.deepEqual(t.names, ['time', 'the "temp"']);
  assert.equal(t.rows, 10);
  assert.deepEqual(Array.from(t.values.subarray(0, 4)), [0, 0, 1, 2]);
});

test('csv: CRLF line ends and a UTF-8 byte-order mark are not part of any field', () => {
  const text = '\uFEFFtime,temp\r\n' + Array.from({ length: 6 }, (_, i) => `${i},${i * 3}`).join('\r\n') + '\r\n';
  const t = parseCsv(text, ['time', 'temp']);
  assert.deepEqual(t.header, ['time', 'temp']);
  assert.equal(t.rows, 6);
  assert.deepEqual(Array.from(t.values.subarray(10, 12)), [5, 15]);
});

test('csv: messages name the real file line when blank lines come before it; an open quote is an error', () => {
  assert.throws(() => parseCsv('a,b\n\n1,2\n\n3,4\n5,x\n6,7', ['b']), /'b' is not numeric: "x" on line 6/);
  assert.throws(() => parseCsv('a,b\n1,2\n\n3\n4,5', undefined), /line 4 has 1 fields/);
  assert.throws(() => parseCsv('a,b\n1,"2\n3,4', undefined), (e: unknown) => e instanceof DataError && /CSV is not valid CSV: .*quote/i.test(e.message));
});

test('adding problem: shapes, two markers (one per half), target = marked sum at the last step, baseline 1/6', () => {
  const T = 30;
  const src = addingTask(T, { batchSize: 64, seed: 1, validationFraction: 0.1 });
  assert.deepEqual(src.io, { vocabSize: 0, inputSize: 2, outputSize: 1, loss: 'mse' });
  assert.equal(src.baseline, 1 / 6);
  let se = 0, n = 0;
  for (let k = 0; k < 30; k++) {
    const b = src.nextTrainBatch();
    assert.equal(b.inputs!.length, 64 * T * 2);
    for (let r = 0; r < 64; r++) {
      const marks: number[] = [];
      let sum = 0;
      for (let t = 0; t < T; t++) {
        if (b.inputs![(r * T + t) * 2 + 1] === 1) {
          marks.push(t);
          sum += b.inputs![(r * T + t) * 2];
        }
        assert.equal(b.mask[r * T + t], t === T - 1 ? 1 : 0);
      }
      assert.equal(marks.length, 2);
      assert.ok(marks[0] < T / 2 && marks[1] >= Math.floor(T / 2));
      assert.ok(Math.abs(b.targets![r * T + T - 1] - sum) < 1e-6);
      se += (sum - 1) ** 2;
      n++;
    }
  }
  // Always answering 1 scores about 1/6 (1920 samples: standard error ≈ 0.004).
  assert.ok(Math.abs(se / n - 1 / 6) < 0.015, `mse of the blind answer ${se / n}`);
});

test('tasks are deterministic given the seed, and validation differs from training', () => {
  const a = addingTask(20, { batchSize: 4, seed: 5, validationFraction: 0.1 });
  const b = addingTask(20, { batchSize: 4, seed: 5, validationFraction: 0.1 });
  const c = addingTask(20, { batchSize: 4, seed: 6, validationFraction: 0.1 });
  assert.deepEqual(a.nextTrainBatch().inputs, b.nextTrainBatch().inputs);
  assert.notDeepEqual(a.nextTrainBatch().inputs, c.nextTrainBatch().inputs);
  assert.notDeepEqual(a.validationBatches()[0].inputs, a.nextTrainBatch().inputs);
  assert.equal(addingTask(20, { batchSize: 4, seed: 5, validationFraction: 0 }).validationBatches().length, 0);
});

test('copy task: layout of Arjovsky et al. and the blind predictor scores 10·ln8/(T+20)', () => {
  const T = 15, L = T + 20;
  const src = copyTask(T, { batchSize: 8, seed: 2, validationFraction: 0.1 });
  assert.equal(src.io.vocabSize, 10);
  assert.equal(src.vocabulary!.length, 10);
  const b = src.nextTrainBatch();
  assert.equal(b.steps, L);
  let ce = 0;
  for (let r = 0; r < 8; r++) {
    const row = [...b.tokens!.subarray(r * L, (r + 1) * L)];
    const tgt = [...b.targetTokens!.subarray(r * L, (r + 1) * L)];
    for (let k = 0; k < 10; k++) assert.ok(row[k] >= 1 && row[k] <= 8);
    assert.deepEqual(row.slice(10, 10 + T - 1), new Array(T - 1).fill(0));
    assert.equal(row[T + 9], 9);
    assert.deepEqual(row.slice(T + 10), new Array(10).fill(0));
    assert.deepEqual(tgt.slice(0, T + 10), new Array(T + 10).fill(0));
    assert.deepEqual(tgt.slice(T + 10), row.slice(0, 10));
    // Blind predictor: blank with certainty before the recall, uniform over 8 symbols during it.
    for (let t = 0; t < L; t++) ce += t < T + 10 ? 0 : Math.log(8);
  }
  assert.ok(Math.abs(ce / (8 * L) - src.baseline!) < 1e-12);
  assert.ok(Math.abs(src.baseline! - (10 * Math.log(8)) / 35) < 1e-12);
});

test('delayed recall: symbol at recallFrom is the target at the last step only; baseline ln(symbols)', () => {
  const src = delayedRecallTask(12, 3, 5, { batchSize: 16, seed: 3, validationFraction: 0.1 });
  assert.equal(src.baseline, Math.log(5));
  assert.equal(src.io.vocabSize, 7);
  assert.deepEqual(src.vocabulary, ['_', 'A', 'B', 'C', 'D', 'E', '?']);
  const b = src.nextTrainBatch();
  const seen = new Set<number>();
  for (let r = 0; r < 16; r++) {
    const s = b.tokens![r * 12 + 3];
    seen.add(s);
    assert.ok(s >= 1 && s <= 5);
    assert.equal(b.targetTokens![r * 12 + 11], s);
    assert.equal(b.tokens![r * 12 + 11], 6);
    for (let t = 0; t < 12; t++) assert.equal(b.mask[r * 12 + t], t === 11 ? 1 : 0);
  }
  assert.ok(seen.size > 1);
});

test('CSV next-value regression has a baseline: the MSE of repeating the last value on the validation rows', () => {
  // A ramp 0, 1, …, 99: standardised with the training rows' mean and deviation, each step is 1/σ.
  const text = 'x\n' + Array.from({ length: 100 }, (_, i) => String(i)).join('\n') + '\n';
  const src = csvSource(text, { batchSize: 2, seqLength: 5, validationFraction: 0.2 });
  const nTrain = 80;
  const mean = (nTrain - 1) / 2;
  const sd = Math.sqrt(Array.from({ length: nTrain }, (_, i) => (i - mean) ** 2).reduce((a, b) => a + b, 0) / nTrain);
  assert.ok(src.baseline !== undefined && Math.abs(src.baseline - 1 / sd ** 2) < 1e-6, `baseline ${src.baseline}, expected ${1 / sd ** 2}`);
});
