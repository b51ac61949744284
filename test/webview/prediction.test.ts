// The predictions view in real headless Chromium: for text, the probability of the target per t
// with the top-1 prediction on hover; for CSV, predicted, target and the previous-value baseline
// over t; for the adding and copy tasks, the scored positions in a table. The drawn values are
// the recorded ones (every t, not smoothed), the canvas shows them in the series colour, in Dark
// Modern and Light+ with readable contrast, and a snapshot without predictions says so.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RunData } from '../../src/protocol/webview';
import { chartData, launch, openPanel, type PanelPage } from './harness';
import { makeRun, tokenPrediction, valuePrediction, VOCABULARY } from './runFixture';
import { applyThemeTo, contrastIn, THEMES } from './themes';

let browser: Browser;
let p: PanelPage;
const selection = { layer: 0, unit: 0, step: null };
const T = 16;

before(async () => {
  browser = await launch();
  p = await openPanel(browser);
});
after(async () => { await browser?.close(); });

function textRun(): RunData {
  const run = makeRun({ T });
  run.status.spec = { ...run.status.spec, data: { kind: 'text', path: 'story.txt' } };
  delete run.status.baseline;
  for (const s of run.snapshots) s.prediction = tokenPrediction(T, VOCABULARY.length);
  return run;
}

function csvRun(): RunData {
  const run = makeRun({ T, id: 'csv' });
  run.status.spec = { ...run.status.spec, data: { kind: 'csv', path: 'sine.csv' } };
  run.status.baseline = 0.2;
  delete run.status.vocabulary;
  for (const s of run.snapshots) {
    s.tokens = null;
    s.inputs = Float32Array.from({ length: T }, (_, t) => Math.sin(0.5 * t)); // x_t; the target is x_{t+1}
    s.prediction = valuePrediction(T);
  }
  return run;
}

function addingRun(): RunData {
  const run = makeRun({ T, id: 'adding' });
  run.status.spec = { ...run.status.spec, data: { kind: 'adding', length: T } };
  run.status.baseline = 1 / 6;
  delete run.status.vocabulary;
  for (const s of run.snapshots) {
    s.tokens = null;
    s.inputs = Float32Array.from({ length: T * 2 }, (_, k) => (k % 2 ? Number(k === 5 || k === 21) : 0.3));
    const mask = Float32Array.from({ length: T }, (_, t) => Number(t === T - 1));
    const target = Float32Array.from({ length: T }, (_, t) => (t === T - 1 ? 0.6 : 0));
    const predicted = Float32Array.from({ length: T }, (_, t) => 0.5 + 0.01 * t);
    s.prediction = { kind: 'values', outputs: 1, predicted, target, mask };
  }
  return run;
}

function copyRun(): RunData {
  const L = 30;
  const run = makeRun({ T: L, id: 'copy' });
  run.status.spec = { ...run.status.spec, data: { kind: 'copy', length: L - 20 } };
  run.status.vocabulary = ['_', '1', '2', '3', '4', '5', '6', '7', '8', ':'];
  for (const s of run.snapshots) s.prediction = tokenPrediction(L, 10);
  return run;
}

async function show(run: RunData): Promise<void> {
  await p.send({ type: 'hydrate', runs: [run], shownRunIds: [run.status.id], selection });
  await p.settle();
}

const note = (): Promise<string | null> => p.page.textContent('section[data-chart="prediction"] .chart-note');

/** Client position of point k of dataset `label`, and the colour of the canvas there (the pixel nearest the line's colour in a 5×5 patch). */
async function drawnAt(label: string, k: number): Promise<{ x: number; y: number; colour: string; nearest: number[] }> {
  return p.page.evaluate(([l, i]) => {
    type C = { canvas: HTMLCanvasElement; data: { datasets: { label: string; borderColor: string }[] }; getDatasetMeta(d: number): { data: { x: number; y: number }[] } };
    const w = window as unknown as { rnnDebugger: { Chart: { getChart(c: HTMLCanvasElement): C } } };
    const canvas = document.querySelector<HTMLCanvasElement>('section[data-chart="prediction"] canvas')!;
    canvas.scrollIntoView({ block: 'center' });
    const c = w.rnnDebugger.Chart.getChart(canvas);
    const d = c.data.datasets.findIndex((s) => s.label === l);
    const el = c.getDatasetMeta(d).data[i as number];
    const ctx = canvas.getContext('2d')!;
    const sx = canvas.width / canvas.getBoundingClientRect().width;
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = c.data.datasets[d].borderColor; probe.fillRect(0, 0, 1, 1);
    const want = [...probe.getImageData(0, 0, 1, 1).data];
    let best: number[] = [], bestD = Infinity;
    const patch = ctx.getImageData(Math.round(el.x * sx) - 2, Math.round(el.y * sx) - 2, 5, 5).data;
    for (let q = 0; q < 25; q++) {
      const px = [...patch.slice(q * 4, q * 4 + 4)];
      const dist = Math.hypot(px[0] - want[0], px[1] - want[1], px[2] - want[2]);
      if (px[3] > 0 && dist < bestD) { bestD = dist; best = px; }
    }
    const r = canvas.getBoundingClientRect();
    return { x: r.left + el.x, y: r.top + el.y, colour: c.data.datasets[d].borderColor, nearest: [...best, bestD] };
  }, [label, k] as const);
}

