// One run id for the extension, the CLI and the training loop: sorts by time, says what ran, is a
// safe folder name, and two ids of the same second differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRunId, randomTag } from '../../../src/core/runId';
import { resolveSpec } from '../../../src/core/spec';

const at = new Date(2026, 10, 28, 18, 30, 12); // local time

test('newRunId: local time stamp, cell, task and length, tag', () => {
  const spec = resolveSpec({ data: { kind: 'adding', length: 50 }, model: { cell: 'gru' } });
  assert.equal(newRunId(spec, at, 'k3f9'), '20261128-183012-gru-adding50-k3f9');
});

test('newRunId: a text or CSV run is named by its file, reduced to folder-safe characters', () => {
  const text = resolveSpec({ data: { kind: 'text', path: '/tmp/My Notes (v2).txt' } });
  assert.equal(newRunId(text, at, 'abcd'), '20261128-183012-lstm-My_Notes__v2_-abcd');
  const csv = resolveSpec({ data: { kind: 'csv', path: '/tmp/.csv' } });
  assert.equal(newRunId(csv, at, 'abcd'), '20261128-183012-lstm-csv-abcd');
});

test('randomTag: four base-36 characters from crypto; ids of the same second differ', () => {
  const original = Math.random;
  Math.random = () => { throw new Error('Math.random used'); };
  try {
    const spec = resolveSpec({ data: { kind: 'copy', length: 10 } });
    const ids = new Set(Array.from({ length: 50 }, () => newRunId(spec, at)));
    assert.ok(ids.size >= 49, `only ${ids.size} distinct ids of 50`);
    for (let k = 0; k < 100; k++) assert.match(randomTag(), /^[0-9a-z]{4}$/);
  } finally {
    Math.random = original;
  }
});
