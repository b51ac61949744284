// Diagnostics in words from the numbers: vanishing reach, shut forget gates, clipping, NaN, baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../../../src/core/analysis/diagnostics';
import { makeRun, metricsAt } from '../../webview/runFixture';

test('a healthy-ish run: vanishing beyond lag 10, 2 shut forget gates, occasional clipping, below baseline', () => {
  const run = makeRun();
  const d = diagnose(run);
  const byId = new Map(d.map((x) => [x.id, x]));
  const van = byId.get('vanishing:0');
  assert.ok(van, JSON.stringify(d.map((x) => x.id)));
  assert.equal(van.evidence.lag, 10);
  assert.match(van.detail, /lag 10 \(τ = 15\)/);
  assert.equal(van.chart, 'reach');
  const shut = byId.get('forget-shut:0');
  assert.ok(shut);
  assert.deepEqual(shut.units, [0, 1]);
  assert.equal(shut.severity, 'warning'); // 2 of 6 ≥ 25 %
  assert.match(shut.detail, /2 of 6 units/);
  const clip = byId.get('clipping');
  assert.ok(clip);
  assert.equal(clip.evidence.clippedSteps, 8); // steps 7, 14, …, 56
  assert.ok(byId.get('below-baseline'));
  assert.ok(byId.get('jacobian-contracting:0'));
  assert.ok(!byId.has('nan') && !byId.has('exploding') && !byId.has('above-baseline'));
  // Most severe first.
  const rank = { error: 0, warning: 1, info: 2 };
  for (let k = 1; k < d.length; k++) assert.ok(rank[d[k - 1].severity] <= rank[d[k].severity]);
});

test('NaN at the step where the loss went non-finite', () => {
  const d = diagnose(makeRun({ failedAt: 42 }));
  assert.equal(d[0].id, 'nan');
  assert.equal(d[0].severity, 'error');
  assert.equal(d[0].evidence.step, 42);
  assert.match(d[0].title, /NaN at step 42/);
});

test('frequent clipping and growing norms read as exploding; a flat loss as above the baseline', () => {
  const run = makeRun({ lossScale: 2 });
  run.metrics = run.metrics.map((m, k) => ({ ...m, gradNorm: 0.5 * 1.1 ** k, clipped: 0.5 * 1.1 ** k > 1, loss: 0.6 }));
  const d = diagnose(run);
  const ex = d.find((x) => x.id === 'exploding');
  assert.ok(ex);
  assert.ok(ex.evidence.clipFraction > 0.8);
  assert.ok(ex.evidence.growth > 10);
  assert.match(ex.detail, /clipping fired in \d+(\.\d+)? % of steps/);
  const base = d.find((x) => x.id === 'above-baseline');
  assert.ok(base);
  assert.match(base.detail, /0\.6, not below the task's baseline 0\.5/);
});

test('no data, no findings', () => {
  const run = makeRun({ steps: 5 });
  run.snapshots = [];
  run.metrics = [metricsAt(1)];
  assert.deepEqual(diagnose(run), []);
});

/** The fixture's last snapshot, with the Jacobian numbers replaced. */
function withJacobian(sigma: number, lagSigma: number[] | null, lags: number[] = [1, 2, 4, 8]): ReturnType<typeof diagnose> {
  const run = makeRun();
  const layer = run.snapshots[run.snapshots.length - 1].layers[0];
  layer.jacobianSigma = new Float32Array(layer.jacobianSigma!.length).fill(sigma);
  if (lagSigma) {
    layer.jacobianLagSigma = Float32Array.from(lagSigma);
    layer.jacobianLags = Int32Array.from(lags);
  } else {
    delete layer.jacobianLagSigma;
    delete layer.jacobianLags;
  }
  return diagnose(run);
}

test('σ_max > 1 at every step but a contracting product: no "explode" warning, the product is named', () => {
  // A trained LSTM looks like this: single steps expand some direction, the product over 8 steps does not.
  const d = withJacobian(1.3, [1.3, 0.9, 0.6, 0.3]);
  assert.ok(!d.some((x) => x.id.startsWith('jacobian-expanding')), JSON.stringify(d.map((x) => x.id)));
  assert.ok(!d.some((x) => /explode/.test(x.detail)));
  const c = d.find((x) => x.id === 'jacobian-contracting:0');
  assert.ok(c);
  assert.equal(c.severity, 'info');
  assert.equal(c.evidence.lag, 8);
  assert.ok(Math.abs(c.evidence.productSigma - 0.3) < 1e-6);
  assert.match(c.detail, /over the last 8 steps is 0\.3 /);
  assert.match(c.detail, /single steps expand some direction, their products do not/);
});

test('a product that grows over the measured lags is the warning, with its number', () => {
  const d = withJacobian(1.3, [1.3, 1.6, 2.5, 6]);
  const e = d.find((x) => x.id === 'jacobian-expanding:0');
  assert.ok(e);
  assert.equal(e.severity, 'warning');
  assert.equal(e.chart, 'jacobianLag');
  assert.match(e.detail, /over the last 8 steps is 6 > 1/);
});

test('without lag products a step σ_max > 1 is reported as what it is, not as a warning', () => {
  const d = withJacobian(1.3, null);
  assert.ok(!d.some((x) => x.severity === 'warning' && x.id.startsWith('jacobian')));
  const s = d.find((x) => x.id === 'jacobian-step:0');
  assert.ok(s);
  assert.match(s.detail, /bounds that step only/);
});

test('Jacobian values that missed the tolerance are reported as lower bounds', () => {
  const run = makeRun();
  run.snapshots[run.snapshots.length - 1].layers[0].jacobianUnconverged = 3;
  const u = diagnose(run).find((x) => x.id === 'jacobian-unconverged:0');
  assert.ok(u);
  assert.match(u.detail, /3 of the Jacobian σ_max values/);
});

test('next-value regression (CSV): a fading reach is information, not a vanishing-gradient alarm', () => {
  const run = makeRun();
  run.status.spec = { ...run.status.spec, data: { kind: 'csv', path: 'sine.csv' } };
  const d = diagnose(run).find((x) => x.id === 'vanishing:0');
  assert.ok(d);
  assert.equal(d.severity, 'info');
  assert.equal(d.title, 'Gradient reaches back about 10 steps');
  assert.match(d.detail, /lag 10 \(τ = 15\).*needs the recent past only/);
  assert.equal(diagnose(makeRun()).find((x) => x.id === 'vanishing:0')?.severity, 'warning', 'a memory task keeps the warning');
});

test('next-value regression (CSV): the baseline is named for what it is, repeating the last value', () => {
  const run = makeRun();
  run.status.spec = { ...run.status.spec, data: { kind: 'csv', path: 'sine.csv' } };
  const below = diagnose(run).find((x) => x.id === 'below-baseline');
  assert.ok(below);
  assert.match(below.detail, /below the baseline 0\.5 \(the baseline repeats the last value\)\.$/);
  run.status.baseline = 0.01;
  const above = diagnose(run).find((x) => x.id === 'above-baseline');
  assert.ok(above);
  assert.match(above.detail, /\(what repeating the last value achieves\): the model predicts the next value no better than that/);
  assert.doesNotMatch(above.detail, /long-range/);
});
