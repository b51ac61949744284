// The panel's state keeps a bounded number of snapshots per run, the newest ones, so a long live
// run does not grow the webview without limit; replays of a known step replace, not add.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PANEL_SNAPSHOT_LIMITS, PanelState } from '../../../webview/state';
import { snapshot, status } from '../host/fixtures';

test('streamed snapshots beyond the limit drop the oldest; a replayed step replaces its twin', () => {
  const st = new PanelState();
  st.apply({ type: 'hydrate', runs: [{ status: status('a'), metrics: [], snapshots: [] }], shownRunIds: ['a'], selection: { layer: 0, unit: 0, step: null } });
  const n = PANEL_SNAPSHOT_LIMITS.count + 10;
  for (let k = 0; k < n; k++) st.apply({ type: 'snapshot', runId: 'a', snapshot: snapshot(k * 5) });
  const steps = st.runs.get('a')!.snapshots.map((s) => s.step);
  assert.equal(steps.length, PANEL_SNAPSHOT_LIMITS.count);
  assert.equal(steps[0], 10 * 5, 'the ten oldest went');
  assert.equal(steps.at(-1), (n - 1) * 5, 'the newest stays');
  st.apply({ type: 'snapshot', runId: 'a', snapshot: snapshot((n - 1) * 5) });
  assert.equal(st.runs.get('a')!.snapshots.length, PANEL_SNAPSHOT_LIMITS.count);
});

test('every message to the webview carries its typed arrays in one ArrayBuffer, values unchanged', async () => {
  // VS Code passes each distinct ArrayBuffer of a webview message as one argument of an RPC call
  // whose argument count is a single byte: past 253 buffers the webview received empty arrays
  // (a hydrate of 64+ run-folder snapshots, one buffer per array). One buffer per message avoids it.
  const { hydrateMessage, DeltaQueue } = await import('../../../src/extension/panelQueue');
  const { collectTypedArrays } = await import('../../../src/protocol/typedArrays');
  const snaps = Array.from({ length: 300 }, (_, k) => snapshot(k * 5));
  const before = new Set(collectTypedArrays(snaps).map((a) => a.buffer));
  assert.ok(before.size > 253, `the fixture should hold many buffers, has ${before.size}`);
  const msg = hydrateMessage([{ status: status('a'), metrics: [], snapshots: snaps }], ['a'], { layer: 0, unit: 0, step: null });
  const arrays = collectTypedArrays(msg);
  assert.equal(arrays.length, collectTypedArrays(snaps).length);
  assert.equal(new Set(arrays.map((a) => a.buffer)).size, 1, 'one shared buffer');
  const l = msg.runs[0].snapshots[299].layers[0];
  assert.ok(l.values.h instanceof Float32Array && l.reachH instanceof Float32Array);
  assert.deepEqual(Array.from(l.values.h), Array.from(snaps[299].layers[0].values.h));
  assert.deepEqual(Array.from(l.reachH), Array.from(snaps[299].layers[0].reachH));
  assert.equal(msg.runs[0].snapshots[299].step, 299 * 5);
  // The live path too: a queued snapshot leaves as one buffer.
  const q = new DeltaQueue();
  q.addSnapshot('a', snaps[3]);
  const [m] = q.take();
  assert.equal(new Set(collectTypedArrays(m).map((a) => a.buffer)).size, 1);
  assert.deepEqual(Array.from(collectTypedArrays(m)[0] as Float32Array), Array.from(collectTypedArrays(snaps[3])[0] as Float32Array));
});
