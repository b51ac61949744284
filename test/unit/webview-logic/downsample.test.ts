// Downsampling keeps spikes, the last point and drops non-finite values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleMinMax } from '../../../webview/logic/downsample';

test('short series pass through, without non-finite points', () => {
  assert.deepEqual(downsampleMinMax([1, 2, 3], [0.5, NaN, 2], 10), [{ x: 1, y: 0.5 }, { x: 3, y: 2 }]);
});

test('long series are bounded and keep the spike and the last point', () => {
  const n = 100_000;
  const xs = Array.from({ length: n }, (_, k) => k);
  const ys = xs.map((k) => (k === 54_321 ? 1e6 : Math.sin(k / 1000)));
  const out = downsampleMinMax(xs, ys, 1000);
  assert.ok(out.length <= 1001, `got ${out.length}`);
  assert.ok(out.some((p) => p.x === 54_321 && p.y === 1e6), 'spike kept');
  assert.deepEqual(out[out.length - 1], { x: n - 1, y: ys[n - 1] });
  for (let k = 1; k < out.length; k++) assert.ok(out[k].x > out[k - 1].x, 'x increasing');
});
