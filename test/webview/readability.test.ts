// What the user reads in the panel, in real headless Chromium: log-axis numbers for any range
// (values below float range at a floor, said so), series colours that stand out from the
// background in Dark Modern and Light+, Compare Runs coloured by run and pairing like with like,
// numeric inputs on a time axis, a constant learning rate as text, clamped choices said aloud,
// keyboard access, and a revealed chart's title below the sticky controls.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunData } from '../../src/protocol/webview';
import { launch, openPanel, type PanelPage } from './harness';
import { makeRun } from './runFixture';
import { applyThemeTo, contrastIn, THEMES } from './themes';

let browser: Browser;
let p: PanelPage;
const selection = { layer: 0, unit: 0, step: null };

before(async () => {
  browser = await launch();
  p = await openPanel(browser);
});
after(async () => { await browser?.close(); });

interface ChartInfo { min: number; max: number; ticks: { value: number; label: string }[]; colours: string[]; labels: string[]; legend: string[]; orders: number[] }

function chartInfo(id: string): Promise<ChartInfo> {
  return p.page.evaluate((chartId) => {
    type C = { scales: Record<string, { min: number; max: number; ticks: { value: number; label: unknown }[] }>; data: { datasets: { label: string; borderColor: string; order?: number }[] }; legend?: { legendItems?: { text: string }[] } };
    const w = window as unknown as { rnnDebugger: { Chart: { getChart(c: HTMLCanvasElement): C | undefined } } };
    const canvas = document.querySelector<HTMLCanvasElement>(`section[data-chart="${chartId}"] canvas`)!;
    const c = w.rnnDebugger.Chart.getChart(canvas)!;
    const y = c.scales.y;
    return {
      min: y.min, max: y.max,
      ticks: y.ticks.map((t) => ({ value: t.value, label: Array.isArray(t.label) ? t.label.join(' ') : String(t.label ?? '') })),
      colours: c.data.datasets.map((d) => d.borderColor), labels: c.data.datasets.map((d) => d.label),
      legend: (c.legend?.legendItems ?? []).map((i) => i.text), orders: c.data.datasets.map((d) => d.order ?? 0),
    };
  }, id);
}

/** A run whose gradient norms span [lo, hi] geometrically over its 60 steps. */
function runWithGradRange(lo: number, hi: number): RunData {
  const run = makeRun();
  run.metrics.forEach((m, k) => {
    const y = lo * (hi / lo) ** (k / (run.metrics.length - 1));
    m.gradNorm = y; m.gradNormClipped = y; m.clipped = false;
  });
  return run;
}

test('log axes carry readable numbers for any data range, 1e-45 … 1e3', async () => {
  const ranges: [number, number][] = [[0.5, 5], [0.3, 0.8], [0.95, 1.02], [1, 1.5], [2, 60], [1e-3, 1e3], [1e-45, 1e3], [2e-42, 1], [1e-12, 1e-9], [7e-5, 9e-5], [100, 1000]];
  for (const [lo, hi] of ranges) {
    await p.send({ type: 'hydrate', runs: [runWithGradRange(lo, hi)], shownRunIds: ['run-a'], selection });
    await p.settle();
    const c = await chartInfo('gradNorm');
    assert.ok(c.min > 0 && c.max >= hi * (1 - 1e-6), `[${lo}, ${hi}]: axis ${c.min} … ${c.max}`);
    const labelled = c.ticks.filter((t) => t.label !== '');
    assert.ok(labelled.length >= 2, `[${lo}, ${hi}]: ${labelled.length} labelled ticks: ${JSON.stringify(c.ticks)}`);
    assert.ok(labelled.length <= 12, `[${lo}, ${hi}]: too many ticks: ${JSON.stringify(c.ticks)}`);
    for (const t of labelled) {
      const v = Number(t.label);
      assert.ok(Number.isFinite(v) && Math.abs(v / t.value - 1) < 0.02, `[${lo}, ${hi}]: label "${t.label}" is not the value ${t.value}`);
      assert.ok(t.value >= c.min * (1 - 1e-9) && t.value <= c.max * (1 + 1e-9), `[${lo}, ${hi}]: tick ${t.value} outside the axis`);
    }
  }
});

