// The debugger's expression language: grammar, values over a recorded step, one-line errors
// naming the bad token, and a fuzz test that no input runs code, reaches a prototype or a file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionsFor, evaluateExpression, formatValue, isTrue, type Value } from '../../../src/core/debugExpr/evaluate';
import { ExprError, parseExpression } from '../../../src/core/debugExpr/parse';
import { stepEnv } from '../../../src/core/debugExpr/stepScope';
import { metrics, snapshot } from '../host/fixtures';

const T = 5, H = 3;
const snap = snapshot(7, T, H);
const stepLevel = stepEnv({ metrics: metrics(7), snapshot: snap, t: null });
const atT2 = stepEnv({ metrics: metrics(7), snapshot: snap, t: 2 });
const ev = (src: string, env = stepLevel): Value => evaluateExpression(src, env);
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);

test('grammar: precedence, unary operators, comparisons and logic', () => {
  assert.equal(ev('1 + 2 * 3'), 7);
  assert.equal(ev('(1 + 2) * 3'), 9);
  assert.equal(ev('-2 * 3 + 10 / 4'), -3.5);
  assert.equal(ev('2 - 3 - 4'), -5, 'left associative');
  assert.equal(ev('1.5e2 + .5'), 150.5);
  assert.equal(ev('1 < 2 && 3 >= 3'), true);
  assert.equal(ev('!1 > 2'), true, '! binds looser than a comparison');
  assert.equal(ev('0 || 2 == 2'), true);
  assert.equal(ev('1 != 1'), false);
  assert.equal(ev('!(loss > 100) && step == 7'), true);
});

test('step quantities and reductions equal the recorded values', () => {
  const m = metrics(7);
  assert.equal(ev('loss'), m.loss);
  assert.equal(ev('gradNorm > 1.5 && step > 5'), true);
  close(ev('clipScale') as number, m.gradNormClipped / m.gradNorm);
  assert.equal(ev('lr'), 0.01);
  const f = snap.layers[0].values.f;
  // Step level: the whole [T, H] matrix.
  close(ev('mean(f)') as number, f.reduce((a, b) => a + b, 0) / f.length);
  close(ev('mean(f[layer0])') as number, f.reduce((a, b) => a + b, 0) / f.length);
  close(ev('max(c)') as number, Math.max(...snap.layers[0].values.c));
  // Frame t = 2: row 2 of each matrix, the number at 2 of each series.
  close(ev('c[1]', atT2) as number, snap.layers[0].values.c[2 * H + 1]);
  close(ev('dhNorm', atT2) as number, snap.layers[0].dhNorm[2]);
  assert.equal(ev('t', atT2), 2);
  assert.deepEqual(Array.from(ev('f[1:3]', atT2) as Float64Array), Array.from(f.subarray(2 * H + 1, 2 * H + 3)).map(Number));
  assert.deepEqual(Array.from(ev('h[:2]', atT2) as Float64Array).length, 2);
  assert.equal(ev('h[-1]', atT2), ev('h[2]', atT2), 'negative index counts from the end');
  assert.equal(ev('argmax(o)', atT2), H - 1, 'fixture rows increase');
  assert.deepEqual(Array.from(ev('topk(o, 2)', atT2) as Float64Array), [2, 1]);
  close(ev('norm(h)', atT2) as number, Math.hypot(...snap.layers[0].values.h.subarray(2 * H, 3 * H)));
  assert.equal(ev('sum(f > 3.065)', atT2), 2, 'a comparison of a vector is a 0/1 vector');
  close(ev('mean(h * 2 - h)', atT2) as number, ev('mean(h)', atT2) as number);
  assert.equal(ev('sat(f)'), 1, 'the fixture gate values are all above 0.9');
  assert.equal(ev('len(f)'), T * H);
  // reach(lag) is the reach at τ − lag over its peak.
  const r = snap.layers[0].reachH;
  close(ev('reach(0)') as number, r[T - 1] / Math.max(...r));
  close(ev('reach(2)') as number, r[T - 3] / Math.max(...r));
  assert.equal(isTrue(ev('finite(dh)')), true);
});

