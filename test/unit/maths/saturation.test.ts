// gateSaturation on hand-made gate matrices: the fractions a user reads off the saturation scatter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateSaturation } from '../../../src/core/analysis/saturation';

test('fractions per unit over time, thresholds strict', () => {
  // T = 5, H = 3, [T, H] row-major.
  const values = Float32Array.from([
    0.05, 0.5, 0.95,
    0.01, 0.1, 0.99,
    0.5, 0.9, 0.91,
    0.09, 0.2, 0.2,
    0.0, 0.8, 1.0,
  ]);
  const { low, high } = gateSaturation(values, 5, 3);
  // unit 0: 0.05, 0.01, 0.09, 0.0 are < 0.1 → 4/5; none > 0.9.
  // unit 1: exactly 0.1 and exactly 0.9 count as neither → 0, 0.
  // unit 2: 0.95, 0.99, 0.91, 1.0 → 4/5 high.
  assert.deepEqual(Array.from(low), [0.8, 0, 0].map(Math.fround));
  assert.deepEqual(Array.from(high), [0, 0, 0.8].map(Math.fround));
});

test('a gate saturated at every step reads exactly 1; low + high ≤ 1', () => {
  const T = 7, H = 2;
  const v = new Float64Array(T * H);
  for (let t = 0; t < T; t++) { v[t * H] = 0.999; v[t * H + 1] = t % 2 ? 0.001 : 0.5; }
  const { low, high } = gateSaturation(v, T, H);
  assert.equal(high[0], 1);
  assert.equal(low[0], 0);
  assert.equal(low[1], Math.fround(3 / 7));
  for (let j = 0; j < H; j++) assert.ok(low[j] + high[j] <= 1);
});

test('empty sequence gives zeros; short input is refused; NaN counts as neither', () => {
  assert.deepEqual(Array.from(gateSaturation([], 0, 2).low), [0, 0]);
  assert.throws(() => gateSaturation([0.5], 1, 2), /\[1, 2\]/);
  const { low, high } = gateSaturation([NaN, 0.05], 1, 2);
  assert.deepEqual([low[0], high[0], low[1]], [0, 0, 1]);
});
