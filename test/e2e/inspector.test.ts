// End-to-end: train on the sample text, then the inline inspector tints its characters and
// explains one on hover, and the RNN Debugger side bar lists the run and its diagnostics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Workbench, waitFor } from './harness';
import { METRIC_CHARTS, SNAPSHOT_CHARTS, waitForChartData, panelFrame } from './panel';

let wb: Workbench | undefined;
before(async () => { wb = await Workbench.launch({ name: 'inspector' }); }, { timeout: 180_000 });
after(async () => { await wb?.close(); }, { timeout: 60_000 });

async function step(label: string, body: (w: Workbench) => Promise<void>): Promise<void> {
  const w = wb;
  assert.ok(w, 'the workbench did not start');
  try { await body(w); } catch (e) { await w.screenshot(`${label}-failure`); throw e; }
}

/**
 * Decorations VS Code renders for the active editor's visible lines (class "ced-…"): background
 * tints are drawn as boxes in the view-overlays layer, inline styles as classes on the line's spans.
 */
function decoratedSpans(w: Workbench): Promise<number> {
  const editor = '.editor-group-container.active .monaco-editor';
  return w.page.locator(`${editor} .view-overlays [class*="ced-"], ${editor} .view-line span[class*="ced-"]`).count();
}

test('a run on corpus.txt tints the text, and hovering a character explains it', { timeout: 360_000 }, () => step('inspect', async (w) => {
  await w.openFile('corpus.txt');
  await w.runCommand('RNN Debugger: Train RNN');
  await w.acceptQuickPicksUntil(async () => (await panelFrame(w, 500).catch(() => undefined)) !== undefined, 'the panel of the text run to open');
  // The inspector needs a trace snapshot of the model (the first one comes with the first steps).
  await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the text run', 150_000);
  await w.openFile('corpus.txt');
  await w.runCommand('RNN Debugger: Inspect with RNN');
  await w.acceptQuickPicksUntil(async () => (await decoratedSpans(w)) > 0, 'the characters of corpus.txt to be tinted', 90_000);
  const spans = await decoratedSpans(w);
  assert.ok(spans > 10, `expected many tinted characters in the visible lines, found ${spans}`);
  await w.screenshot('inspector-tinted');

  // Hover the 5th character of the first line.
  const firstLine = w.page.locator('.editor-group-container.active .monaco-editor .view-line').first();
  const box = await firstLine.boundingBox();
  assert.ok(box, 'the first line of corpus.txt is not visible');
  const hover = w.page.locator('.monaco-hover:visible, .monaco-resizable-hover:visible').first();
  const text = await waitFor(async () => {
    await w.page.mouse.move(box.x + 40, box.y + box.height / 2);
    await w.page.mouse.move(box.x + 42, box.y + box.height / 2);
    const t = await hover.innerText({ timeout: 1_500 }).catch(() => '');
    return /U\+[0-9A-F]{4}/.test(t) ? t : undefined;
  }, 'a hover naming the character (U+…) and its values over the tinted text', 30_000, 500);
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
