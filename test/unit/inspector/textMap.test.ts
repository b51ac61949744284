// Offset ↔ timestep mapping: BMP text, astral characters (surrogate pairs), combining marks,
// CRLF and lone CR line ends, edits (common prefix).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTextMap,
  commonPrefixSteps,
  fitToVocabulary,
  modelChars,
  normaliseLineEnds,
  offsetToStep,
  stepToRange,
  stepsInRange,
} from '../../../src/protocol/textMap';

/** Every (step, offset) pair must round-trip, and every offset must belong to exactly one step. */
function assertConsistent(text: string): void {
  const m = buildTextMap(text);
  assert.equal(m.steps, modelChars(m.modelText).length, 'one timestep per code point of the model text');
  let covered = 0;
  for (let t = 0; t < m.steps; t++) {
    const [s, e] = stepToRange(m, t);
    assert.ok(e > s, `step ${t} is non-empty`);
    for (let o = s; o < e; o++) assert.equal(offsetToStep(m, o), t);
    covered += e - s;
  }
  assert.equal(covered, text.length);
}

test('plain BMP text: offset = timestep, model text unchanged', () => {
  const text = 'hello, wörld — ÅßÇ';
  const m = buildTextMap(text);
  assert.equal(m.modelText, text);
  assert.equal(m.steps, text.length);
  for (let i = 0; i < text.length; i++) assert.equal(offsetToStep(m, i), i);
  assert.deepEqual(stepToRange(m, 7), [7, 8]);
  assertConsistent(text);
});

test('astral characters: a surrogate pair is one timestep over two code units', () => {
  const text = 'a😀b𝄞c';
  const m = buildTextMap(text);
  assert.equal(text.length, 7);
  assert.equal(m.steps, 5);
  assert.deepEqual(modelChars(m.modelText), ['a', '😀', 'b', '𝄞', 'c']);
  assert.equal(offsetToStep(m, 1), 1);
  assert.equal(offsetToStep(m, 2), 1, 'low surrogate belongs to the same step');
  assert.equal(offsetToStep(m, 3), 2);
  assert.deepEqual(stepToRange(m, 3), [4, 6]);
  assert.equal(offsetToStep(m, 6), 4);
  assertConsistent(text);
});

test('combining marks are timesteps of their own', () => {
  const text = 'cafe\u0301!'; // "café" with a combining acute accent
  const m = buildTextMap(text);
  assert.equal(m.steps, 6);
  assert.equal(modelChars(m.modelText)[4], '\u0301');
  assert.deepEqual(stepToRange(m, 4), [4, 5]);
  assertConsistent(text);
});

test('CRLF is one "\\n" timestep spanning two code units', () => {
  const text = 'ab\r\ncd\r\n';
  const m = buildTextMap(text);
  assert.equal(m.modelText, 'ab\ncd\n');
  assert.equal(m.steps, 6);
  assert.equal(offsetToStep(m, 2), 2);
  assert.equal(offsetToStep(m, 3), 2, '\\n of the CRLF maps to the same step as \\r');
  assert.equal(offsetToStep(m, 4), 3, 'c is the 4th character the model reads');
  assert.deepEqual(stepToRange(m, 2), [2, 4]);
  assert.deepEqual(stepToRange(m, 5), [6, 8]);
  assertConsistent(text);
});

test('lone CR is a line break; LF after a lone CR is another', () => {
  const text = 'a\rb\n\r\r\nc';
  const m = buildTextMap(text);
  assert.equal(m.modelText, 'a\nb\n\n\nc');
  assert.equal(normaliseLineEnds(text), m.modelText);
  assert.equal(m.steps, 7);
  assert.deepEqual(stepToRange(m, 1), [1, 2]);
  assert.deepEqual(stepToRange(m, 5), [5, 7]);
  assert.equal(offsetToStep(m, 7), 6);
  assertConsistent(text);
});

test('same text under LF and CRLF gives the same model text and step count', () => {
  const lf = 'line one\nline two 😀\nend';
  const crlf = lf.replace(/\n/g, '\r\n');
  assert.equal(buildTextMap(crlf).modelText, buildTextMap(lf).modelText);
  assert.equal(buildTextMap(crlf).steps, buildTextMap(lf).steps);
});

test('lone surrogates are one step each and do not break the mapping', () => {
  const text = 'x\ud83dy\ude00z';
  const m = buildTextMap(text);
  assert.equal(m.steps, 5);
  assertConsistent(text);
});

test('out-of-range offsets and steps', () => {
  const m = buildTextMap('ab');
  assert.equal(offsetToStep(m, -1), -1);
  assert.equal(offsetToStep(m, 2), -1);
  assert.equal(offsetToStep(m, 0.5), -1);
  assert.throws(() => stepToRange(m, 2), RangeError);
  const empty = buildTextMap('');
  assert.equal(empty.steps, 0);
  assert.deepEqual(stepsInRange(empty, 0, 0), [0, 0]);
});

test('stepsInRange covers every step touched, including a half-selected CRLF or pair', () => {
  const text = 'ab\r\n😀cd';
  const m = buildTextMap(text);
  assert.deepEqual(stepsInRange(m, 0, 2), [0, 2]);
  assert.deepEqual(stepsInRange(m, 1, 3), [1, 3], 'ends inside the CRLF: includes the line break');
  assert.deepEqual(stepsInRange(m, 4, 5), [3, 4], 'half a surrogate pair: the whole emoji');
  assert.deepEqual(stepsInRange(m, 0, 100), [0, m.steps]);
  assert.deepEqual(stepsInRange(m, 6, 6), [4, 4]);
});

test('commonPrefixSteps counts unchanged leading code points', () => {
  assert.equal(commonPrefixSteps('hello', 'help'), 3);
  assert.equal(commonPrefixSteps('a😀b', 'a😀c'), 2);
  assert.equal(commonPrefixSteps('a😀', 'a😃'), 1, 'emojis sharing a high surrogate differ');
  assert.equal(commonPrefixSteps('same', 'same'), 4);
  assert.equal(commonPrefixSteps('x\ud83d', 'x\ud83d\ude00'), 1, 'a lone high surrogate vs a pair');
  assert.equal(commonPrefixSteps('', 'abc'), 0);
});

test('fitToVocabulary keeps one character per timestep and reports replaced steps', () => {
  const f = fitToVocabulary('ab😀c\nx', ['a', 'b', 'c', ' ', '\n']);
  assert.equal(f.text, 'ab c\n ');
  assert.deepEqual(f.substituted, [2, 5]);
  assert.equal(Array.from(f.text).length, Array.from('ab😀c\nx').length);
  assert.equal(fitToVocabulary('ab\n', ['a', 'b', '\r']).text, 'ab\r', 'line break read as the CR the model knows');
  assert.equal(fitToVocabulary('abz', ['a', 'b']).text, 'aba', 'no space: first vocabulary entry');
  const same = 'abc';
  assert.equal(fitToVocabulary(same, ['a', 'b', 'c']).text, same);
});
