// The panel in real headless Chromium under the host's CSP: handshake, charts holding the values
// sent, heatmap pixels and hover read-out, tokens as text, selection, reveal, Compare Runs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { colourOf, scaleFor } from '../../webview/logic/colormap';
import { summariseReach } from '../../src/core/analysis/gradientReach';
import { cellCenter, chartData, launch, openPanel, pixelAt, type PanelPage } from './harness';
import { HTML_TOKEN, makeRun, metricsAt, snapshotAt, VOCABULARY } from './runFixture';

let browser: Browser;
let p: PanelPage;
const run = makeRun();
const selection = { layer: 0, unit: 0, step: null };

before(async () => {
  browser = await launch();
  p = await openPanel(browser);
});
after(async () => { await browser?.close(); });

test('the panel says ready first, and nothing else before the host answers', async () => {
  const posted = await p.posted();
  assert.deepEqual(posted, [{ type: 'ready' }]);
});

test('after hydrate the curves hold the values sent', async () => {
  await p.send({ type: 'hydrate', runs: [run], shownRunIds: [run.status.id], selection });
  await p.settle();
  const loss = await chartData(p.page, 'loss');
  assert.deepEqual(loss.loss, run.metrics.map((m) => ({ x: m.step, y: m.loss })));
  assert.deepEqual(loss['validation loss'], run.metrics.filter((m) => m.valLoss !== undefined).map((m) => ({ x: m.step, y: m.valLoss })));
  assert.deepEqual(loss['baseline 0.5'], [{ x: 1, y: 0.5 }, { x: 60, y: 0.5 }]);
  const grad = await chartData(p.page, 'gradNorm');
  assert.deepEqual(grad['before clipping'].map((q) => q.y), run.metrics.map((m) => m.gradNorm));
  assert.deepEqual(grad['after clipping'].map((q) => q.y), run.metrics.map((m) => m.gradNormClipped));
  assert.deepEqual(grad['clipped (8)'].map((q) => q.x), [7, 14, 21, 28, 35, 42, 49, 56]);
  const note = await p.page.textContent('section[data-chart="gradNorm"] .chart-note');
  assert.equal(note, 'clipping fired in 8 of 60 steps');
  const lr = await chartData(p.page, 'learningRate');
  assert.equal(lr['learning rate'][59].y, run.metrics[59].learningRate);
});

test('per-timestep gradients, reach with its 1e-3 lag, ∏f, Jacobians and saturation come from the selected snapshot', async () => {
  const snap = run.snapshots[run.snapshots.length - 1];
  const layer = snap.layers[0];
  const gradT = await chartData(p.page, 'gradT');
  assert.deepEqual(gradT['‖∂L/∂c_t‖'].map((q) => q.y), [...layer.dcNorm!]);
  assert.deepEqual(gradT['‖∂L/∂h_t‖'].map((q) => q.y), [...layer.dhNorm]);
  const reach = await chartData(p.page, 'reach');
  const r = summariseReach(layer.reachC!, snap.reachFrom);
  assert.equal(r.lag, 10);
  assert.deepEqual(reach['c: below 1e-3 of peak at lag 10'].map((q) => q.x), [10, 10]);
  assert.deepEqual(reach['‖∂ℓ_τ/∂c_t‖'].slice(0, 3), [{ x: 0, y: 2 }, { x: 1, y: 1 }, { x: 2, y: 0.5 }]);
  assert.match((await p.page.textContent('section[data-chart="reach"] .chart-note'))!, /falls below 1e-3 of its peak at lag 10 \(τ = 15\)/);
  // Unit 0's forget gate is 0.05 everywhere: ∏f over τ − t factors is 0.05^(τ − t).
  const fp = await chartData(p.page, 'forgetProduct');
  const unit0 = fp['∏f, unit 0'];
  assert.equal(unit0.find((q) => q.x === 15)!.y, 1);
  assert.ok(Math.abs(unit0.find((q) => q.x === 13)!.y / 0.05 ** 2 - 1) < 1e-5);
  assert.ok(fp['measured ‖∂ℓ_τ/∂c_t‖ ÷ value at τ'].length > 0);
  const jt = await chartData(p.page, 'jacobianT');
  assert.deepEqual(jt['σ_max(J_t)'].map((q) => q.y), [...layer.jacobianSigma!]);
  assert.deepEqual(jt['1.0'].map((q) => q.y), [1, 1]);
  const jl = await chartData(p.page, 'jacobianLag');
  assert.deepEqual(jl['σ_max(J_τ⋯J_{τ-k+1})'], [{ x: 1, y: 0.5 }, { x: 2, y: 0.25 }, { x: 4, y: 0.0625 }, { x: 8, y: 0.00390625 }]);
  const sat = await chartData(p.page, 'saturation');
  assert.deepEqual(sat.f.slice(0, 2), [{ x: 1, y: 0 }, { x: 1, y: 0 }]); // units 0, 1: shut
});

