// Gradient reach summary and the running product of the forget gate, against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetProduct, reachByLag, summariseReach } from '../../../src/core/analysis/gradientReach';

test('reach halving every step falls below 1e-3 of its peak at lag 10 (0.5^10 ≈ 9.8e-4)', () => {
  const T = 16, tau = 15;
  const reach = new Float32Array(T);
  for (let t = 0; t <= tau; t++) reach[t] = 2 * 0.5 ** (tau - t);
  const r = summariseReach(reach, tau);
  assert.equal(r.peak, 2);
  assert.equal(r.peakLag, 0);
  assert.equal(r.lag, 10);
  assert.ok(Math.abs(r.ratioAtMaxLag - 0.5 ** 15) < 1e-9);
  assert.deepEqual([...reachByLag(reach, tau)].slice(0, 3), [2, 1, 0.5]);
});

test('reach that stays up has no lag; τ before the end ignores later steps', () => {
  const reach = new Float32Array([0.9, 1, 0.8, 0, 0]);
  const r = summariseReach(reach, 2);
  assert.equal(r.lag, null);
  assert.equal(r.peak, 1);
  assert.equal(r.peakLag, 1);
  assert.equal(r.maxLag, 2);
});

test('a zero or NaN reach counts as fallen', () => {
  assert.equal(summariseReach(new Float32Array([NaN, 1, 1]), 2).lag, 2);
  assert.equal(summariseReach(new Float32Array([0, 0, 0]), 2).lag, null);
});

test('forgetProduct(t) = ∏_{k=t+1..τ} f_k per unit and averaged', () => {
  // f [T = 4, H = 2]: unit 0 always 0.5, unit 1 always 1.
  const f = new Float32Array([0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1]);
  const p0 = forgetProduct(f, 4, 2, 2, 0);
  assert.deepEqual([...p0.slice(0, 3)], [0.25, 0.5, 1]);
  assert.ok(Number.isNaN(p0[3]));
  const mean = forgetProduct(f, 4, 2, 2, 'mean');
  assert.deepEqual([...mean.slice(0, 3)], [(0.25 + 1) / 2, (0.5 + 1) / 2, 1]);
});
