// End-to-end: train on the sample text, then the inline inspector tints its characters and
// explains one on hover, and the RNN Debugger side bar lists the run and its diagnostics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, sharedWorkbench, type Workbench, waitFor } from './harness';
import { METRIC_CHARTS, SNAPSHOT_CHARTS, waitForChartData, panelFrame } from './panel';

/** The second run of these tests: two layers of 16 units on another text file. */
const TWO_LAYERS = {
  name: 'two layers on the logbook',
  data: { kind: 'text', path: 'logbook.txt' },
  model: { cell: 'lstm', hiddenSize: 16, layers: 2 },
  train: { steps: 1_000_000, batchSize: 8, seqLength: 40, validateEvery: 1_000_000 },
  trace: { every: 5, jacobian: false },
};
const step = sharedWorkbench('inspector', { files: { 'two-layers.rnn.json': JSON.stringify(TWO_LAYERS, null, 2) } });
/** The text run of these tests: more steps than they wait for, so it is live until they stop it. */
let runId = '';

/**
 * Decorations VS Code renders for the active editor's visible lines (class "ced-…"): background
 * tints are drawn as boxes in the view-overlays layer, inline styles as classes on the line's spans.
 */
function decoratedSpans(w: Workbench): Promise<number> {
  const editor = '.editor-group-container.active .monaco-editor';
  return w.page.locator(`${editor} .view-overlays [class*="ced-"], ${editor} .view-line span[class*="ced-"]`).count();
}

/** Hovers the character about 5 columns into the first line; returns the hover's text once it names a character. */
async function hoverFirstLine(w: Workbench): Promise<string> {
  const firstLine = w.page.locator('.editor-group-container.active .monaco-editor .view-line').first();
  const box = await firstLine.boundingBox();
  assert.ok(box, 'the first line of corpus.txt is not visible');
  return w.hoverUntil(async () => ({ x: box.x + 42, y: box.y + box.height / 2 }), (t) => /U\+[0-9A-F]{4}/.test(t),
    'a hover naming the character (U+…) and its values over the tinted text');
}

test('a run on corpus.txt tints the text, and hovering a character explains it', { timeout: 360_000 }, () => step('inspect', async (w) => {
  await w.openFile('corpus.txt');
  runId = await w.train({ steps: 1_000_000 });
  await panelFrame(w);
  // The inspector needs a trace snapshot of the model (the first one comes with the first steps).
  await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the text run', 150_000);
  await w.openFile('corpus.txt');
  await w.runCommand('RNN Debugger: Inspect with RNN');
  await w.acceptQuickPicksUntil(async () => (await decoratedSpans(w)) > 0, 'the characters of corpus.txt to be tinted', 90_000);
  const spans = await decoratedSpans(w);
  assert.ok(spans > 10, `expected many tinted characters in the visible lines, found ${spans}`);
  // A text run that has only just started has no weights to evaluate yet: that is waited out, not warned about.
  const warned = (await w.notifications()).filter((n) => /could not evaluate/.test(n));
  assert.deepEqual(warned, [], 'no warning about evaluating the text of a run that has just started');
  await w.screenshot('inspector-tinted');

  const text = await hoverFirstLine(w);
  assert.match(text, /\d\.\d{4}/, `the hover should show the unit's values, it shows: ${text}`);
  await w.screenshot('inspector-hover');
}));

test('the RNN Debugger side bar lists the run and its diagnostics', { timeout: 120_000 }, () => step('sidebar', async (w) => {
  await w.runCommand('View: Show RNN Debugger');
  const runs = await waitFor(async () => { const r = await w.viewRows('Runs'); return r.length > 0 ? r : undefined; },
    'the Runs view to list the run', 30_000);
  assert.ok(runs.some((r) => /corpus/i.test(r)), `the Runs view should list the run on corpus.txt: ${runs.join(' | ')}`);
  const diags = await waitFor(async () => { const r = await w.viewRows('Diagnostics'); return r.length > 0 ? r : undefined; },
    'the Diagnostics view to list findings of the run', 30_000);
  console.log(`# runs: ${runs.join(' | ')}\n# diagnostics: ${diags.join(' | ')}`);
  await w.screenshot('sidebar');
}));