test('diagnostics list the findings in words with their numbers', async () => {
  const items = await p.page.$$eval('ul.diagnostics li', (lis) => lis.map((li) => ({ id: (li as HTMLElement).dataset.id, text: li.textContent })));
  const van = items.find((i) => i.id === 'vanishing:0');
  assert.ok(van, JSON.stringify(items));
  assert.match(van.text!, /lag 10/);
  assert.match(items.find((i) => i.id === 'forget-shut:0')!.text!, /2 of 6 units/);
});

test('heatmap pixels have the colour of the known value at (t, unit)', async () => {
  const snap = run.snapshots[run.snapshots.length - 1];
  const layer = snap.layers[0];
  for (const [name, t, unit] of [['c', 3, 2], ['c', 15, 5], ['f', 0, 0], ['f', 9, 4], ['g', 7, 1], ['h', 12, 3]] as const) {
    const values = layer.values[name];
    const expected = colourOf(values[t * layer.units + unit], scaleFor(name, values));
    const at = await cellCenter(p.page, 0, name, t, unit);
    assert.deepEqual(await pixelAt(p.page, 0, name, at.x, at.y), expected, `${name}[${t}, ${unit}]`);
  }
});

test('hovering a cell reads out t, unit, value and token; an HTML-looking token stays text', async () => {
  const snap = run.snapshots[run.snapshots.length - 1];
  const H = snap.layers[0].units;
  const t = 3; // token id 3 is the HTML-looking one
  assert.equal(VOCABULARY[snap.tokens![t]], HTML_TOKEN);
  const at = await cellCenter(p.page, 0, 'c', t, 2);
  await p.page.mouse.move(at.x, at.y);
  const text = await p.page.evaluate(() => (window as unknown as { rnnDebugger: { panel: { heatmap(r: number, n: string): { readout: HTMLElement } } } }).rnnDebugger.panel.heatmap(0, 'c').readout.textContent);
  const v = snap.layers[0].values.c[t * H + 2];
  assert.equal(text, `t = 3  unit 2  c = ${Number(v.toPrecision(4))}  input ${JSON.stringify(HTML_TOKEN)}`);
  assert.equal(await p.page.evaluate(() => document.querySelectorAll('img').length), 0);
  assert.equal(await p.page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
});

test('clicking a heatmap cell selects that unit and posts select', async () => {
  const at = await cellCenter(p.page, 0, 'h', 5, 4);
  await p.page.mouse.click(at.x, at.y);
  await p.settle();
  const posted = await p.posted();
  assert.deepEqual(posted[posted.length - 1], { type: 'select', runId: 'run-a', selection: { layer: 0, unit: 4, step: null } });
  assert.equal(await p.page.inputValue('.controls input[type="number"]'), '4');
  const fp = await chartData(p.page, 'forgetProduct');
  assert.ok(fp['∏f, unit 4'], 'the ∏f curve follows the selected unit');
});

test('streaming: new metrics and snapshots appear; the scrubber picks an older snapshot', async () => {
  await p.send({ type: 'metrics', runId: 'run-a', records: [metricsAt(61), metricsAt(62)] });
  await p.send({ type: 'snapshot', runId: 'run-a', snapshot: snapshotAt(80, 16, 6) });
  await p.send({ type: 'status', status: { ...run.status, step: 62 } });
  await p.settle();
  const loss = await chartData(p.page, 'loss');
  assert.deepEqual(loss.loss[loss.loss.length - 1], { x: 62, y: metricsAt(62).loss });
  assert.match((await p.page.textContent('.step-label'))!, /step 80 \(4 snapshots\)/);
  assert.match((await p.page.textContent('.run-header .run-facts'))!, /step 62\/60/);
  // Scrub to the first snapshot (step 20): heatmap c shows its values.
  await p.page.$eval('input.scrubber', (el) => { (el as HTMLInputElement).value = '0'; el.dispatchEvent(new Event('input')); });
  await p.settle();
  assert.match((await p.page.textContent('.step-label'))!, /step 20/);
  const posted = await p.posted();
  assert.deepEqual(posted[posted.length - 1], { type: 'select', runId: 'run-a', selection: { layer: 0, unit: 4, step: 20 } });
  const first = snapshotAt(20, 16, 6).layers[0].values.c;
  const at = await cellCenter(p.page, 0, 'c', 1, 1);
  assert.deepEqual(await pixelAt(p.page, 0, 'c', at.x, at.y), colourOf(first[1 * 6 + 1], scaleFor('c', first)));
  assert.equal(await p.page.isChecked('.controls input[type="checkbox"]'), false);
});

test('flow control: a batch ending with "frame" is answered "drawn" with its id once its data are drawn, and only once', async () => {
  await p.send({ type: 'metrics', runId: 'run-a', records: [metricsAt(63)] });
  await p.send({ type: 'frame', id: 41 });
  await p.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'drawn'));
  const loss = await chartData(p.page, 'loss');
  assert.deepEqual(loss.loss[loss.loss.length - 1], { x: 63, y: metricsAt(63).loss }, 'the batch was drawn before it was acknowledged');
  // A batch of nothing new is acknowledged too (a hydrate that changed nothing must not stall the stream).
  await p.send({ type: 'frame', id: 42 });
  await p.page.waitForFunction(() => (window as unknown as { __posted: { type: string; id?: number }[] }).__posted.some((m) => m.type === 'drawn' && m.id === 42));
  await p.settle();
  const drawn = (await p.posted()).filter((m) => m.type === 'drawn');
  assert.deepEqual(drawn, [{ type: 'drawn', id: 41 }, { type: 'drawn', id: 42 }]);
});

