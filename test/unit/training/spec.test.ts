// Spec defaults, validation messages and the JSON Schema file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultSpec, resolveSpec, SpecError } from '../../../src/core/spec';
import { runSpecJsonSchema } from '../../../src/protocol/specSchema';

function issues(input: unknown): string[] {
  try {
    resolveSpec(input);
  } catch (e) {
    assert.ok(e instanceof SpecError);
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a SpecError');
}

test('the default spec is complete, valid and needs no user data', () => {
  const d = defaultSpec();
  assert.deepEqual(resolveSpec(d), d);
  assert.equal(d.data.kind, 'adding');
  assert.equal(d.train.seqLength, 50);
  assert.deepEqual(resolveSpec({}), d);
});

test('missing fields take defaults; task length sets the sequence length', () => {
  const s = resolveSpec({ data: { kind: 'copy', length: 30 }, model: { cell: 'gru' }, train: { seqLength: 7 } });
  assert.equal(s.model.cell, 'gru');
  assert.equal(s.model.hiddenSize, defaultSpec().model.hiddenSize);
  assert.equal(s.train.seqLength, 50);
  assert.equal(resolveSpec({ train: { clipNorm: null } }).train.clipNorm, null);
});

test('every bad field is named with the problem', () => {
  const msgs = issues({
    data: { kind: 'adding', length: 1 },
    model: { cell: 'transformer', hiddenSize: 0, layers: 4, forgetBias: 'big' },
    train: { learningRate: -1, batchSize: 2.5, clipNorm: 0, validationFraction: 1, optimiser: 'adam' },
    trace: { samples: [0, 9], every: 0 },
    backend: 'gpu',
    seed: -3,
  });
  const expect = [
    'data.length: must be at least 2, got 1',
    "model.cell: must be one of 'lstm', 'gru', 'rnn', 'lstm-no-output-gate', 'lstm-no-input-gate', 'lstm-forget-only', got \"transformer\"",
    'model.hiddenSize: must be at least 1, got 0',
    'model.layers: must be at most 3, got 4',
    'model.forgetBias: must be a finite number, got "big"',
    'train.learningRate: must be greater than 0, got -1',
    'train.batchSize: must be a whole number, got 2.5',
    'train.clipNorm: must be greater than 0, got 0',
    'train.validationFraction: must be less than 1, got 1',
    'train.optimiser: unknown field',
    'trace.every: must be at least 1, got 0',
    "backend: must be one of 'auto', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', got \"gpu\"",
    'seed: must be at least 0, got -3',
  ];
  for (const e of expect) assert.ok(msgs.some((m) => m.startsWith(e)), `missing "${e}" in:\n${msgs.join('\n')}`);
});

test('cross-field checks: trace samples within the batch, recallFrom within the sequence, text needs a path', () => {
  assert.ok(issues({ train: { batchSize: 4 }, trace: { samples: [4] } }).some((m) => m.startsWith('trace.samples[0]: must be less than train.batchSize (4), got 4')));
  assert.ok(issues({ data: { kind: 'delayed-recall', length: 10, recallFrom: 10 } }).some((m) => m.startsWith('data.recallFrom: must be a step before the end')));
  assert.ok(issues({ data: { kind: 'text' } }).includes('data.path: is required'));
  assert.ok(issues({ data: { length: 5 } }).some((m) => m.startsWith('data.kind: is required')));
  assert.ok(issues({ model: { layers: 2 }, trace: { layers: [2] } }).some((m) => m.startsWith('trace.layers[0]: must be less than model.layers (2)')));
  assert.ok(issues('lstm').some((m) => m.startsWith('(spec): must be an object')));
});

test('unknown fields name the fields the object may have (for data: those of its kind)', () => {
  const msgs = issues({ data: { kind: 'text', path: 'a.txt', length: 3 }, zz: 1 });
  assert.ok(msgs.includes('data.length: unknown field (expected one of: kind, path, maxBytes)'), msgs.join('\n'));
  assert.ok(msgs.includes('zz: unknown field (expected one of: name, data, model, train, trace, backend, seed)'), msgs.join('\n'));
});

test('lists and strings: column items, index lists, repeats, blank names and paths, a data kind that is missing or wrong', () => {
  assert.deepEqual(issues({ data: { kind: 'csv', path: 'a.csv', columns: ['', -1, 'ok', 2] } }), [
    'data.columns[0]: must be a column name or a 0-based index, got ""',
    'data.columns[1]: must be a column name or a 0-based index, got -1',
  ]);
  assert.deepEqual(issues({ data: { kind: 'csv', path: 'a.csv', columns: [] } }), ['data.columns: must be a non-empty array of column names or 0-based indices, got an empty array']);
  assert.deepEqual(issues({ trace: { samples: 'a' } }), ['trace.samples: must be an array of batch row indices, got "a"']);
  assert.deepEqual(issues({ trace: { layers: [0, 'x'] } }), ['trace.layers[1]: must be a 0-based layer index, got "x"']);
  assert.deepEqual(issues({ trace: { samples: [1, 1] } }), ['trace.samples: must not repeat an index']);
  assert.deepEqual(issues({ name: '  ', data: { kind: 'text', path: '' } }), ['name: must be a non-empty string, got "  "', 'data.path: must be a non-empty string, got ""']);
  assert.deepEqual(issues({ data: { kind: 'tex', path: 'a' } }), ["data.kind: must be one of 'text', 'csv', 'adding', 'copy', 'delayed-recall', got \"tex\""]);
  assert.deepEqual(issues({ data: { length: 5 } }), ["data.kind: is required (one of 'text', 'csv', 'adding', 'copy', 'delayed-recall')"]);
  assert.deepEqual(issues({ train: { clipNorm: 'x' }, model: { chronoInit: 1 } }), ['model.chronoInit: must be true or false, got 1', 'train.clipNorm: must be a finite number, got "x"']);
});

test('data paths resolve against the spec file folder; the defaults of a data kind are filled in', () => {
  const s = resolveSpec({ data: { kind: 'text', path: 'notes.txt' } }, { baseDir: '/data/project' });
  assert.deepEqual(s.data, { kind: 'text', path: '/data/project/notes.txt', maxBytes: 5 * 1024 * 1024 });
  assert.deepEqual(resolveSpec({ data: { kind: 'delayed-recall', length: 12 } }).data, { kind: 'delayed-recall', length: 12, recallFrom: 0, symbols: 8 });
});

test('the SpecError message lists every issue', () => {
  try {
    resolveSpec({ seed: 'x', backend: 1 });
    assert.fail('no error');
  } catch (e) {
    assert.match((e as Error).message, /2 problems[\s\S]*backend: must be one of[\s\S]*seed: must be a finite number/);
  }
});

test('schemas/rnn-spec.schema.json is the schema the code builds (run `npm run schema` after changing the spec)', () => {
  const file = path.join(__dirname, '..', '..', '..', 'schemas', 'rnn-spec.schema.json');
  const schema = runSpecJsonSchema();
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(schema)));
  const props = schema.properties as Record<string, { properties: Record<string, { enum?: string[]; default?: unknown }>; oneOf?: { required: string[]; additionalProperties: boolean }[] }>;
  assert.ok(props.model.properties.cell.enum!.includes('lstm-forget-only'));
});

