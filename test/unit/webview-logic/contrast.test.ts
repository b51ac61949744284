// Series colours made opaque and readable: WCAG contrast ≥ 3:1 against the background.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrast, parseColour, readableColour } from '../../../webview/logic/contrast';

test('the themes’ translucent orange becomes an opaque orange readable on Dark Modern and Light+', () => {
  for (const bg of ['#1f1f1f', '#ffffff']) {
    const out = readableColour('rgba(234, 92, 0, 0.33)', bg);
    const c = parseColour(out)!;
    assert.equal(c[3], 1, 'opaque');
    assert.ok(contrast(c, parseColour(bg)!) >= 3, `${out} on ${bg}`);
    assert.ok(c[0] > c[1] && c[1] >= c[2], `still orange: ${out}`);
  }
  assert.ok(contrast(parseColour('rgba(234, 92, 0, 0.33)')!, parseColour('#1f1f1f')!) < 3, 'as the theme gives it, it is not readable');
});

test('a readable colour is kept; a light one on white is darkened until readable', () => {
  assert.equal(readableColour('#3794ff', '#1f1f1f'), 'rgb(55, 148, 255)');
  const green = parseColour(readableColour('#89d185', '#ffffff'))!;
  assert.ok(contrast(green, [255, 255, 255, 1]) >= 3);
  assert.equal(readableColour('var(--x)', '#fff'), 'var(--x)', 'unparsable input comes back unchanged');
});
