// The hover over one inspected character: what a user reads must match the trace at that timestep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChar, escapeMarkdown, hoverMarkdown, sampleHoverAt } from '../../../src/extension/inspector/hover';
import { buildTextMap } from '../../../src/protocol/textMap';
import { fakeTrace } from './fixtures';

test('hover names the timestep, the character and every gate of the unit with 4 decimals', () => {
  const text = 'hello world, this is a test';
  const tr = fakeTrace(text, 6);
  const L = tr.layers[0];
  const md = hoverMarkdown({ trace: tr, t: 12, char: Array.from(text)[12], layer: 0, unit: 3, quantity: 'c', runName: 'lstm on sample', modelStep: 40 });
  assert.ok(md);
  assert.match(md, /t = 12 /);
  assert.match(md, /“ ” \(U\+0020\)|space \(U\+0020\)/);
  for (const g of ['c', 'h', 'f', 'i', 'g', 'o']) {
    const v = L.values[g][12 * 6 + 3];
    assert.ok(md.includes(`| ${g} | ${v.toFixed(4)} |`), `row of ${g} = ${v.toFixed(4)} in\n${md}`);
  }
  assert.ok(md.includes(`‖∂L/∂h_t‖ = ${L.dhNorm[12].toExponential(3)}`));
  assert.ok(md.includes(`‖∂L/∂c_t‖ = ${L.dcNorm![12].toExponential(3)}`));
  assert.ok(md.includes(`ℓ_t = ${tr.stepLoss[12].toFixed(4)}`));
  assert.match(md, /model at step 40/);
});

test('top units are the largest |value| of the chosen quantity at that step', () => {
  const tr = fakeTrace('abcdefgh', 10);
  const md = hoverMarkdown({ trace: tr, t: 5, char: 'f', layer: 0, unit: 0, quantity: 'h', topK: 3 })!;
  const row = Array.from({ length: 10 }, (_, u) => ({ u, v: tr.layers[0].values.h[5 * 10 + u] }));
  row.sort((a, b) => Math.abs(b.v) - Math.abs(a.v));
  const want = row.slice(0, 3).map((x) => `${x.u} (${x.v.toFixed(4)})`).join(', ');
  assert.ok(md.includes(`Top units at t = 5 by |h|: ${want}`), md);
});

test('GRU hover lists z, r, n and no cell state', () => {
  const tr = fakeTrace('abcdef', 4, 'gru');
  const md = hoverMarkdown({ trace: tr, t: 2, char: 'c', layer: 0, unit: 1, quantity: 'z' })!;
  for (const g of ['h', 'z', 'r', 'n']) assert.match(md, new RegExp(`\\| ${g} \\| -?\\d\\.\\d{4} \\|`));
  assert.doesNotMatch(md, /\| c \|/);
  assert.doesNotMatch(md, /∂L\/∂c/);
});

test('Markdown in the text or the run name is escaped, not rendered', () => {
  const tr = fakeTrace('a*b', 2);
  const md = hoverMarkdown({ trace: tr, t: 1, char: '*', layer: 0, unit: 0, quantity: 'c', runName: '[x](command:evil)' })!;
  assert.match(md, /“\\\*” \(U\+002A\)/);
  assert.ok(!md.includes('[x](command:evil)'));
  assert.ok(md.includes('\\[x\\]\\(command\\:evil\\)'));
  assert.equal(escapeMarkdown('<img src=x>'), '\\<img src\\=x\\>');
});

test('invisible characters are named, astral ones shown whole', () => {
  assert.equal(describeChar('\n'), 'line break (U+000A)');
  assert.equal(describeChar('\t'), 'tab (U+0009)');
  assert.equal(describeChar('\u0301'), 'U+0301');
  assert.equal(describeChar('😀'), '“😀” (U+1F600)');
});

test('no hover outside the trace or for an unrecorded layer', () => {
  const tr = fakeTrace('abc', 2);
  assert.equal(hoverMarkdown({ trace: tr, t: 3, char: 'x', layer: 0, unit: 0, quantity: 'c' }), null);
  assert.equal(hoverMarkdown({ trace: tr, t: 0, char: 'a', layer: 1, unit: 0, quantity: 'c' }), null);
  assert.equal(hoverMarkdown({ trace: tr, t: 0, char: 'a', layer: 0, unit: 2, quantity: 'c' }), null);
});

test('a windowed trace shows document timesteps; a replaced character says so', () => {
  const tr = fakeTrace('abcdef', 3);
  const md = hoverMarkdown({ trace: tr, t: 2, char: 'é', readAs: ' ', stepOffset: 1000, layer: 0, unit: 1, quantity: 'f' })!;
  assert.match(md, /^t = 1002 · “é” \(U\+00E9\)/m);
  assert.match(md, /Not in the model's vocabulary: read as space \(U\+0020\)\./);
  assert.match(md, /window starts at t = 1000/);
  assert.match(md, /Top units at t = 1002 by \|f\|/);
});

test('paused in the debugger: the hover over the training text is the traced sample\'s values at that character', () => {
  // The file's text; the step's sample read 8 characters of it from text timestep 6 on ("world, t").
  const text = 'hello\r\nworld, this is a test';
  const map = buildTextMap(text);
  const sample = { ...fakeTrace(map.modelText.slice(6, 14), 5), textStart: 6 };
  const L = sample.layers[0];
  const paused = { step: 12, snapshot: sample, t: 3 };
  const view = { layer: 0, unit: 2, quantity: 'c' as const, runName: 'lstm on story' };
  // "l" of "world" is text timestep 9 (the CRLF is one timestep): the sample's t = 3, the selected frame.
  const offset = text.indexOf('l', 7);
  const hit = sampleHoverAt(paused, { text, map, offset }, view);
  assert.ok(hit);
  assert.deepEqual(hit.range, [offset, offset + 1]);
  assert.match(hit.markdown, /paused at step 12, its traced sample/);
  assert.match(hit.markdown, /t = 3 \(the selected frame\) · “l” \(U\+006C\) · layer 0 · unit 2/);
  for (const g of ['c', 'h', 'f', 'i', 'g', 'o']) assert.ok(hit.markdown.includes(`| ${g} | ${L.values[g][3 * 5 + 2].toFixed(4)} |`), `${g} in\n${hit.markdown}`);
  // Another character of the sample: its own t, not the selected frame; the CRLF reads as one line break.
  const lineBreak = sampleHoverAt(paused, { text, map, offset: 6 }, view);
  assert.equal(lineBreak, null, 'the line break (text timestep 5) is before the sample');
  const w = sampleHoverAt(paused, { text, map, offset: 7 }, view)!;
  assert.match(w.markdown, /t = 0 · “w”/);
  assert.doesNotMatch(w.markdown, /selected frame/);
  // Outside the sample (after it) or a snapshot that is not of a text sample: no paused hover.
  assert.equal(sampleHoverAt(paused, { text, map, offset: text.indexOf('test') }, view), null);
  assert.equal(sampleHoverAt({ ...paused, snapshot: { ...sample, textStart: undefined } }, { text, map, offset }, view), null);
});
