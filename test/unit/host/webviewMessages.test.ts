// Every message from the panel's webview is checked against its type before the host acts on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage } from '../../../src/extension/webviewMessages';

test('well-formed messages pass, rebuilt from their checked fields only', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { message: { type: 'ready' } });
  const sel = { type: 'select', runId: 'r1', selection: { layer: 1, unit: 3, step: null }, extra: '<b>' };
  assert.deepEqual(parseWebviewMessage(sel), { message: { type: 'select', runId: 'r1', selection: { layer: 1, unit: 3, step: null } } });
  assert.deepEqual(parseWebviewMessage({ type: 'select', runId: 'r1', selection: { layer: 0, unit: 0, step: 40 } }),
    { message: { type: 'select', runId: 'r1', selection: { layer: 0, unit: 0, step: 40 } } });
  assert.deepEqual(parseWebviewMessage({ type: 'drawn', id: 12, extra: 1 }), { message: { type: 'drawn', id: 12 } });
  assert.deepEqual(parseWebviewMessage({ type: 'error', message: 'boom' }), { message: { type: 'error', message: 'boom' } });
  const long = parseWebviewMessage({ type: 'error', message: 'x'.repeat(10_000) });
  assert.ok('message' in long && long.message.type === 'error' && long.message.message.length === 4000);
});

test('malformed messages are dropped with a one-line reason', () => {
  const bad: [unknown, RegExp][] = [
    [null, /not an object \(null\)/],
    ['ready', /not an object \(string\)/],
    [[{ type: 'ready' }], /not an object/],
    [{ type: 'stop' }, /unknown type "stop"/],
    [{}, /unknown type "undefined"/],
    [{ type: 'select', selection: { layer: 0, unit: 0, step: null } }, /without a valid runId/],
    [{ type: 'select', runId: 'r'.repeat(300), selection: { layer: 0, unit: 0, step: null } }, /without a valid runId/],
    [{ type: 'select', runId: 'r1' }, /selection is not an object/],
    [{ type: 'select', runId: 'r1', selection: { layer: -1, unit: 0, step: null } }, /selection\.layer/],
    [{ type: 'select', runId: 'r1', selection: { layer: 0, unit: 1.5, step: null } }, /selection\.unit/],
    [{ type: 'select', runId: 'r1', selection: { layer: 0, unit: '3', step: null } }, /selection\.unit/],
    [{ type: 'select', runId: 'r1', selection: { layer: 0, unit: 0 } }, /selection\.step/],
    [{ type: 'select', runId: 'r1', selection: { layer: 0, unit: 0, step: NaN } }, /selection\.step/],
    [{ type: 'error', message: { toString: 'x' } }, /without a message string/],
    [{ type: 'drawn' }, /'drawn' without a frame id/],
    [{ type: 'drawn', id: -1 }, /'drawn' without a frame id/],
    [{ type: 'drawn', id: '3' }, /'drawn' without a frame id/],
  ];
  for (const [m, re] of bad) {
    const r = parseWebviewMessage(m);
    assert.ok('error' in r, `accepted ${JSON.stringify(m)}`);
    assert.match(r.error, re);
    assert.doesNotMatch(r.error, /\n/);
  }
});
