// Backpressure in the trainer: a training loop that reports faster than the limits is coalesced
// (metrics) and thinned (snapshots); nothing is lost at the end; state changes are never delayed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainerStream, type Clock } from '../../../src/trainer/stream';
import type { FromTrainerMessage } from '../../../src/protocol/trainer';
import { metrics, snapshot, status } from './fixtures';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void { this.timers = this.timers.filter((x) => x.id !== h); }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

function harness(sendDelayMs = 0) {
  const clock = new FakeClock();
  const sent: { at: number; msg: FromTrainerMessage }[] = [];
  const stream = new TrainerStream({ metricsIntervalMs: 100, snapshotIntervalMs: 500 }, (msg) => {
    sent.push({ at: clock.now(), msg });
    // A slow channel: the message is "written" only after sendDelayMs of fake time.
    return sendDelayMs ? new Promise<void>((r) => clock.setTimeout(r, sendDelayMs)) : Promise.resolve();
  }, clock);
  return { clock, sent, stream };
}

test('1000 steps at 1 ms each become ~10 metrics messages with every record, in order', async () => {
  const { clock, sent, stream } = harness();
  for (let s = 1; s <= 1000; s++) {
    stream.metrics(metrics(s));
    await clock.advance(1);
  }
  await stream.drain();
  const msgs = sent.filter((x) => x.msg.type === 'metrics');
  assert.ok(msgs.length <= 12 && msgs.length >= 9, `${msgs.length} metrics messages`);
  const steps = msgs.flatMap((x) => (x.msg.type === 'metrics' ? x.msg.records.map((r) => r.step) : []));
  assert.deepEqual(steps, Array.from({ length: 1000 }, (_, i) => i + 1));
  for (let k = 1; k < msgs.length; k++) assert.ok(msgs[k].at - msgs[k - 1].at >= 99, 'spaced by the interval');
});

test('snapshots faster than the limit are thinned to the newest; the last one always arrives', async () => {
  const { clock, sent, stream } = harness();
  for (let s = 0; s < 100; s++) {
    stream.snapshot([snapshot(s)]);
    await clock.advance(20); // 50 snapshots/s asked, 2/s allowed
  }
  await stream.drain();
  const steps = sent.flatMap((x) => (x.msg.type === 'snapshot' ? [x.msg.snapshots[0].step] : []));
  assert.ok(steps.length >= 4 && steps.length <= 6, `${steps.length} snapshot messages: ${steps}`);
  assert.equal(steps[0], 0);
  assert.equal(steps.at(-1), 99, 'the final snapshot is flushed');
  assert.deepEqual([...steps].sort((a, b) => a - b), steps, 'in order');
  assert.equal(stream.stats.snapshotsSkipped, 100 - steps.length);
});

test('a slow channel holds snapshots back: never two in flight', async () => {
  const { clock, sent, stream } = harness(2000);
  let maxInFlight = 0;
  for (let s = 0; s < 50; s++) {
    stream.snapshot([snapshot(s)]);
    await clock.advance(100);
    const times = sent.filter((x) => x.msg.type === 'snapshot').map((x) => x.at);
    const inFlight = times.filter((t) => t + 2000 > clock.now()).length;
    maxInFlight = Math.max(maxInFlight, inFlight);
  }
  assert.equal(maxInFlight, 1);
  const drained = stream.drain();
  await clock.advance(10_000);
  await drained;
  const steps = sent.flatMap((x) => (x.msg.type === 'snapshot' ? [x.msg.snapshots[0].step] : []));
  assert.equal(steps.at(-1), 49);
  assert.ok(steps.length <= 4, `${steps.length} snapshots over a 2 s/message channel in 5 s`);
});

test('state changes go out at once and after the metrics before them', async () => {
  const { clock, sent, stream } = harness();
  stream.status(status('r', { state: 'running', step: 0 }));
  stream.metrics(metrics(1));
  stream.metrics(metrics(2)); // held back by the interval
  stream.status(status('r', { state: 'running', step: 2 })); // step-only: rate-limited
  stream.status(status('r', { state: 'completed', step: 2 }));
  const order = sent.map((x) => (x.msg.type === 'status' ? `status:${x.msg.status.state}` : x.msg.type === 'metrics' ? `metrics:${x.msg.records.map((r) => r.step).join(',')}` : x.msg.type));
  assert.deepEqual(order, ['status:running', 'metrics:1', 'metrics:2', 'status:completed']);
  await clock.advance(1000);
  await stream.drain();
  assert.equal(sent.length, 4, 'the superseded step-only status is not sent after the final one');
});