test('after Stop the inspector evaluates the saved weights, and its hover equals `rnn-debugger trace` of the run', { timeout: 240_000 }, () => step('saved', async (w) => {
  assert.equal(w.runState(runId), 'running', 'the text run should still be training when Stop is sent');
  assert.ok(w.trainerProcesses().length > 0, 'the text run has no trainer process before Stop');
  await w.runCommand('RNN Debugger: Stop Training');
  await waitFor(() => w.trainerProcesses().length === 0, 'the trainer to exit after Stop', 60_000);
  await waitFor(() => w.runState(runId) === 'stopped', 'status.json of the run to say "stopped"', 30_000);
  await w.page.keyboard.press('Escape');
  await w.openFile('corpus.txt');
  await w.runCommand('RNN Debugger: Stop Inspecting');
  await waitFor(async () => (await decoratedSpans(w)) === 0, 'the tint to go after Stop Inspecting', 30_000);
  await w.runCommand('RNN Debugger: Inspect with RNN');
  await w.acceptQuickPicksUntil(async () => (await decoratedSpans(w)) > 0, 'corpus.txt to be tinted again from the saved weights', 120_000);
  const text = await hoverFirstLine(w);
  await w.screenshot('inspector-saved-hover');

  // The hover: "t = 5 · “i” (U+0069) · layer 0 · unit 0", "model at step N", then rows "c 0.5732".
  const t = Number((text.match(/t = (\d+)/) ?? [])[1]);
  const step = Number((text.match(/model at step (\d+)/) ?? [])[1]);
  const unit = Number((text.match(/unit (\d+)/) ?? [])[1]);
  assert.ok(Number.isInteger(t) && Number.isInteger(step) && Number.isInteger(unit), `cannot read t / step / unit from the hover: ${text}`);
  const runDir = w.runDir(runId);
  const out = join(w.home, 'trace.json');
  const cli = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'trace', '--run', runDir, '--text', join(w.workspace, 'corpus.txt'), '--out', out], { encoding: 'utf8' });
  assert.equal(cli.status, 0, `rnn-debugger trace failed: ${cli.stdout}\n${cli.stderr}`);
  const trace = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(trace.step, step, 'the hover and the trace file should use the weights of the same step');
  const checked: string[] = [];
  for (const k of ['c', 'h', 'f', 'i', 'g', 'o']) {
    const row = text.match(new RegExp(`^${k}\\s+(-?\\d+\\.\\d{4})`, 'm'));
    assert.ok(row, `the hover has no row for ${k}: ${text}`);
    const expected = trace.layers[0].values[k][t][unit]; // [T][H] rows
    assert.ok(Math.abs(Number(row[1]) - expected) <= 6e-5, `${k} at t=${t}, unit ${unit}: hover ${row[1]}, trace file ${expected}`);
    checked.push(`${k}=${row[1]}`);
  }
  console.log(`# hover at t=${t}, unit ${unit}, weights of step ${step} equal the trace file: ${checked.join(' ')}`);
}));

/** The inspector's status bar item while an inspected editor is active, e.g. "RNN: c · L0 · unit 0". */
async function inspectorStatus(w: Workbench): Promise<string | undefined> {
  return (await w.statusBarTexts()).find((t) => /^RNN: .* · L\d/.test(t.trim()))?.trim();
}

