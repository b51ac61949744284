// Log-axis ticks for any range, their labels, and the floor for values below float range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_FLOOR, logTicks, onLogAxis, tickLabel } from '../../../webview/logic/logTicks';

test('every range from 1e-45 to 1e3 gets 2–10 ticks inside it, labelled with their values', () => {
  for (let lo = -45; lo <= 3; lo += 0.7) {
    for (const span of [0.01, 0.05, 0.3, 1, 2.5, 6, 20, 48]) {
      const min = 10 ** lo, max = 10 ** Math.min(3, lo + span);
      if (!(max > min)) continue;
      const t = logTicks(min, max);
      assert.ok(t.length >= 2 && t.length <= 10, `[${min}, ${max}]: ${t.length} ticks ${t}`);
      for (const v of t) {
        assert.ok(v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9), `[${min}, ${max}]: ${v} outside`);
        assert.ok(Math.abs(Number(tickLabel(v)) / v - 1) < 0.01, `label ${tickLabel(v)} for ${v}`);
      }
      assert.equal(new Set(t.map(tickLabel)).size, t.length, `[${min}, ${max}]: repeated labels ${t.map(tickLabel)}`);
    }
  }
});

test('labels are compact', () => {
  assert.deepEqual([1e-42, 0.001, 0.25, 1, 500, 2e4, 1.5e-7].map(tickLabel), ['1e-42', '0.001', '0.25', '1', '500', '2e4', '1.5e-7']);
});

test('values below float range sit at the floor and are counted; zeros only when they are underflow', () => {
  const pts = [{ x: 0, y: 2e-42 }, { x: 1, y: 0 }, { x: 2, y: 0.5 }, { x: 3, y: NaN }, { x: 4, y: -1 }];
  assert.deepEqual(onLogAxis(pts), { points: [{ x: 0, y: LOG_FLOOR }, { x: 2, y: 0.5 }], floored: 1 });
  assert.deepEqual(onLogAxis(pts, true).points.map((p) => p.x), [0, 1, 2]);
  assert.equal(onLogAxis(pts, true).floored, 2);
});
