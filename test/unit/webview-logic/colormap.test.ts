// Colour maps: fixed gate scale, symmetric signed scale, exact LUT colours in the painted image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colourIndex, colourOf, lookupTable, NON_FINITE_RGBA, paintHeatmap, scaleFor } from '../../../webview/logic/colormap';

test('gates use a fixed sequential [0, 1] scale; signed values a symmetric diverging one', () => {
  assert.deepEqual(scaleFor('f', [0.2, 0.3]), { kind: 'sequential', lo: 0, hi: 1 });
  assert.deepEqual(scaleFor('c', [0.5, -2, 1, NaN]), { kind: 'diverging', lo: -2, hi: 2 });
  assert.deepEqual(scaleFor('h', [0, 0]), { kind: 'diverging', lo: -1, hi: 1 });
});

test('diverging map: zero is the light middle, ends are blue and red', () => {
  const s = scaleFor('c', [-1, 1]);
  assert.equal(colourIndex(0, s), 128);
  const [r0, , b0] = colourOf(-1, s), [r1, , b1] = colourOf(1, s);
  assert.ok(b0 > r0, 'negative is blue');
  assert.ok(r1 > b1, 'positive is red');
  const mid = colourOf(0, s);
  assert.ok(mid[0] > 200 && mid[1] > 200 && mid[2] > 200, 'zero is light');
  assert.deepEqual(colourOf(5, s), colourOf(1, s), 'clamped');
  assert.deepEqual(colourOf(NaN, s), [...NON_FINITE_RGBA]);
});

test('sequential map is monotone in lightness-ish (viridis: dark purple → yellow)', () => {
  const lut = lookupTable('sequential');
  const lum = (i: number) => 0.2126 * lut[i * 4] + 0.7152 * lut[i * 4 + 1] + 0.0722 * lut[i * 4 + 2];
  for (let i = 1; i < 256; i++) assert.ok(lum(i) >= lum(i - 1) - 0.5, `lum at ${i}`);
});

test('paintHeatmap puts unit order[row] at row, time along x, with the LUT colour of each value', () => {
  const T = 3, H = 2;
  // values [T, H]: v(t, u) = (t - 1) * (u ? -1 : 1) / 2
  const values = new Float32Array(T * H);
  for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) values[t * H + u] = ((t - 1) * (u ? -1 : 1)) / 2;
  values[2 * H + 1] = NaN;
  const scale = scaleFor('h', values);
  const out = new Uint8ClampedArray(T * H * 4);
  paintHeatmap(values, T, H, Int32Array.from([1, 0]), scale, out);
  const px = (x: number, y: number) => [...out.subarray((y * T + x) * 4, (y * T + x) * 4 + 4)];
  assert.deepEqual(px(0, 0), colourOf(values[0 * H + 1], scale)); // row 0 shows unit 1
  assert.deepEqual(px(1, 1), colourOf(values[1 * H + 0], scale));
  assert.deepEqual(px(2, 1), colourOf(values[2 * H + 0], scale));
  assert.deepEqual(px(2, 0), [...NON_FINITE_RGBA]);
});
