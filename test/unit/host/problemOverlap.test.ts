// A spec problem is listed once: ours are dropped where VS Code's JSON validation marks the same lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notReportedElsewhere } from '../../../src/extension/problemOverlap';

test('problems another source reports on the same lines are dropped; the others stay', () => {
  const ours = [
    { startLine: 3, endLine: 3, what: 'hiddenSize must be a whole number' },
    { startLine: 7, endLine: 7, what: 'data.path: file not found' },
    { startLine: 10, endLine: 12, what: 'train: seqLength exceeds the text' },
  ];
  const json = [{ startLine: 3, endLine: 3 }, { startLine: 12, endLine: 12 }];
  assert.deepEqual(notReportedElsewhere(ours, json).map((p) => p.what), ['data.path: file not found']);
  assert.deepEqual(notReportedElsewhere(ours, []).length, 3);
});