test('each run keeps its own layer and unit: a choice in a second run\'s panel leaves the first file\'s tint alone, and an out-of-range unit is clamped visibly', { timeout: 300_000 }, () => step('own-selection', async (w) => {
  // corpus.txt is inspected with the first run (stopped by now: its saved weights), on layer 0, unit 0.
  await w.openFile('corpus.txt');
  await waitFor(async () => (await decoratedSpans(w)) > 0, 'corpus.txt to be tinted by the first run', 60_000);
  const before = await waitFor(() => inspectorStatus(w), 'the inspector status of corpus.txt', 30_000);
  assert.match(before, /· L0 · unit 0$/, before);

  // A second run, two layers of 16 units, on another file: the panel shows it once it has a snapshot.
  await w.openFile('two-layers.rnn.json');
  const known = new Set(w.runIds());
  await w.runCommand('RNN Debugger: Train RNN');
  await w.acceptQuickPicksUntil(async () => w.runIds().some((id) => !known.has(id)), 'the two-layer run to start', 60_000);
  const second = w.runIds().find((id) => !known.has(id))!;
  const frame = await waitFor(async () => {
    const f = await panelFrame(w, 5_000);
    const layers = await f.locator('.controls select').first().locator('option').count();
    const header = await f.locator('.run-headers').innerText();
    return layers === 2 && /two layers on the logbook/.test(header) ? f : undefined;
  }, 'the panel to show the two-layer run with its layers 0 and 1', 150_000, 1_000);

  // In its panel: Layer 1, unit 5.
  await frame.locator('.controls select').first().selectOption('1');
  const unitInput = frame.locator('.controls input[type="number"]');
  await unitInput.fill('5');
  await unitInput.dispatchEvent('change');
  await waitFor(async () => (await unitInput.inputValue()) === '5' && (await frame.locator('.controls select').first().inputValue()) === '1',
    'the panel to show layer 1, unit 5', 10_000, 200);

  // Back on corpus.txt: still tinted, with the first run's own choice (layer 0, unit 0), in the status bar and in the hover.
  await w.openFile('corpus.txt');
  await waitFor(async () => (await decoratedSpans(w)) > 0, 'corpus.txt to stay tinted', 30_000);
  const after = await waitFor(() => inspectorStatus(w), 'the inspector status of corpus.txt', 30_000);
  assert.equal(after, before, 'the first run\'s layer and unit, not the second run\'s');
  const hover = await hoverFirstLine(w);
  assert.match(hover, /layer 0 · unit 0/, `the hover of corpus.txt names the first run's unit: ${hover}`);
  await w.page.keyboard.press('Escape');

  // A unit beyond the second run's 16: the panel says it shows unit 15, and so does the status bar.
  // corpus.txt opened in the panel's group hid the panel, whose webview is made anew when shown:
  // act once the new one has been hydrated with the second run's choice (layer 1, unit 5).
  await w.runCommand('RNN Debugger: Show Panel');
  const f2 = await waitFor(async () => {
    const f = await panelFrame(w, 5_000);
    const layer = await f.locator('.controls select').first().inputValue();
    const unit = await f.locator('.controls input[type="number"]').inputValue();
    return layer === '1' && unit === '5' ? f : undefined;
  }, 'the panel to show the second run at layer 1, unit 5 again', 60_000, 500);
  const unit2 = f2.locator('.controls input[type="number"]');
  await unit2.fill('40');
  await unit2.dispatchEvent('change');
  await waitFor(async () => /unit 40 is beyond this run's 16 units: showing unit 15/.test(await f2.locator('.clamp-note').innerText()),
    'the panel to say the unit is clamped', 15_000, 200);
  assert.equal(await unit2.inputValue(), '15');
  await waitFor(async () => (await w.statusBarTexts()).some((t) => /has layers 0…1 and units 0…15: showing layer 1, unit 15/.test(t)),
    'the status bar to say the unit is clamped', 15_000, 200);
  await w.screenshot('own-selection-clamped');
  // corpus.txt keeps its own choice.
  await w.openFile('corpus.txt');
  assert.equal(await waitFor(() => inspectorStatus(w), 'the inspector status of corpus.txt', 30_000), before);

  await w.runCommand('RNN Debugger: Stop Training');
  await waitFor(() => w.runState(second) === 'stopped', 'the two-layer run to stop', 60_000);
}));
