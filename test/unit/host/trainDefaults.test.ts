// Train RNN's defaults on a short text fit the text (smaller batch and window) instead of failing
// at start; the fitted sizes really are accepted by the text data source.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { textSource } from '../../../src/core/data/text';
import { fitTextWindow, initialSpec } from '../../../src/extension/trainDefaults';

const ALPHABET = Array.from('abcdefgh λ€😀\n');
/** n characters (code points), several of them multi-byte. */
const text = (n: number): string => Array.from({ length: n }, (_, k) => ALPHABET[k % ALPHABET.length]).join('');

test('a text long enough for the defaults keeps them', () => {
  assert.deepEqual(fitTextWindow(100_000, 32, 100, 0.1), { batchSize: 32, seqLength: 100 });
});

test('shorter texts get a batch and window that the data source accepts', () => {
  for (const n of [400, 1959, 3000, 3600, 10_000]) {
    const fit = fitTextWindow(n, 32, 100, 0.1);
    assert.ok(fit.batchSize >= 1 && fit.seqLength >= 8, `n=${n}: ${JSON.stringify(fit)}`);
    assert.ok(fit.batchSize < 32 || fit.seqLength < 100 || n >= 3600, `n=${n} should have shrunk: ${JSON.stringify(fit)}`);
    assert.doesNotThrow(() => textSource(text(n), { ...fit, validationFraction: 0.1, maxValidationBatches: 4, seed: 1 } as never), `n=${n}: ${JSON.stringify(fit)}`);
  }
  // The batch shrinks first: 1764 training characters hold 16 rows × 100 steps.
  assert.deepEqual(fitTextWindow(1959, 32, 100, 0.1), { batchSize: 16, seqLength: 100 });
  assert.deepEqual(fitTextWindow(900, 32, 100, 0.1), { batchSize: 8, seqLength: 50 });
});

test('initialSpec fits a short file counted in characters, not bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-defaults-'));
  try {
    const f = join(dir, 'short.txt');
    writeFileSync(f, text(1959)); // multi-byte characters: more bytes than characters
    const spec = initialSpec(f);
    assert.equal(spec.data.kind, 'text');
    assert.doesNotThrow(() => textSource(text(1959), { batchSize: spec.train.batchSize, seqLength: spec.train.seqLength, validationFraction: spec.train.validationFraction, maxValidationBatches: 4, seed: 1 } as never));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