test('∏f below float range is drawn at a floor and said to be there (the chart is not blank)', async () => {
  const run = makeRun();
  const snap = run.snapshots[run.snapshots.length - 1];
  const f = snap.layers[0].values.f, H = snap.layers[0].units;
  for (let t = 0; t < snap.steps; t++) f[t * H] = 1e-3; // unit 0: ∏f reaches 1e-45 at t = 0
  await p.send({ type: 'hydrate', runs: [run], shownRunIds: ['run-a'], selection });
  await p.settle();
  const c = await chartInfo('forgetProduct');
  assert.ok(c.min > 0, `axis minimum ${c.min}`);
  assert.ok(c.ticks.filter((t) => t.label !== '').length >= 2, JSON.stringify(c.ticks));
  const data = await p.page.evaluate(() => {
    const w = window as unknown as { rnnDebugger: { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } } } } };
    return w.rnnDebugger.Chart.getChart(document.querySelector<HTMLCanvasElement>('section[data-chart="forgetProduct"] canvas')!).data.datasets.map((d) => ({ label: d.label, n: d.data.length, min: Math.min(...d.data.map((q) => q.y)) }));
  });
  const unit0 = data.find((d) => d.label === '∏f, unit 0')!;
  assert.equal(unit0.n, snap.reachFrom + 1, 'every t ≤ τ has a point');
  assert.ok(unit0.min > 1e-39 && unit0.min < 2e-38, `floor ${unit0.min}`);
  assert.match((await p.page.textContent('section[data-chart="forgetProduct"] .chart-note'))!, /below float range .* drawn at 1\.18e-38/);
});

const applyTheme = (name: string): Promise<void> => applyThemeTo(p, name);
const contrastInPage = (colour: string, background: string): Promise<number> => contrastIn(p, colour, background);

for (const theme of Object.keys(THEMES)) {
  test(`every series stands out from the background in ${theme} (contrast ≥ 3:1)`, async () => {
    await p.send({ type: 'hydrate', runs: [makeRun(), makeRun({ id: 'run-b', name: 'twin' })], shownRunIds: ['run-a'], selection });
    await applyTheme(theme);
    const bg = THEMES[theme]['--vscode-editor-background'];
    const seen = new Set<string>();
    for (const id of ['loss', 'gradNorm', 'learningRate', 'gradT', 'reach', 'forgetProduct', 'jacobianT', 'jacobianLag', 'saturation']) {
      const c = await chartInfo(id);
      for (const [k, colour] of c.colours.entries()) {
        const r = await contrastInPage(colour, bg);
        assert.ok(r >= 3, `${theme}: ${id} "${c.labels[k]}" ${colour} has contrast ${r.toFixed(2)} against ${bg}`);
        seen.add(colour);
      }
    }
    assert.ok(seen.size >= 5, `series colours: ${[...seen].join(', ')}`);
    await p.send({ type: 'hydrate', runs: [makeRun(), makeRun({ id: 'run-b', name: 'twin' })], shownRunIds: ['run-a', 'run-b'], selection });
    await p.settle();
    const loss = await chartInfo('loss');
    const a = loss.colours[loss.labels.indexOf('LSTM on delayed recall · loss')], b = loss.colours[loss.labels.indexOf('twin · loss')];
    assert.ok(a && b && a !== b, `compare colours ${a} / ${b}`);
    assert.ok(await contrastInPage(a, bg) >= 3 && await contrastInPage(b, bg) >= 3);
  });
}

test('Compare Runs: one colour per run, a legend by run, and heatmaps pair like with like', async () => {
  await applyTheme('Dark Modern');
  const lstm = makeRun();
  const gru = makeRun({ id: 'run-b', name: 'GRU · twin', H: 4 });
  for (const s of gru.snapshots) {
    s.cell = 'gru';
    const L = s.layers[0];
    L.values = { h: L.values.h, z: L.values.i, r: L.values.o, n: L.values.g };
    delete L.dc; delete L.dcNorm; delete L.reachC;
  }
  gru.status.spec = { ...gru.status.spec, model: { ...gru.status.spec.model, cell: 'gru' } };
  await p.send({ type: 'hydrate', runs: [lstm, gru], shownRunIds: ['run-a', 'run-b'], selection });
  await p.settle();
  const loss = await chartInfo('loss');
  const colourOf = (prefix: string) => new Set(loss.labels.flatMap((l, k) => (l.startsWith(prefix) && !/baseline/.test(l) ? [loss.colours[k]] : [])));
  const ca = colourOf('LSTM on delayed recall · '), cb = colourOf('GRU · twin · ');
  assert.equal(ca.size, 1, `one colour for the first run: ${[...ca]}`);
  assert.equal(cb.size, 1, `one colour for the second run: ${[...cb]}`);
  assert.notEqual([...ca][0], [...cb][0]);
  assert.deepEqual(loss.legend, ['LSTM on delayed recall', 'GRU · twin', 'loss', 'validation loss', 'baseline 0.5'], `legend: ${loss.legend.join(' | ')}`);
  const layout = await p.page.evaluate(() => {
    const w = window as unknown as { rnnDebugger: { panel: { heatmap(r: number, n: string): { canvas: HTMLCanvasElement } | undefined } } };
    const tops = ([[0, 'h'], [1, 'h'], [1, 'c']] as const).map(([r, n]) => w.rnnDebugger.panel.heatmap(r, n)?.canvas.getBoundingClientRect().top ?? null);
    return { hA: tops[0], hB: tops[1], cB: tops[2], firstB: document.querySelectorAll('.heatmap-column')[1].querySelector('.heatmap-title')?.textContent };
  });
  assert.equal(layout.cB, null, 'the GRU has no c');
  assert.equal(layout.firstB, 'h_t hidden state');
  assert.equal(layout.hA, layout.hB, 'h beside h');
});

