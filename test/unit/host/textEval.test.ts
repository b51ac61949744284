// Text evaluation of a run that has saved no weights yet: the answer says so in the words the
// inspector waits on (NO_WEIGHTS_YET), instead of an error it would warn the user about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WEIGHTS_YET } from '../../../src/protocol/trainer';
import { evaluateText } from '../../../src/trainer/textEval';
import { tinySpec } from './fixtures';

test('a text run with no saved weights answers "no weights yet", which the inspector waits out', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'rnn-no-weights-'));
  try {
    const spec = { ...tinySpec(), data: { kind: 'text' as const, path: join(runDir, 'corpus.txt') } };
    assert.throws(() => evaluateText({ spec, runDir, vocabulary: ['a', 'b'] }, 'ab'), (e: Error) => e.message.startsWith(NO_WEIGHTS_YET));
    // Asked while the trainer still reads its data (no vocabulary yet): the same state, not an error.
    assert.throws(() => evaluateText({ spec, runDir, vocabulary: undefined }, 'ab'), (e: Error) => e.message.startsWith(NO_WEIGHTS_YET));
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});
