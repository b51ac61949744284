// A *.rnn.json file's problems are located on the offending text (what the Problems panel and
// the squiggle show): syntax errors at their offset, bad values on the value, unknown paths on
// the nearest enclosing field; a good file resolves to its spec.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSpecText, splitSpecPath } from '../../../src/extension/specFile';

test('splitSpecPath reads dotted paths with indices', () => {
  assert.deepEqual(splitSpecPath('train.learningRate'), ['train', 'learningRate']);
  assert.deepEqual(splitSpecPath('data.columns[2]'), ['data', 'columns', 2]);
  assert.deepEqual(splitSpecPath(''), []);
});

test('a bad value is underlined where it is written, and every problem is listed', () => {
  const text = `{
  // comments are allowed in spec files
  "data": { "kind": "adding", "length": 50 },
  "model": { "cell": "lstm", "hiddenSize": -4 },
  "train": { "learningRate": "fast" }
}`;
  const r = checkSpecText(text, '/tmp');
  assert.equal(r.spec, undefined);
  const hidden = r.problems.find((p) => p.path === 'model.hiddenSize');
  assert.ok(hidden, `no problem for model.hiddenSize: ${JSON.stringify(r.problems)}`);
  assert.equal(text.slice(hidden.start, hidden.end), '-4');
  const lr = r.problems.find((p) => p.path === 'train.learningRate');
  assert.ok(lr);
  assert.equal(text.slice(lr.start, lr.end), '"fast"');
});

test('a syntax error is reported at its place, not as a crash', () => {
  const text = '{ "data": { "kind": "adding" ,, } }';
  const r = checkSpecText(text, '/tmp');
  assert.equal(r.spec, undefined);
  assert.ok(r.problems.length >= 1);
  assert.ok(r.problems[0].start >= text.indexOf(',,') && r.problems[0].start <= text.indexOf(',,') + 2, JSON.stringify(r.problems[0]));
});

test('syntax errors are said in words, not as parser codes', () => {
  const missingComma = checkSpecText('{ "data": { "kind": "adding" } "seed": 3 }', '/tmp');
  assert.equal(missingComma.problems[0]?.message, 'JSON syntax: a comma (,) is missing before this');
  const openString = checkSpecText('{ "name": "unfinished }', '/tmp');
  assert.match(openString.problems.map((p) => p.message).join(' | '), /string is not closed/);
  for (const p of [...missingComma.problems, ...openString.problems]) assert.doesNotMatch(p.message, /[A-Z][a-z]+[A-Z][a-z]+Expected|InvalidSymbol/);
});

test('a good file resolves to a spec with its defaults filled in', () => {
  const r = checkSpecText('{ "data": { "kind": "copy", "length": 20 }, "model": { "cell": "gru" } }', '/tmp');
  assert.deepEqual(r.problems, []);
  assert.equal(r.spec?.model.cell, 'gru');
  assert.equal(r.spec?.train.seqLength, 40);
});

test('an unknown field, a missing data field and a bad list item are underlined on their own text', () => {
  const text = `{
  "data": { "kind": "csv", "path": "x.csv", "colums": [0] },
  "trace": { "samples": [0, "one"] },
  "model": { "celll": "gru" }
}`;
  const r = checkSpecText(text, '/tmp');
  const at = (p: string): string => {
    const problem = r.problems.find((q) => q.path === p);
    assert.ok(problem, `no problem at ${p}: ${JSON.stringify(r.problems)}`);
    return text.slice(problem.start, problem.end);
  };
  assert.equal(at('data.colums'), '"colums"');
  assert.equal(at('model.celll'), '"celll"');
  assert.equal(at('trace.samples[1]'), '"one"');
  const missing = checkSpecText('{ "data": { "kind": "adding" } }', '/tmp');
  assert.equal(missing.problems[0].path, 'data.length');
  assert.equal('{ "data": { "kind": "adding" } }'.slice(missing.problems[0].start, missing.problems[0].end), '"data"');
});
