// Ranking units for a selected range (on inside, off around it), by variance and by saturation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankBySaturation, rankByVariance, rankUnitsInRange } from '../../../src/extension/inspector/ranking';
import { matrix } from './fixtures';

// 40 steps, 5 units: unit 3 is on exactly in [10, 20); unit 1 is on everywhere; unit 4 is strongly
// negative in [10, 20); unit 0 is on in half the range; unit 2 is off everywhere.
const T = 40;
const H = 5;
const inR = (t: number): boolean => t >= 10 && t < 20;
const m = matrix(T, H, (t, u) => {
  if (u === 0) return inR(t) && t % 2 === 0 ? 0.8 : 0;
  if (u === 1) return 0.9;
  if (u === 3) return inR(t) ? 0.7 : 0.1;
  if (u === 4) return inR(t) ? -0.95 : 0.05;
  return -0.1;
});

test('the unit on inside and off around the range ranks first; always-on units do not', () => {
  const r = rankUnitsInRange(m, H, 10, 20, { threshold: 0.3, signed: false });
  assert.equal(r[0].unit, 3);
  assert.equal(r[0].score, 1);
  assert.equal(r[0].insideOn, 1);
  assert.equal(r[0].outsideOn, 0);
  assert.equal(r[1].unit, 0);
  assert.equal(r[1].score, 0.5);
  const always = r.find((x) => x.unit === 1)!;
  assert.equal(always.score, 0, 'on inside and around: no evidence');
});

test('signed ranking finds a unit that is strongly negative in the range', () => {
  const r = rankUnitsInRange(m, H, 10, 20, { threshold: 0.3, signed: true });
  assert.deepEqual(r.slice(0, 2).map((x) => x.unit).sort(), [3, 4]);
  const neg = r.find((x) => x.unit === 4)!;
  assert.equal(neg.polarity, -1);
  assert.equal(neg.score, 1);
  // Tie between 3 and 4 broken by the larger mean difference: unit 4 (0.95 + 0.05) over unit 3 (0.7 − 0.1).
  assert.equal(r[0].unit, 4);
});

test('the threshold decides what counts as on', () => {
  const high = rankUnitsInRange(m, H, 10, 20, { threshold: 0.75, signed: false });
  assert.equal(high[0].unit, 0, 'unit 3 (0.7) is no longer on at 0.75; unit 0 (0.8) is');
  assert.equal(high.find((x) => x.unit === 3)!.insideOn, 0);
});

test('context: only the neighbourhood counts as outside; empty range ranks nothing', () => {
  // Unit on in [10,20) and again far away at [35,40): with a 5-step context the far part is ignored.
  const m2 = matrix(T, 1, (t) => (inR(t) || t >= 35 ? 1 : 0));
  assert.equal(rankUnitsInRange(m2, 1, 10, 20, { threshold: 0.5, signed: false, context: 5 })[0].score, 1);
  const all = rankUnitsInRange(m2, 1, 10, 20, { threshold: 0.5, signed: false, context: 40 });
  assert.ok(Math.abs(all[0].outsideOn - 5 / 30) < 1e-9);
  assert.deepEqual(rankUnitsInRange(m2, 1, 7, 7, { threshold: 0.5, signed: false }), []);
  const whole = rankUnitsInRange(m2, 1, 0, T, { threshold: 0.5, signed: false });
  assert.equal(whole[0].outsideOn, 0, 'no outside steps: fraction 0, no NaN');
});

test('variance ranking puts the most varying unit first', () => {
  const r = rankByVariance(m, H);
  assert.equal(r[0].unit, 4);
  assert.equal(r[r.length - 1].score, 0);
  assert.ok([1, 2].includes(r[r.length - 1].unit));
});

test('saturation ranking uses the most saturated gate of each unit', () => {
  const f = { low: Float32Array.from([0.9, 0, 0.2]), high: Float32Array.from([0, 0.1, 0.2]) };
  const i = { low: Float32Array.from([0, 0.5, 0]), high: Float32Array.from([0, 0.45, 0]) };
  const r = rankBySaturation({ layer: 0, units: 3, values: {}, dh: new Float32Array(), dhNorm: new Float32Array(), reachH: new Float32Array(), saturation: { f, i } });
  assert.deepEqual(r.map((x) => x.unit), [1, 0, 2]);
  assert.equal(r[0].detail, 'i: 50% < 0.1, 45% > 0.9');
});
