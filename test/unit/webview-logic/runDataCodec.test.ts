// The report's JSON encoding round-trips typed arrays and non-finite numbers and is safe in a script tag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRunJson, encodeRunJson, escapeForScriptTag } from '../../../src/protocol/runDataCodec';
import { HTML_TOKEN, makeRun } from '../../webview/runFixture';
import type { RunData } from '../../../src/protocol/webview';

test('round trip of a run keeps typed arrays, NaN and Infinity', () => {
  const run = makeRun({ failedAt: 30 });
  run.metrics[0].gradNorm = Infinity;
  const back = decodeRunJson<RunData>(encodeRunJson(run));
  assert.deepEqual(back, run);
  assert.ok(back.snapshots[0].layers[0].values.c instanceof Float32Array);
  assert.ok(back.snapshots[0].tokens instanceof Int32Array);
  assert.ok(Number.isNaN(back.metrics[back.metrics.length - 1].loss));
});

test('escaped JSON has no "<" and still parses to the same tokens', () => {
  const text = escapeForScriptTag(encodeRunJson({ v: [HTML_TOKEN, '</script><!--'] }));
  assert.ok(!text.includes('<'));
  assert.deepEqual(decodeRunJson(text), { v: [HTML_TOKEN, '</script><!--'] });
});