test('errors are one line and name the bad token', () => {
  const err = (src: string, env = stepLevel): string => {
    try {
      evaluateExpression(src, env);
    } catch (e) {
      assert.ok(e instanceof ExprError, `${src}: ${String(e)}`);
      assert.ok(!e.message.includes('\n'), 'one line');
      return e.message;
    }
    assert.fail(`${src} should fail`);
  };
  assert.match(err('loss >'), /incomplete expression/);
  assert.match(err('loss > > 1'), /unexpected '>' at column 8/);
  assert.match(err('mean(f'), /expected '\)'.*end of expression/);
  assert.match(err('loss # 2'), /unexpected character '#' at column 6/);
  assert.match(err('1 < 2 < 3'), /comparisons do not chain/);
  assert.match(err('foo + 1'), /unknown name 'foo' at column 1; names: step, loss/);
  assert.match(err('bar(loss)'), /unknown function 'bar'/);
  assert.match(err('mean(f, 2)'), /mean\(\) takes 1 argument, got 2/);
  assert.match(err('c[99]', atT2), /index 99 .* outside 0\.\.2/);
  assert.match(err('f[layer3]'), /layers 0–0/);
  assert.match(err('f > 1 && loss'), /needs a single number, got a vector of 15/);
  assert.match(err('reach(99)'), /lag must be an integer in 0\.\.4/);
  assert.match(err('t'), /step into the step/);
  assert.match(err('loss.toString'), /unexpected character '\.'/);
  const lstm = snapshot(1, T, H).layers[0];
  const v = lstm.values;
  const gruLayer = { ...lstm, values: { h: v.h, z: v.f, r: v.i, n: v.g }, dc: undefined, dcNorm: undefined, reachC: undefined };
  const gru = stepEnv({ metrics: metrics(1), snapshot: { ...snapshot(1, T, H), cell: 'gru', layers: [gruLayer] }, t: null });
  assert.match(err('mean(o) > 0', gru), /'o' is not a quantity of the gru cell; its quantities are z, r, n, h, dh/);
  const untraced = stepEnv({ metrics: metrics(3), snapshot: null });
  assert.match(err('mean(f) < 0.2', untraced), /step 3 was not traced/);
  assert.match(err('reach(1)', untraced), /needs a trace/);
});

test('completions list names and functions', () => {
  const labels = completionsFor('gr', stepLevel).map((c) => c.label);
  assert.deepEqual(labels, ['gradNorm', 'gradNormClipped']);
  assert.ok(completionsFor('me', stepLevel).some((c) => c.label === 'mean' && c.kind === 'function'));
  assert.ok(completionsFor('re', stepLevel).some((c) => c.label === 'reach'));
});

test('formatValue is short', () => {
  assert.equal(formatValue(1 / 3), '0.333333');
  assert.equal(formatValue(true), 'true');
  assert.match(formatValue(new Float64Array(20)), /\(20 values\)$/);
});

test('fuzz: no input runs code, reaches a prototype or reads a file', () => {
  // Whatever the input, the only outcomes are a value or an ExprError; dangerous names are just
  // unknown names, and no global is touched.
  const fragments = [
    'constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'process', 'require',
    'globalThis', 'eval', 'Function', 'import', 'fs', 'readFileSync', '"/etc/passwd"', "'x'", '`x`', '.', '[', ']', '(',
    ')', ',', ':', '=', '=>', '{', '}', ';', 'f', 'c', 'h', 'loss', 'mean', 'topk', 'reach', 'layer0', 'layer9', '1',
    '-1', '1e309', '0', '&&', '||', '!', '+', '-', '*', '/', '<', '>=', '==', ' ', '\\u0063', '\n', 'NaN', 'Infinity',
  ];
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const sentinel = (globalThis as Record<string, unknown>).__rnnPwned;
  let values = 0, errors = 0;
  for (let i = 0; i < 20_000; i++) {
    const len = 1 + rand(8);
    let src = '';
    for (let k = 0; k < len; k++) src += fragments[rand(fragments.length)] + (rand(3) ? '' : ' ');
    for (const env of [stepLevel, atT2]) {
      try {
        const v = evaluateExpression(src, env);
        assert.ok(typeof v === 'number' || typeof v === 'boolean' || v instanceof Float64Array, `${src} gave ${typeof v}`);
        values++;
      } catch (e) {
        assert.ok(e instanceof ExprError, `${JSON.stringify(src)} threw ${String(e)}`);
        errors++;
      }
    }
  }
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    assert.throws(() => ev(name), new RegExp(`unknown name '${name}'`));
    assert.throws(() => ev(`${name}(1)`), new RegExp(`unknown function '${name}'`));
    assert.throws(() => ev(`f[${name}]`), ExprError);
  }
  assert.equal((globalThis as Record<string, unknown>).__rnnPwned, sentinel);
  assert.ok(values > 100 && errors > 100, `${values} values, ${errors} errors`);
  assert.throws(() => parseExpression('('.repeat(200) + '1' + ')'.repeat(200)), /nested deeper/);
  assert.throws(() => parseExpression('1+'.repeat(600) + '1'), /longer than/);
});
