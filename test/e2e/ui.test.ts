// End-to-end, what the user sees in the workbench: the inspector tints the last line of a long
// file; Write Report leaves report.html in the run folder and Reveal shows it in the browser
// workbench; screenshots of the panel in Dark Modern and Light+ and of a comparison
// (test-artifacts/e2e/ui-*.png; `npm run screenshots` copies them into media/screenshots/).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ARTIFACTS, sharedWorkbench, type Workbench, waitFor } from './harness';
import { METRIC_CHARTS, SNAPSHOT_CHARTS, panelFrame, waitForChartData } from './panel';

const step = sharedWorkbench('ui');

// These run inside the page or the webview (evaluate); the test project has no DOM lib.
interface El { style: { top: string }; offsetWidth: number; contains(e: El | null): boolean; classList: { contains(c: string): boolean }; querySelector(s: string): El | null; querySelectorAll(s: string): Iterable<El> & { length: number } }
declare const document: { querySelector(s: string): El | null; querySelectorAll(s: string): Iterable<El> & { length: number }; body: El; activeElement: El | null };

/** Tinted boxes (with a width) on the editor line that holds the cursor (VS Code draws background tints in the view-overlays layer, one div per line, at the line's top). */
function tintOnCursorLine(w: Workbench): Promise<number> {
  return w.page.evaluate(() => {
    const ed = document.querySelector('.editor-group-container.active .monaco-editor');
    const cursor = ed?.querySelector('.cursors-layer .cursor');
    if (!ed || !cursor) return -1;
    const top = cursor.style.top;
    const line = [...ed.querySelectorAll('.view-overlays > div')].find((d) => d.style.top === top);
    // Only boxes with a width: a tint ending at the start of the line (the line break before it) draws none.
    return line ? [...line.querySelectorAll('[class*="ced-"]')].filter((e) => e.offsetWidth > 2).length : 0;
  });
}

function runFolders(w: Workbench): string[] {
  const root = join(w.workspace, '.rnn-debugger', 'runs');
  return existsSync(root) ? readdirSync(root).map((d) => join(root, d)) : [];
}

test('after training on logbook.txt, its last line is tinted by the inspector', { timeout: 420_000 }, () => step('last-line', async (w) => {
  await w.openFile('logbook.txt');
  await w.runCommand('RNN Debugger: Train RNN');
  await w.acceptQuickPicksUntil(async () => (await panelFrame(w, 500).catch(() => undefined)) !== undefined, 'the panel of the text run to open');
  await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the logbook run', 150_000);
  await w.openFile('logbook.txt');
  await w.runCommand('RNN Debugger: Inspect with RNN');
  await w.acceptQuickPicksUntil(async () => w.page.locator('.editor-group-container.active .monaco-editor .view-overlays [class*="ced-"]').count().then((n) => n > 0),
    'the top of logbook.txt to be tinted', 90_000);
  // Go to the end of the file: the last lines are long (≈1000 characters), more than the old window reached.
  await w.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  // The file ends with a line break: the last line with text is the one above the end.
  await w.page.keyboard.press('Control+End');
  await w.page.keyboard.press('ArrowUp');
  await w.page.keyboard.press('Home');
  await waitFor(async () => (await w.statusBarTexts()).some((t) => /Ln 210, Col 1\b/.test(t)), 'the cursor at the start of line 210', 10_000);
  // Scroll up until the last line sits at the bottom of a full screen: the ~35 lines above it
  // (several ~1000 characters long) hold more than the 3000 steps a window keyed to the first
  // visible line reached, which left the end of the file plain.
  // Ctrl+Up scrolls the view a line without moving the cursor (the mouse wheel did not reach the
  // editor headless); stop when line 210 is the last one on screen.
  const shown = (): Promise<number[]> => w.page.locator('.editor-group-container.active .monaco-editor .margin-view-overlays .line-numbers')
    .evaluateAll((ns) => ns.map((n) => Number(n.textContent)).filter((k) => k > 0));
  // One line at a time, each press waiting for the view to move (the line numbers update late).
  const scrollTo = async (key: string, done: (max: number) => boolean): Promise<void> => {
    for (let k = 0; k < 80; k++) {
      const now = await shown();
      if (done(Math.max(...now))) return;
      // The first line moves with every press (the last one only once the screen is full).
      const top = Math.min(...now);
      await w.page.keyboard.press(key);
      await waitFor(async () => Math.min(...(await shown())) !== top, 'the view to scroll a line', 5_000, 50);
    }
  };
  await scrollTo('Control+ArrowUp', (max) => max <= 210);
  await scrollTo('Control+ArrowDown', (max) => max >= 210);
  const lines = await shown();
  assert.equal(Math.max(...lines), 210, `lines on screen: ${lines.join(',')}`);
  assert.ok(Math.min(...lines) < 190, `lines on screen: ${lines.join(',')}`);
  const n = await waitFor(async () => { const k = await tintOnCursorLine(w); return k > 0 ? k : undefined; },
    'the last line of logbook.txt to be tinted', 60_000, 500);
  assert.ok(n > 0);
  // The hover at the cursor (Show Hover, Ctrl+K Ctrl+I) explains the character, not "outside the evaluated window".
  const text = await w.hoverUntil('cursor', (t) => /U\+[0-9A-F]{4}|outside the evaluated window/.test(t), 'a hover on the last line');
  assert.doesNotMatch(text, /outside the evaluated window/);
  assert.match(text, /t = 392\d\d/, `the hover names the character's timestep near the end of the file: ${text}`);
  await w.screenshot('inspector-last-line');
}));

