// Unit orders: index, variance over time, saturation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderUnits, unitSaturation, unitVariance } from '../../../webview/logic/unitOrder';

// [T = 4, H = 3]: unit 0 constant 0.5, unit 1 alternates 0/1 (variance 0.25, always saturated),
// unit 2 goes 0.2, 0.4, 0.6, 0.95 (mean 0.5375, variance 0.365625 − 0.5375² = 0.07671875, saturated once).
const T = 4, H = 3;
const v = new Float32Array([0.5, 0, 0.2, 0.5, 1, 0.4, 0.5, 0, 0.6, 0.5, 1, 0.95]);

test('variance and saturation per unit', () => {
  const variance = unitVariance(v, T, H);
  assert.ok(Math.abs(variance[0]) < 1e-9);
  assert.ok(Math.abs(variance[1] - 0.25) < 1e-6);
  assert.ok(Math.abs(variance[2] - 0.07671875) < 1e-5);
  assert.deepEqual([...unitSaturation(v, T, H, false)], [0, 1, 0.25]);
});

test('orders', () => {
  assert.deepEqual([...orderUnits(v, T, H, 'index', false)], [0, 1, 2]);
  assert.deepEqual([...orderUnits(v, T, H, 'variance', false)], [1, 2, 0]);
  assert.deepEqual([...orderUnits(v, T, H, 'saturation', false)], [1, 2, 0]);
});

test('signed saturation is relative to the largest |value|', () => {
  const s = new Float32Array([2, 0.1, -1.9, 0.2]); // [T = 2, H = 2]
  assert.deepEqual([...unitSaturation(s, 2, 2, true)], [1, 0]);
});
