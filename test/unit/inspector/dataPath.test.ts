// Which open document is a run's training file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesDataPath } from '../../../src/extension/inspector/dataPath';

test('an absolute data path matches only that file', () => {
  assert.equal(matchesDataPath('/work/data/corpus.txt', '/work/data/corpus.txt'), true);
  assert.equal(matchesDataPath('/work/data/corpus.txt', '/work/data/../data/corpus.txt'), true);
  assert.equal(matchesDataPath('/other/data/corpus.txt', '/work/data/corpus.txt'), false);
});

test('a relative data path matches the file of that name under any folder, whole path parts only', () => {
  assert.equal(matchesDataPath('/work/data/corpus.txt', 'data/corpus.txt'), true);
  assert.equal(matchesDataPath('/work/data/corpus.txt', './data/corpus.txt'), true);
  assert.equal(matchesDataPath('/work/data/corpus.txt', 'corpus.txt'), true);
  assert.equal(matchesDataPath('/work/data/mycorpus.txt', 'corpus.txt'), false);
  assert.equal(matchesDataPath('/work/other/corpus.txt', 'data/corpus.txt'), false);
});