test('Write Report leaves report.html in the run folder, and Reveal shows it in the Explorer', { timeout: 180_000 }, () => step('report', async (w) => {
  await w.runCommand('RNN Debugger: Write Report');
  const report = await waitFor(async () => {
    if (await w.page.locator('.quick-input-widget').isVisible()) await w.page.keyboard.press('Enter');
    return runFolders(w).map((d) => join(d, 'report.html')).find((f) => existsSync(f));
  }, 'report.html in the run folder', 90_000, 500);
  assert.ok(report);
  const toast = w.page.locator('.notifications-toasts .notification-list-item', { hasText: 'wrote the report' }).first();
  await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Reveal' }).first().click();
  await waitFor(() => w.page.locator('.explorer-folders-view .monaco-list-row.selected, .explorer-folders-view .monaco-list-row.focused', { hasText: 'report.html' }).count().then((k) => k > 0),
    'report.html selected in the Explorer', 30_000, 500);
}));

/** Picks a colour theme in Preferences: Color Theme and waits for the panel to follow. */
async function colourTheme(w: Workbench, name: 'Dark Modern' | 'Light+'): Promise<void> {
  await w.runCommand('Preferences: Color Theme');
  await w.page.locator('.quick-input-widget input').fill(name);
  await w.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await w.page.keyboard.press('Enter');
  const cls = name === 'Light+' ? 'vscode-light' : 'vscode-dark';
  await waitFor(async () => {
    const frame = await panelFrame(w, 5_000);
    return frame.evaluate((c) => document.body.classList.contains(c), cls);
  }, `the panel to switch to ${name}`, 30_000, 500);
}

/** Saves a screenshot of the panel's editor group only (test-artifacts/e2e/ui-<label>.png). */
async function panelShot(w: Workbench, label: string): Promise<void> {
  const group = w.page.locator('.editor-group-container', { has: w.page.locator('.tab.active', { hasText: 'RNN Debugger' }) }).first();
  const box = await group.boundingBox();
  assert.ok(box, 'the panel is visible');
  await w.page.mouse.move(box.x + box.width - 5, box.y + box.height - 5); // no tab tooltip in the picture
  await w.page.screenshot({ path: join(ARTIFACTS, `ui-${label}.png`), clip: box, timeout: 10_000 });
}

test('screenshots of the panel in Dark Modern and Light+, and of a comparison', { timeout: 420_000 }, () => step('screens', async (w) => {
  await w.runCommand('RNN Debugger: Show Panel');
  await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the panel', 60_000);
  // The panel alone, as wide as the window: close the editors beside it.
  await w.runCommand('View: Close Editors in Other Groups');
  await colourTheme(w, 'Dark Modern');
  await panelShot(w, 'panel-dark-modern');
  await colourTheme(w, 'Light+');
  await panelShot(w, 'panel-light-plus');
  // A second run (GRU on the sine waves, numeric inputs) to compare with.
  await w.openFile('gru-sine.rnn.json');
  await w.runCommand('RNN Debugger: Train RNN');
  await w.acceptQuickPicksUntil(async () => runFolders(w).length >= 2, 'the second run to start', 60_000);
  await w.runCommand('RNN Debugger: Compare Runs');
  const rows = w.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await waitFor(async () => (await rows.count()) >= 2, 'the Compare Runs picker to list two runs', 20_000);
  for (const k of [0, 1]) await rows.nth(k).click();
  await waitFor(async () => /2 Selected/.test((await w.page.locator('.quick-input-widget').innerText()) ?? ''), 'two runs picked', 10_000);
  await w.page.keyboard.press('Enter');
  await waitFor(async () => {
    const frame = await panelFrame(w, 5_000);
    return (await frame.evaluate(() => document.querySelectorAll('.heatmap-column').length)) === 2 ? true : undefined;
  }, 'the panel to compare two runs', 60_000, 500);
  await w.runCommand('View: Close Editors in Other Groups');
  await colourTheme(w, 'Dark Modern');
  await panelShot(w, 'compare-dark-modern');
}));

test('Compare Runs opens its picker every time, and the picker stays when the panel takes focus', { timeout: 180_000 }, () => step('compare-picker', async (w) => {
  assert.ok(runFolders(w).length >= 2, 'two runs to compare');
  const widget = w.page.locator('.quick-input-widget');
  const rows = widget.locator('.quick-input-list .monaco-list-row');
  for (let k = 0; k < 4; k++) {
    await w.runCommand('RNN Debugger: Compare Runs');
    await waitFor(async () => /Compare Runs — pick two/.test(await widget.innerText().catch(() => '')) && (await rows.count()) >= 2,
      `attempt ${k + 1}: the Compare Runs picker listing two runs`, 20_000, 200);
    // The panel takes focus (as a run's panel does when it opens): the picker must stay.
    const group = w.page.locator('.editor-group-container', { has: w.page.locator('.tab.active', { hasText: 'RNN Debugger' }) }).first();
    const box = await group.boundingBox();
    assert.ok(box, 'the panel is visible');
    await w.page.mouse.click(box.x + box.width / 2, box.y + box.height - 20);
    await waitFor(async () => !(await w.page.evaluate(() => document.querySelector('.quick-input-widget')?.contains(document.activeElement) ?? false)),
      `attempt ${k + 1}: focus to leave the picker`, 10_000, 100);
    assert.ok(await widget.isVisible(), `attempt ${k + 1}: the picker closed when the panel took focus`);
    assert.ok((await rows.count()) >= 2, `attempt ${k + 1}: the picker still lists the runs`);
    await widget.locator('input').focus();
    await w.page.keyboard.press('Escape');
    await waitFor(async () => !(await widget.isVisible()), `attempt ${k + 1}: the picker to close on Escape`, 10_000, 100);
  }
}));
