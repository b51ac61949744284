// End-to-end: train on the sample text, then the inline inspector tints its characters and
// explains one on hover, and the RNN Debugger side bar lists the run and its diagnostics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, sharedWorkbench, type Workbench, waitFor } from './harness';
import { METRIC_CHARTS, SNAPSHOT_CHARTS, waitForChartData, panelFrame } from './panel';

const step = sharedWorkbench('inspector');
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
  const hover = w.page.locator('.monaco-hover:visible, .monaco-resizable-hover:visible').first();
  return waitFor(async () => {
    await w.page.mouse.move(box.x + 40, box.y + box.height / 2);
    await w.page.mouse.move(box.x + 42, box.y + box.height / 2);
    const t = await hover.innerText({ timeout: 1_500 }).catch(() => '');
    return /U\+[0-9A-F]{4}/.test(t) ? t : undefined;
  }, 'a hover naming the character (U+…) and its values over the tinted text', 30_000, 500);
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
