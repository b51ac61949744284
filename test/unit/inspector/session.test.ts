// An inspected document: evaluation windows, what stays valid after an edit, decoration offsets
// through CRLF and surrogate pairs, and the hover at an offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectSession } from '../../../src/extension/inspector/session';
import { PALETTE } from '../../../src/extension/inspector/quantities';
import { fakeTrace } from './fixtures';

function evaluated(text: string, H = 4): InspectSession {
  const s = new InspectSession('file:///x.txt', 'run1');
  s.setText(text);
  const plan = s.planEval(0, 10_000, undefined);
  s.acceptTrace(fakeTrace(plan.fedText, H), plan, s.map.modelText, 40);
  return s;
}

test('short text: the whole text is evaluated; CRLF is sent as LF', () => {
  const s = new InspectSession('u', 'r');
  s.setText('ab\r\ncd');
  const plan = s.planEval(0, 100, ['a', 'b', 'c', 'd', '\n']);
  assert.equal(plan.start, 0);
  assert.equal(plan.fedText, 'ab\ncd');
});

test('long text: a window of maxChars starting a quarter window before the visible step', () => {
  const s = new InspectSession('u', 'r');
  s.setText('x'.repeat(1000));
  assert.deepEqual([s.planEval(500, 100, undefined).start, s.planEval(500, 100, undefined).modelText.length], [475, 100]);
  assert.equal(s.planEval(10, 100, undefined).start, 0);
  assert.equal(s.planEval(990, 100, undefined).start, 900, 'clipped to the end of the text');
});

test('long lines: the window holds every visible step, down to the last character of the text', () => {
  const s = new InspectSession('u', 'r');
  s.setText('x'.repeat(1000));
  // 90 steps on screen (a few long lines): a window keyed to the first visible step (475…574) left 575…589 plain.
  const p = s.planEval([500, 590], 100, undefined);
  assert.ok(p.start <= 500 && p.start + p.modelText.length >= 590, `window ${p.start}…${p.start + p.modelText.length} misses 500…590`);
  // More on screen than maxChars (40 lines of ~1000 characters): the window grows to hold it, up to 4 × maxChars.
  const wide = s.planEval([600, 900], 100, undefined);
  assert.deepEqual([wide.start, wide.start + wide.modelText.length], [575, 900]);
  const huge = s.planEval([100, 900], 100, undefined);
  assert.deepEqual([huge.start, huge.modelText.length], [100, 400], 'beyond 4 × maxChars the top of the screen is evaluated');
  const last = s.planEval([960, 1000], 100, undefined);
  assert.equal(last.start + last.modelText.length, 1000, 'the last line is evaluated');
  s.acceptTrace(fakeTrace(last.fedText, 2), last, s.map.modelText, 1);
  assert.equal(s.needsWindowFor(960, 1000, 100), false, 'no re-evaluation while the visible steps are covered');
  assert.equal(s.needsWindowFor(850, 900, 100), true, 'scrolling up out of the window asks for a new one');
  assert.ok(s.hoverAt(999, { layer: 0, unit: 0, quantity: 'f' })?.includes('U+0078'), 'the last character has a hover with its values');
});

test('decorations map steps back to document offsets through CRLF and emoji', () => {
  const text = 'a😀\r\nb';
  const s = evaluated(text, 2);
  const v = { layer: 0, unit: 0, quantity: 'f' };
  const all = s.decorations(v, undefined, 0, text.length);
  // Every tinted range starts and ends on a step boundary of the document.
  const boundaries = new Set(Array.from(s.map.starts));
  for (const { slot, offsets } of all) {
    assert.ok(slot >= 0 && slot < PALETTE.length);
    for (const o of offsets) assert.ok(boundaries.has(o), `offset ${o} is a step boundary`);
  }
  // Each step's colour is the bin of its own value: rebuild per-step slots from the ranges.
  const series = s.seriesOf(v, undefined)!;
  const slotOfStep = new Map<number, number>();
  for (const { slot, offsets } of all) {
    for (let k = 0; k < offsets.length; k += 2) {
      for (let t = s.map.stepAt[offsets[k]]; t < s.map.stepAt[offsets[k + 1] - 1] + 1; t++) slotOfStep.set(t, slot);
    }
  }
  assert.equal(s.map.steps, 4);
  for (let t = 0; t < 4; t++) {
    const want = series.series[t];
    const got = slotOfStep.get(t);
    if (got === undefined) assert.ok(want < 1 / 16, `untinted step ${t} has a near-zero gate ${want}`);
    else assert.ok(Math.abs(PALETTE[got].level / 8 - want) <= 1 / 16 + 1e-6, `step ${t}: level ${PALETTE[got].level} for ${want}`);
  }
});

test('only the requested (visible) range is decorated', () => {
  const text = 'line one\nline two\nline three\n';
  const s = evaluated(text);
  const v = { layer: 0, unit: 1, quantity: 'c' };
  const part = s.decorations(v, undefined, 9, 18);
  for (const { offsets } of part) for (const o of offsets) assert.ok(o >= 9 && o <= 18);
});

test('an edit keeps the states before it and voids the states after it and every gradient', () => {
  const text = 'hello world';
  const s = evaluated(text);
  assert.equal(s.validStates, 11);
  assert.equal(s.validGrads, 11);
  s.setText('hello there world');
  assert.equal(s.validStates, 6);
  assert.equal(s.validGrads, 0);
  assert.ok(s.covers(5, 'c'));
  assert.ok(!s.covers(6, 'c'));
  assert.ok(!s.covers(0, 'dcNorm'));
  const d = s.decorations({ layer: 0, unit: 0, quantity: 'h' }, undefined, 0, 17);
  for (const { offsets } of d) for (const o of offsets) assert.ok(o <= 6, 'nothing tinted past the edit');
  assert.deepEqual(s.decorations({ layer: 0, unit: 0, quantity: 'dhNorm' }, undefined, 0, 17), []);
  // Undoing the edit makes everything valid again.
  s.setText(text);
  assert.equal(s.validStates, 11);
  assert.equal(s.validGrads, 11);
});

test('hover at an offset shows the document timestep and the right character', () => {
  const text = 'ab\r\n😀c';
  const s = evaluated(text);
  const md = s.hoverAt(5, { layer: 0, unit: 2, quantity: 'c' }, 'demo')!;
  assert.match(md, /t = 3 · “😀” \(U\+1F600\)/);
  assert.match(s.hoverAt(3, { layer: 0, unit: 0, quantity: 'c' })!, /t = 2 · line break/);
  assert.equal(s.hoverAt(100, { layer: 0, unit: 0, quantity: 'c' }), null);
  s.setText('ab\r\nXc');
  assert.match(s.hoverAt(5, { layer: 0, unit: 0, quantity: 'c' })!, /changed here since the model read it/);
});
