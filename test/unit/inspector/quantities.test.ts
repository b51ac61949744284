// Colour mapping and binning of the inline inspector: which scale each quantity uses, which bin a
// value falls in, runs of equal bins, and the package.json colour contributions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  LEVELS,
  PALETTE,
  binOf,
  binRuns,
  paletteContributions,
  paletteSlot,
  quantitiesFor,
  quantitySeries,
  scaleFor,
  statusText,
} from '../../../src/extension/inspector/quantities';
import { fakeTrace } from './fixtures';

test('quantities follow the cell: LSTM gates and c, GRU without c', () => {
  assert.deepEqual(quantitiesFor('lstm'), ['c', 'h', 'f', 'i', 'g', 'o', 'dc', 'dh', 'dcNorm', 'dhNorm']);
  assert.deepEqual(quantitiesFor('gru'), ['h', 'z', 'r', 'n', 'dh', 'dhNorm']);
  assert.deepEqual(quantitiesFor('lstm-forget-only'), ['c', 'h', 'f', 'g', 'dc', 'dh', 'dcNorm', 'dhNorm']);
});

test('quantitySeries takes one unit out of the row-major [T, H] matrix', () => {
  const tr = fakeTrace('abcdef', 4);
  const s = quantitySeries(tr.layers[0], 'c', 2);
  assert.ok(s);
  assert.equal(s.length, 6);
  for (let t = 0; t < 6; t++) assert.equal(s[t], tr.layers[0].values.c[t * 4 + 2]);
  assert.equal(quantitySeries(tr.layers[0], 'dcNorm', 0), tr.layers[0].dcNorm);
  assert.equal(quantitySeries(tr.layers[0], 'z', 0), null, 'an LSTM has no z');
  assert.equal(quantitySeries(tr.layers[0], 'c', 4), null, 'unit out of range');
});

test('gates are sequential on [0,1], tanh states diverging on ±1, c on ±max|c|', () => {
  const series = Float32Array.from([0.5, -2.5, 1]);
  assert.deepEqual(scaleFor('f', 'lstm', undefined, series), { kind: 'sequential', lo: 0, hi: 1 });
  assert.deepEqual(scaleFor('h', 'lstm', undefined, series), { kind: 'diverging', lo: -1, hi: 1 });
  assert.deepEqual(scaleFor('g', 'lstm', undefined, series), { kind: 'diverging', lo: -1, hi: 1 });
  assert.deepEqual(scaleFor('c', 'lstm', undefined, series), { kind: 'diverging', lo: -2.5, hi: 2.5 });
  const relu = { candidateActivation: 'relu', cellActivation: 'relu' } as Parameters<typeof scaleFor>[2];
  assert.equal(scaleFor('h', 'lstm', relu, series).hi, 2.5, 'relu h is unbounded: scaled by its max');
  assert.equal(scaleFor('z', 'gru', undefined, series).kind, 'sequential');
  const norms = scaleFor('dcNorm', 'lstm', undefined, Float32Array.from([0, 1e-9, 1e-3, 1]));
  assert.equal(norms.kind, 'log');
  assert.equal(norms.hi, 1);
  assert.ok(Math.abs(norms.lo - 1e-6) < 1e-12, 'floor at max/1e6, not the tiny 1e-9');
});

test('binOf: sign picks the hue, magnitude the level; near zero stays untinted', () => {
  const div = { kind: 'diverging' as const, lo: -2, hi: 2 };
  assert.equal(binOf(div, 2), paletteSlot('positive', LEVELS));
  assert.equal(binOf(div, -2), paletteSlot('negative', LEVELS));
  assert.equal(binOf(div, 5), paletteSlot('positive', LEVELS), 'clipped at the end');
  assert.equal(binOf(div, 1), paletteSlot('positive', LEVELS / 2));
  assert.equal(binOf(div, -0.05), -1);
  assert.equal(binOf(div, Number.NaN), -1);
  const seq = { kind: 'sequential' as const, lo: 0, hi: 1 };
  assert.equal(binOf(seq, 0.99), paletteSlot('sequential', LEVELS));
  assert.equal(binOf(seq, 0.5), paletteSlot('sequential', LEVELS / 2));
  assert.equal(binOf(seq, 0.02), -1);
  const log = { kind: 'log' as const, lo: 1e-4, hi: 1 };
  assert.equal(binOf(log, 1), paletteSlot('sequential', LEVELS));
  assert.equal(binOf(log, 1e-2), paletteSlot('sequential', LEVELS / 2), 'half way in log space');
  assert.equal(binOf(log, 0), -1);
  // Monotone: a larger gate value never gets a weaker tint.
  let prev = -1;
  for (let v = 0; v <= 1; v += 0.01) {
    const b = binOf(seq, v);
    const level = b < 0 ? 0 : PALETTE[b].level;
    assert.ok(level >= prev);
    prev = level;
  }
});

test('binRuns merges adjacent characters of one bin and covers only [t0, t1)', () => {
  const seq = { kind: 'sequential' as const, lo: 0, hi: 1 };
  const s = Float32Array.from([1, 1, 1, 0, 0.5, 0.5, 1, 0]);
  const runs = binRuns(s, seq, 0, 8);
  assert.deepEqual(runs[paletteSlot('sequential', LEVELS)], [0, 3, 6, 7]);
  assert.deepEqual(runs[paletteSlot('sequential', LEVELS / 2)], [4, 6]);
  const total = runs.reduce((n, r) => n + r.length, 0);
  assert.equal(total, 6, 'three runs, zeros untinted');
  const part = binRuns(s, seq, 2, 5);
  assert.deepEqual(part[paletteSlot('sequential', LEVELS)], [2, 3]);
  assert.deepEqual(part[paletteSlot('sequential', LEVELS / 2)], [4, 5]);
});

test('package.json contributes every palette colour, with the generated theme defaults', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const colors: { id: string; defaults: Record<string, string> }[] = pkg.contributes.colors ?? [];
  const want = paletteContributions();
  assert.equal(want.length, PALETTE.length);
  for (const w of want) {
    const got = colors.find((c) => c.id === w.id);
    assert.ok(got, `missing colour ${w.id}`);
    assert.deepEqual(got.defaults, w.defaults);
    for (const v of Object.values(w.defaults)) assert.match(v, /^#[0-9a-f]{8}$/);
  }
});

test('status bar text says what is shown', () => {
  assert.equal(statusText('c', 0, 12), 'RNN: c · L0 · unit 12');
  assert.equal(statusText('dcNorm', 1, 3), 'RNN: ‖∂L/∂c_t‖ · L1');
});