test('text: p(target) is drawn at every t with the recorded values; hover gives the top-1 prediction', async () => {
  const run = textRun();
  await show(run);
  const pr = run.snapshots[run.snapshots.length - 1].prediction!;
  assert.equal(pr.kind, 'tokens');
  const data = await chartData(p.page, 'prediction');
  const line = data['p(target)'];
  assert.equal(line.length, T, 'one point per t, none smoothed away');
  line.forEach((pt, t) => { assert.equal(pt.x, t); assert.equal(pt.y, pr.targetProb[t]); });
  // Where top-1 misses the target, its probability is marked.
  assert.deepEqual(data['p(top-1) where top-1 ≠ target'].map((q) => q.x), Array.from({ length: T }, (_, t) => t).filter((t) => t % 3 !== 0));
  assert.deepEqual(data['uniform guess 1/5'].map((q) => q.y), [0.2, 0.2]);
  assert.match((await note())!, /step 60, sample 0: the probability the model gives the target at each t; .*top-1 right 6 of 16/);
  const at = await drawnAt('p(target)', 4);
  await p.page.mouse.move(at.x, at.y);
  await p.page.waitForFunction(() => document.querySelector('.prediction-readout')!.textContent!.startsWith('t = 4 '));
  // t = 4 reads 'é' (token 4); the target is token 0 'a' with 0.02 + 0.4·sin²4; the top-1 is token 1 'b' at 0.55.
  assert.equal(await p.page.textContent('.prediction-readout'), 't = 4  input "é"  target "a" p = 0.249  top-1 "b" p = 0.55');
  await p.page.mouse.move(1, 1);
  // Keyboard: → from nothing starts at t = 0.
  await p.page.focus('section[data-chart="prediction"] canvas');
  await p.page.keyboard.press('ArrowRight');
  assert.match((await p.page.textContent('.prediction-readout'))!, /^t = 0 {2}input "a" {2}target "b" p = 0\.5 {2}top-1 "b" p = 0\.5$/);
});