test('numeric inputs: the heatmap time axis shows t, the value is read on hover, standardised inputs are said so', async () => {
  const run = makeRun();
  run.status.spec = { ...run.status.spec, data: { kind: 'csv', path: 'sine.csv' } };
  for (const s of run.snapshots) { s.tokens = null; s.inputs = Float32Array.from({ length: s.steps }, (_, t) => Math.sin(t / 3) * 1.28); }
  await p.send({ type: 'hydrate', runs: [run], shownRunIds: ['run-a'], selection });
  await p.settle();
  assert.match((await p.page.textContent('section[data-chart="heatmaps"] > .chart-note'))!, /time axis shows t.*standardised/);
  const text = await p.page.evaluate(() => {
    const w = window as unknown as { rnnDebugger: { panel: { heatmap(r: number, n: string): { canvas: HTMLCanvasElement; readout: HTMLElement } } } };
    const h = w.rnnDebugger.panel.heatmap(0, 'c');
    h.canvas.focus();
    h.canvas.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    h.canvas.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    return h.readout.textContent;
  });
  assert.match(text!, /^t = 2 {2}unit 0 {2}c = [-\d.]+ {2}input 0\.792$/, text!);
});

test('a constant learning rate is a line of text, not a chart', async () => {
  const run = makeRun();
  for (const m of run.metrics) m.learningRate = 0.01;
  await p.send({ type: 'hydrate', runs: [run], shownRunIds: ['run-a'], selection });
  await p.settle();
  assert.equal((await chartInfo('learningRate')).labels.length, 0);
  assert.equal(await p.page.textContent('section[data-chart="learningRate"] .chart-note'), 'learning rate 0.01, constant');
  assert.equal(await p.page.$eval('section[data-chart="learningRate"] .chart-box', (e) => getComputedStyle(e).display), 'none');
});

test('validation loss is drawn over the training line', async () => {
  const loss = await chartInfo('loss');
  const v = loss.labels.indexOf('validation loss'), t = loss.labels.indexOf('loss');
  assert.ok(loss.orders[v] < loss.orders[t], 'a lower order is drawn later, on top');
});

test('a unit out of range for the run is clamped visibly', async () => {
  await p.send({ type: 'hydrate', runs: [makeRun()], shownRunIds: ['run-a'], selection: { layer: 1, unit: 31, step: null } });
  await p.settle();
  assert.equal(await p.page.inputValue('.controls input[type="number"]'), '5');
  assert.equal(await p.page.textContent('.clamp-note'), "layer 1 is not in this run: showing layer 0; unit 31 is beyond this run's 6 units: showing unit 5");
  const fp = await chartInfo('forgetProduct');
  assert.ok(fp.labels.includes('∏f, unit 5'));
});

test('charts and heatmaps are reachable by keyboard; Enter on a heatmap cell selects its unit', async () => {
  const names = await p.page.$$eval('canvas[tabindex="0"]', (cs) => cs.map((c) => c.getAttribute('aria-label') ?? ''));
  assert.ok(names.filter((n) => / chart /.test(n)).length >= 9, names.join(' | '));
  assert.ok(names.some((n) => /^c_t cell state heatmap/.test(n)), names.join(' | '));
  await p.page.evaluate(() => {
    const w = window as unknown as { rnnDebugger: { panel: { heatmap(r: number, n: string): { canvas: HTMLCanvasElement } } } };
    w.rnnDebugger.panel.heatmap(0, 'h').canvas.focus();
  });
  await p.page.keyboard.press('ArrowDown');
  await p.page.keyboard.press('Enter');
  await p.settle();
  const posted = await p.posted();
  const last = posted[posted.length - 1] as { type: string; selection?: { unit: number } };
  assert.equal(last.type, 'select');
  assert.equal(typeof last.selection?.unit, 'number');
});

test('"show" puts the chart title below the sticky controls bar', async () => {
  await p.page.setViewportSize({ width: 700, height: 600 }); // the controls wrap onto two lines
  await p.send({ type: 'hydrate', runs: [makeRun()], shownRunIds: ['run-a'], selection });
  await p.settle();
  await p.page.evaluate(() => window.scrollTo(0, 0));
  await p.send({ type: 'reveal', selection: {}, chart: 'jacobianT' });
  await p.page.waitForFunction(() => document.querySelector('section[data-chart="jacobianT"]')!.classList.contains('revealed'));
  const [title, bar] = await p.page.evaluate(() => [
    document.querySelector('section[data-chart="jacobianT"] h2')!.getBoundingClientRect().top,
    document.querySelector('.controls')!.getBoundingClientRect().bottom,
  ]);
  assert.ok(title >= bar, `title at ${title}, controls end at ${bar}`);
});

test('no CSP violations and no console errors', async () => {
  assert.deepEqual(await p.cspViolations(), []);
  assert.deepEqual(p.errors, []);
});
