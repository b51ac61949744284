// The trainer protocol survives the IPC channel: messages go through the same V8 structured-clone
// serialisation that `fork(..., { serialization: 'advanced' })` uses, typed arrays stay typed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { isFromTrainerMessage, isToTrainerMessage, type FromTrainerMessage, type ToTrainerMessage } from '../../../src/protocol/trainer';
import { metrics, snapshot, status, tinySpec } from './fixtures';

const roundTrip = <T>(x: T): T => deserialize(serialize(x)) as T;

test('host → trainer messages round-trip and are recognised', () => {
  const msgs: ToTrainerMessage[] = [
    { type: 'start', runId: 'r1', spec: tinySpec(), runDir: '/tmp/x', wasmDir: '/d', limits: { metricsIntervalMs: 50, snapshotIntervalMs: 200 } },
    { type: 'pause' }, { type: 'resume' }, { type: 'stop' }, { type: 'traceText', requestId: 7, text: 'héllo\nwörld' },
  ];
  for (const m of msgs) {
    const back = roundTrip(m);
    assert.deepEqual(back, m);
    assert.ok(isToTrainerMessage(back));
    assert.ok(!isFromTrainerMessage(back), 'the two directions have disjoint tags');
  }
  assert.ok(!isToTrainerMessage({ type: 'status' }));
  assert.ok(!isToTrainerMessage(null));
  assert.ok(!isToTrainerMessage({ kind: 'start' }));
});

test('trainer → host messages keep typed arrays as typed arrays (binary, not JSON objects)', () => {
  const snap = snapshot(4, 7, 5);
  const msgs: FromTrainerMessage[] = [
    { type: 'status', status: status('a', { backend: 'wasm' }) },
    { type: 'metrics', records: [metrics(1), metrics(2)] },
    { type: 'snapshot', snapshots: [snap] },
    { type: 'log', line: 'backend: wasm' },
    { type: 'traceTextResult', requestId: 3, ok: true, trace: snap },
    { type: 'traceTextResult', requestId: 4, ok: false, error: 'no vocabulary' },
    { type: 'fatal', message: 'boom', stack: 'Error: boom\n  at x' },
  ];
  for (const m of msgs) {
    const back = roundTrip(m);
    assert.ok(isFromTrainerMessage(back), m.type);
    assert.deepEqual(back, m);
  }
  const back = roundTrip({ type: 'snapshot', snapshots: [snap] } as FromTrainerMessage);
  assert.equal(back.type, 'snapshot');
  if (back.type !== 'snapshot') return;
  const h = back.snapshots[0].layers[0].values.h;
  assert.ok(h instanceof Float32Array, 'h arrives as a Float32Array');
  assert.equal(h.length, 7 * 5);
  assert.equal(h[6], snap.layers[0].values.h[6]);
  assert.ok(back.snapshots[0].layers[0].saturation.f.high instanceof Float32Array);
});

test('a non-finite loss (an exploded run) survives the channel', () => {
  const m: FromTrainerMessage = { type: 'metrics', records: [{ ...metrics(9), loss: Number.NaN, gradNorm: Number.POSITIVE_INFINITY }] };
  const back = roundTrip(m);
  assert.ok(back.type === 'metrics' && Number.isNaN(back.records[0].loss));
  assert.ok(back.type === 'metrics' && back.records[0].gradNorm === Number.POSITIVE_INFINITY);
});