test('text: a token that looks like HTML is shown as text in the read-out', async () => {
  await show(textRun());
  await p.page.focus('section[data-chart="prediction"] canvas');
  for (let k = 0; k < 3; k++) await p.page.keyboard.press('ArrowRight'); // t = 2: target token 3
  const text = await p.page.textContent('.prediction-readout');
  assert.ok(text!.includes(JSON.stringify(VOCABULARY[3])), text!);
  assert.equal(await p.page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
});

test('CSV: predicted, target and the previous value over t, with both MSEs and the named baseline', async () => {
  const run = csvRun();
  await show(run);
  const snap = run.snapshots[run.snapshots.length - 1];
  const pr = snap.prediction!;
  assert.equal(pr.kind, 'values');
  const data = await chartData(p.page, 'prediction');
  assert.deepEqual(data['predicted y_t'].map((q) => q.y), Array.from(pr.predicted));
  assert.deepEqual(data['target'].map((q) => q.y), Array.from(pr.target));
  assert.deepEqual(data['previous value x_t (baseline)'].map((q) => q.y), Array.from(snap.inputs!));
  let model = 0, previous = 0;
  for (let t = 0; t < T; t++) { model += (pr.predicted[t] - pr.target[t]) ** 2 / T; previous += (snap.inputs![t] - pr.target[t]) ** 2 / T; }
  const three = (x: number): string => String(Number(x.toPrecision(3)));
  assert.equal(await note(), `step 60, sample 0: MSE over the scored steps ${three(model)}; predicting the previous value (x̂_{t+1} = x_t) on this sample ${three(previous)}; ` +
    'baseline 0.2: predicting the previous value (x̂_{t+1} = x_t), MSE on the validation rows');
  assert.equal(await p.page.$$eval('.prediction-table', (t) => t.length), 0, 'every step is scored: no table');
});

test('adding: the scored position in a table, target as a marker at that step only', async () => {
  await show(addingRun());
  const rows = await p.page.$$eval('.prediction-table tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.deepEqual(rows, [['t', 'target', 'predicted', '|error|'], ['15', '0.6', '0.65', '0.05']]);
  const data = await chartData(p.page, 'prediction');
  assert.deepEqual(data['target at scored steps'], [{ x: 15, y: Math.fround(0.6) }]);
  assert.equal(data['predicted y_t'].length, T);
  assert.match((await note())!, /baseline 0\.167: always answering 1 \(the mean of the sum\), MSE 1\/6$/);
});

test('copy: the 10 recall steps in a table with target, top-1 and both probabilities', async () => {
  await show(copyRun());
  const rows = await p.page.$$eval('.prediction-table tr.prediction-row', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29']);
  // t = 21 reads token 21 mod 5 = 1 → "1"; target (22 mod 10) = 2 → "2", top-1 = target (21 mod 3 = 0), p = 0.5 + 0.4·sin²21.
  const p21 = String(Number(Math.fround(0.5 + 0.4 * Math.sin(21) ** 2).toPrecision(3)));
  assert.deepEqual(rows[1], ['21', '"1"', '"2"', '"2"', p21, p21]);
  assert.match((await note())!, /blank until the delimiter, then a uniform guess among the 8 symbols/);
});

test('Compare Runs of a text run and a CSV run: only the first run\'s kind is drawn, and the note says why', async () => {
  const text = textRun(), csv = csvRun();
  text.status.name = 'text run'; csv.status.name = 'csv run';
  await p.send({ type: 'hydrate', runs: [text, csv], shownRunIds: ['run-a', 'csv'], selection });
  await p.settle();
  const labels = Object.keys(await chartData(p.page, 'prediction'));
  assert.ok(labels.length > 0 && labels.every((l) => l.startsWith('text run · ')), labels.join(' | '));
  assert.match((await note())!, /csv run · its values are not drawn on the same axis as the other run's token probabilities/);
});

for (const theme of Object.keys(THEMES)) {
  test(`${theme}: the predictions are drawn in their series colours with readable contrast`, async () => {
    await applyThemeTo(p, theme);
    const bg = THEMES[theme]['--vscode-editor-background'];
    for (const [run, label] of [[textRun(), 'p(target)'], [csvRun(), 'predicted y_t']] as const) {
      await show(run);
      const info = await p.page.evaluate(() => {
        type C = { data: { datasets: { label: string; borderColor: string }[] } };
        const w = window as unknown as { rnnDebugger: { Chart: { getChart(c: HTMLCanvasElement): C } } };
        return w.rnnDebugger.Chart.getChart(document.querySelector<HTMLCanvasElement>('section[data-chart="prediction"] canvas')!).data.datasets.map((d) => [d.label, d.borderColor]);
      });
      for (const [name, colour] of info) {
        const r = await contrastIn(p, colour, bg);
        assert.ok(r >= 3, `${theme}: "${name}" ${colour} has contrast ${r.toFixed(2)} against ${bg}`);
      }
      for (const k of [3, 9, 12]) {
        const at = await drawnAt(label, k);
        assert.ok(at.nearest[4] < 60, `${theme}: "${label}" at t = ${k} is drawn in ${at.colour}; nearest pixel ${at.nearest.slice(0, 4).join(',')} (distance ${at.nearest[4].toFixed(0)})`);
      }
    }
    await show(addingRun());
    const [fg, tableBg] = await p.page.$eval('.prediction-table td', (td) => [getComputedStyle(td).color, getComputedStyle(document.body).getPropertyValue('--vscode-editor-background')]);
    assert.ok(await contrastIn(p, fg, tableBg.trim() || bg) >= 4.5, `${theme}: table text ${fg}`);
  });
}

test('a snapshot without predictions (an older run folder) says so; nothing breaks', async () => {
  await show(makeRun());
  assert.match((await note())!, /no predictions in this snapshot/);
  assert.deepEqual((await chartData(p.page, 'prediction')), {});
  assert.deepEqual(await p.cspViolations(), []);
  assert.deepEqual(p.errors, []);
});
