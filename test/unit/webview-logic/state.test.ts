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

test('hydrate packs each snapshot into one buffer, values unchanged', async () => {
  const { packSnapshot } = await import('../../../src/extension/panelQueue');
  const snap = snapshot(7);
  const packed = packSnapshot(snap);
  const l = packed.layers[0];
  assert.ok(l.values.h instanceof Float32Array && l.reachH instanceof Float32Array);
  assert.equal(l.values.h.buffer, l.reachH.buffer, 'one shared buffer');
  assert.deepEqual(Array.from(l.values.h), Array.from(snap.layers[0].values.h));
  assert.deepEqual(Array.from(l.reachH), Array.from(snap.layers[0].reachH));
  assert.equal(packed.step, 7);
});