test('the JSON Schema gives the editor the same defaults and rules as resolveSpec', () => {
  const schema = runSpecJsonSchema();
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema.additionalProperties, false);
  const props = schema.properties as Record<string, { properties?: Record<string, { default?: unknown; uniqueItems?: boolean }>; oneOf?: { properties: { kind: { const: string } }; required: string[]; additionalProperties: boolean }[] }>;
  const d = defaultSpec();
  for (const part of ['model', 'train', 'trace'] as const) {
    for (const [key, value] of Object.entries(d[part])) {
      if (part === 'train' && key === 'seqLength') continue; // the adding task's own length, not the window's default
      assert.deepEqual(props[part].properties![key].default, value, `${part}.${key}`);
    }
  }
  assert.equal(props.trace.properties!.samples.uniqueItems, true);
  const variants = props.data.oneOf!;
  assert.deepEqual(variants.map((v) => v.properties.kind.const), ['text', 'csv', 'adding', 'copy', 'delayed-recall']);
  for (const v of variants) {
    assert.equal(v.additionalProperties, false);
    assert.ok(v.required.includes('kind'));
  }
});

test('field problems and the rules joining valid fields are told in one pass; a rule over a bad field is not', () => {
  const problems = (input: unknown): string[] => {
    try {
      resolveSpec(input);
    } catch (e) {
      assert.ok(e instanceof SpecError);
      return e.issues.map((i) => i.path);
    }
    return [];
  };
  const base = { data: { kind: 'text', path: 'c.txt' }, trace: { reachFrom: 50 } };
  // reachFrom reads train.seqLength, which is valid: told beside the unknown cell and field.
  assert.deepEqual(problems({ ...base, model: { cell: 'lsmt' }, train: { seqLength: 20, momentum: 0.9 } }), ['model.cell', 'train.momentum', 'trace.reachFrom']);
  // seqLength itself is bad: the comparison with it is not made.
  assert.deepEqual(problems({ ...base, train: { seqLength: 'x' } }), ['train.seqLength']);
});