test('a unit being typed is not overwritten by the live run\'s redraws; Enter commits it', async () => {
  const unit = '.controls input[type="number"]';
  await p.page.click(unit, { clickCount: 3 });
  await p.page.keyboard.type('3');
  // A frame of a live run redraws the controls while the user types.
  await p.send({ type: 'status', status: { ...run.status, step: 63 } });
  await p.send({ type: 'frame', id: 43 });
  await p.page.waitForFunction(() => (window as unknown as { __posted: { type: string; id?: number }[] }).__posted.some((m) => m.type === 'drawn' && m.id === 43));
  assert.match((await p.page.textContent('.run-header .run-facts'))!, /step 63\/60/, 'the frame was drawn');
  assert.equal(await p.page.inputValue(unit), '3', 'the typed unit survives the redraw');
  await p.page.keyboard.press('Enter');
  await p.settle();
  const posted = await p.posted();
  assert.deepEqual(posted[posted.length - 1], { type: 'select', runId: 'run-a', selection: { layer: 0, unit: 3, step: 20 } });
  await p.page.$eval(unit, (el) => (el as HTMLInputElement).blur());
});

test('reveal selects the unit and step and scrolls the chart into view', async () => {
  await p.page.evaluate(() => window.scrollTo(0, 0));
  await p.send({ type: 'reveal', selection: { unit: 1, step: null }, chart: 'jacobianLag' });
  await p.page.waitForFunction(() => (document.querySelector('.controls input[type="number"]') as HTMLInputElement).value === '1');
  const top = await p.page.$eval('section[data-chart="jacobianLag"]', (s) => s.getBoundingClientRect().top);
  assert.ok(top >= -1 && top < 200, `top ${top}`);
  assert.match((await p.page.textContent('.step-label'))!, /step 80/);
});

test('Compare Runs: both runs on the same axes, heatmaps side by side; a failed run shows its reason', async () => {
  const other = makeRun({ id: 'run-b', name: 'GRU-ish twin', failedAt: 45, lossScale: 2 });
  await p.send({ type: 'hydrate', runs: [run, other], shownRunIds: ['run-a', 'run-b'], selection });
  await p.settle();
  const loss = await chartData(p.page, 'loss');
  assert.deepEqual(loss['GRU-ish twin · loss'].map((q) => q.x), other.metrics.filter((m) => Number.isFinite(m.loss)).map((m) => m.step));
  assert.equal(loss['LSTM on delayed recall · loss'].length, 60);
  const reach = await chartData(p.page, 'reach');
  assert.ok(reach['GRU-ish twin · ‖∂ℓ_τ/∂c_t‖'] && reach['LSTM on delayed recall · ‖∂ℓ_τ/∂c_t‖']);
  assert.equal(await p.page.$$eval('.heatmap-column', (c) => c.length), 2);
  const [a, b] = await Promise.all([cellCenter(p.page, 0, 'c', 0, 0), cellCenter(p.page, 1, 'c', 0, 0)]);
  assert.ok(b.x > a.x + 100, 'second run to the right');
  assert.match((await p.page.textContent('[data-run-id="run-b"] .run-reason'))!, /loss became NaN at step 45/);
  const diag = await p.page.$$eval('ul.diagnostics li', (lis) => lis.map((li) => li.textContent));
  assert.ok(diag.some((d) => /GRU-ish twin: NaN at step 45/.test(d!)), JSON.stringify(diag));
});

test('no CSP violations and no console errors', async () => {
  assert.deepEqual(await p.cspViolations(), []);
  assert.deepEqual(p.errors, []);
  const errors = (await p.posted()).filter((m) => m.type === 'error');
  assert.deepEqual(errors, []);
});

test('the served HTML\'s CSP blocks injected scripts: inline, with a wrong nonce, and inline handlers', async () => {
  const inject = '<script>window.__injected = "inline"</script>' +
    '<script nonce="guessed">window.__injected = "wrong nonce"</script>' +
    '<img src="data:," onload="window.__injected = \'handler\'">';
  const q = await openPanel(browser, undefined, undefined, inject);
  try {
    // The panel itself ran (the nonce'd bundle) …
    assert.deepEqual(await q.posted(), [{ type: 'ready' }]);
    // … and none of the injected code did; each was reported as a violation.
    assert.equal(await q.page.evaluate(() => (window as unknown as { __injected?: string }).__injected), undefined);
    const violations = await q.cspViolations();
    assert.ok(violations.filter((v) => /^script-src/.test(v)).length >= 3, violations.join('; '));
    const csp = await q.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp!, /default-src 'none'/);
    assert.match(csp!, /script-src 'nonce-[^']+'(;|$)/);
    assert.doesNotMatch(csp!, /unsafe-inline|unsafe-eval/);
  } finally {
    await q.page.context().close();
  }
});
