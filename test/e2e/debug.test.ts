// End-to-end: F5 on a spec whose run explodes → the debugger stops on the default "Exploding
// gradient" filter; the workbench shows the paused step in the Call Stack and its values in the
// Variables view (equal to the run folder's); Step Into moves to the timesteps; Stop ends the
// trainer and the run folder says 'stopped'. Then F5 on a text file: Step Into selects the
// frame's character in the editor, the hover there shows the paused sample's values (equal to
// the run folder's), the side bar follows the frame, and Continue finishes the run. The paused
// workbench and the paused hover are saved as README images.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatNumber } from '../../src/core/debugExpr/evaluate';
import { readRun } from '../../src/core/runFolder';
import { sharedWorkbench, waitFor, type Workbench } from './harness';

/** The training text of the second test: short lines, so frames fall on several lines. */
const STORY = ['the cat sat on the mat', 'a dog ran to the cat', 'the mat was red', 'and the dog sat too'].map((l) => l + '\n').join('').repeat(12);

const step = sharedWorkbench('debug', { files: { 'story.txt': STORY } });

/** A tiny LSTM on the adding task, plain SGD at a rate that makes the gradient explode by step 2. */
const SPEC = {
  name: 'exploding on purpose',
  data: { kind: 'adding', length: 6 },
  model: { cell: 'lstm', hiddenSize: 4, layers: 1 },
  train: { optimizer: 'sgd', learningRate: 10, batchSize: 4, seqLength: 6, steps: 1000, clipNorm: null },
  backend: 'cpu',
  seed: 3,
};

const rows = (w: Workbench, view: string) => w.page.locator(`${view} .monaco-list-row`).allInnerTexts();
const callStack = (w: Workbench) => rows(w, '.debug-call-stack');

/** The run folder of the one run the workspace has (or of the run not in `others`). */
function runFolder(w: Workbench, others: string[] = []): string | undefined {
  const root = join(w.workspace, '.rnn-debugger', 'runs');
  try {
    const id = readdirSync(root).find((d) => !others.includes(join(root, d)));
    return id && join(root, id);
  } catch {
    return undefined;
  }
}

/** Line and column (1-based) of a character offset of a text with LF line ends. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * Presses a button of the debug toolbar ("Step Over", "Step Into", "Continue"…): unlike a key,
 * it acts wherever the focus is (the panel's webview may hold it when the run starts).
 */
async function debugButton(w: Workbench, name: string): Promise<void> {
  await w.page.locator(`.debug-toolbar .action-label[aria-label^="${name}"]`).first().click({ timeout: 10_000 });
}

/** The debug toolbar is shown while a session is alive. */
const debugToolbarVisible = (w: Workbench) => w.page.locator('.debug-toolbar').first().isVisible().catch(() => false);
let firstRunDir = '';

test('F5 on a spec stops on an exploding gradient with the step in the Call Stack and its values in Variables', { timeout: 300_000 }, () => step('paused', async (w) => {
  writeFileSync(join(w.workspace, 'explode.rnn.json'), JSON.stringify(SPEC, null, 2));
  // Written after the workbench opened the folder: open it with Quick Open (a file search, not
  // the explorer's tree, which may not have noticed it yet).
  const input = w.page.locator('.quick-input-widget input');
  await waitFor(async () => {
    if (!(await input.isVisible())) {
      await w.page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => undefined);
      await w.page.keyboard.press('Control+P');
      await input.waitFor({ state: 'visible', timeout: 2_000 });
    }
    await input.fill('');
    await input.fill('explode.rnn.json');
    const row = w.page.locator('.quick-input-list .monaco-list-row', { hasText: 'explode.rnn.json' }).first();
    await row.waitFor({ state: 'visible', timeout: 2_000 });
    await row.click();
    return w.page.locator('.tabs-container .tab.active[aria-label*="explode.rnn.json"]').count().then((n) => n > 0);
  }, 'Quick Open to open explode.rnn.json', 60_000, 1_000);
  await w.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await w.page.keyboard.press('F5');
  // The exception widget shows in the editor; the Call Stack and Variables are in Run and Debug.
  await w.page.locator('.zone-widget .exception-widget', { hasText: 'gradient norm' }).first().waitFor({ timeout: 120_000 });
  await w.runCommand('View: Show Run and Debug');
  const frame = await waitFor(async () => (await callStack(w)).find((r) => /step \d+/.test(r)),
    'the Call Stack to show the paused step', 30_000, 500);
  const stepNo = Number(/step (\d+)/.exec(frame)![1]);
  const dir = runFolder(w);
  assert.ok(dir, 'the run folder exists');
  firstRunDir = dir;
  const metrics = readRun(dir).metrics;
  assert.equal(metrics.at(-1)?.step, stepNo, 'the trainer is held at the paused step');
  const m = metrics.at(-1)!;
  assert.ok(m.gradNorm > 10, `stopped on a norm of ${m.gradNorm}`);
  assert.ok(metrics.slice(0, -1).every((x) => x.gradNorm <= 10), 'the first step above the threshold');
  assert.equal((await callStack(w)).filter((r) => /step \d+/.test(r)).length, 1, 'one frame at the step level');
  // The Step scope: its gradient norm is the run folder's.
  await w.page.locator('.debug-variables .monaco-list-row', { hasText: 'Step' }).first().click();
  const shown = await waitFor(async () => (await rows(w, '.debug-variables')).find((r) => r.includes('gradNorm (before clipping)')),
    'the Variables view to show the Step scope', 30_000, 500);
  assert.ok(shown.includes(formatNumber(m.gradNorm)), `Variables shows "${shown}", the run folder ${formatNumber(m.gradNorm)}`);
  // With one thread the Call Stack's header carries the stop's description.
  const thread = await w.page.locator('.pane-header', { hasText: 'Call Stack' }).first().innerText();
  assert.match(thread, /Exploding gradient/, 'the thread says which filter it stopped on');
  // test-artifacts/e2e/debug-paused.png: `npm run screenshots` copies it for the README.
  await w.screenshot('paused');

  // Step Into: the call stack becomes the timesteps of the traced sample.
  await w.page.keyboard.press('F11');
  await waitFor(async () => (await callStack(w)).some((r) => /t=0/.test(r)), 'Step Into to show timestep t=0 in the Call Stack', 30_000, 500);

  // Stop: the trainer finishes its step and writes 'stopped'.
  await w.page.keyboard.press('Shift+F5');
  await waitFor(() => readRun(dir).status.state === 'stopped', 'the run folder status to say stopped', 60_000, 500);
  await waitFor(() => w.trainerProcesses().length === 0, 'the trainer process to exit', 30_000, 500);
}));

test('F5 on a text file: Step Into selects the frame\'s character, its hover shows the paused values, the side bar follows the frame; Continue finishes the run', { timeout: 300_000 }, () => step('text', async (w) => {
  // A configuration with a small step budget, stopping on entry, for the open file.
  mkdirSync(join(w.workspace, '.vscode'), { recursive: true });
  writeFileSync(join(w.workspace, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{
      type: 'rnn', request: 'launch', name: 'Debug story', data: '${file}', stopOnEntry: true,
      overrides: { model: { hiddenSize: 8 }, train: { steps: 3, seqLength: 40, batchSize: 2, validationFraction: 0 }, backend: 'cpu', seed: 5 },
    }],
  }, null, 2));
  await w.page.keyboard.press('Escape');
  await w.openFile('story.txt');
  await w.runCommand('View: Show Run and Debug');
  await waitFor(async () => /Debug story/.test(await w.page.locator('.start-debug-action-item').first().innerText().catch(() => '')),
    'the Run and Debug view to select the "Debug story" configuration of launch.json', 60_000, 500);
  await w.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await w.page.keyboard.press('F5');
  await waitFor(async () => (await callStack(w)).some((r) => /before step 1/.test(r)), 'the stop on entry in the Call Stack', 120_000, 500);
  const dir = await waitFor(() => runFolder(w, [firstRunDir]), 'the text run\'s folder', 30_000);

  // Step Over: step 1, traced, with where its sample starts in story.txt.
  await debugButton(w, 'Step Over');
  await waitFor(async () => (await callStack(w)).some((r) => /^step 1\b/.test(r)), 'Step Over to stop at step 1', 60_000, 500);
  const snap = readRun(dir).snapshots.find((x) => x.step === 1);
  assert.ok(snap && typeof snap.textStart === 'number', 'step 1 is traced with where its sample starts in story.txt');
  const start = snap.textStart!;
  /**
   * The Call Stack's top frame is timestep t, named by its character, and the editor selects that
   * character of story.txt: the status bar shows the selection's end (the cursor), one column on.
   * A line break is selected as the empty end of its line.
   */
  const frameShown = async (t: number): Promise<void> => {
    const ch = STORY[start + t];
    await waitFor(async () => (await callStack(w)).find((r) => /t=\d+/.test(r))?.includes(`${JSON.stringify(ch)} t=${t}`),
      `the Call Stack's top frame to be ${JSON.stringify(ch)} t=${t}`, 30_000, 500);
    const at = lineColumn(STORY, start + t);
    const want = ch === '\n' ? `Ln ${at.line}, Col ${at.column}` : `Ln ${at.line}, Col ${at.column + 1} (1 selected)`;
    await waitFor(async () => (await w.statusBarTexts()).some((x) => x.trim() === want), `the editor selection "${want}" (the character of t=${t})`, 30_000, 500)
      .catch(async (e: Error) => { throw new Error(`${e.message}; status bar: ${(await w.statusBarTexts()).join(' | ')}`); });
    assert.ok((await w.page.locator('.tabs-container .tab.active[aria-label*="story.txt"]').count()) > 0, 'story.txt is the active editor');
  };
  // Step Into: t = 0, then t = 1; the selection moves with the frame.
  await debugButton(w, 'Step Into');
  await frameShown(0);
  await debugButton(w, 'Step Into');
  await frameShown(1);
  // Step Out to the step, Step Back to its last timestep (further back past a line break).
  await debugButton(w, 'Step Out');
  await waitFor(async () => (await callStack(w)).some((r) => /^step 1\b/.test(r)), 'Step Out to the step level', 30_000, 500);
  let t = snap.steps - 1;
  await debugButton(w, 'Step Back');
  await frameShown(t);
  while (STORY[start + t] === '\n') {
    await debugButton(w, 'Step Back');
    await frameShown(--t);
  }
  assert.ok(lineColumn(STORY, start + t).line > lineColumn(STORY, start).line, 'the last timestep reads a later line than the first');

  // Hover the selected character: the inspector's hover of the paused step's sample at t.
  const selected = w.page.locator('.editor-group-container.active .monaco-editor .selected-text').first();
  const text = await w.hoverUntil(async () => {
    const box = await selected.boundingBox();
    return box && { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }, (x) => /paused at step/.test(x), 'a hover over the frame\'s character with the paused sample\'s values');
  await w.screenshot('text-hover');
  const code = `U+${STORY.codePointAt(start + t)!.toString(16).toUpperCase().padStart(4, '0')}`;
  assert.ok(text.includes(code), `the hover names the character ${code}: ${text}`);
  assert.match(text, /paused at step 1, its traced sample/);
  assert.match(text, new RegExp(`t = ${t} \\(the selected frame\\)`));
  const unit = Number(/unit (\d+)/.exec(text)?.[1]);
  const H = snap.layers[0].units;
  for (const k of ['c', 'h', 'f', 'i', 'g', 'o']) {
    const row = new RegExp(`^${k}\\s+(-?\\d+\\.\\d{4})`, 'm').exec(text);
    assert.ok(row, `the hover has a row for ${k}: ${text}`);
    const want = snap.layers[0].values[k][t * H + unit];
    assert.ok(Math.abs(Number(row[1]) - want) <= 6e-5, `${k} at t=${t}, unit ${unit}: hover ${row[1]}, run folder ${want}`);
  }
  await w.page.mouse.move(5, 450);

  // Clicking the next frame down (timestep t − 1) selects its character, and the side bar
  // follows the selected frame: the Diagnostics view's first row is that timestep of step 1.
  const below = t - 1;
  await w.page.locator('.debug-call-stack .monaco-list-row', { hasText: `t=${below}` }).first().click();
  const at = lineColumn(STORY, start + below);
  const want = STORY[start + below] === '\n' ? `Ln ${at.line}, Col ${at.column}` : `Ln ${at.line}, Col ${at.column + 1} (1 selected)`;
  await waitFor(async () => (await w.statusBarTexts()).some((x) => x.trim() === want), `the clicked frame t=${below} to select "${want}"`, 30_000, 500);
  await w.runCommand('View: Show RNN Debugger');
  const diag = await waitFor(async () => (await w.viewRows('Diagnostics')).find((r) => r.startsWith(`t = ${below} `)),
    `the Diagnostics view to show the selected frame t = ${below}`, 30_000, 500);
  assert.match(diag, /the selected frame, timestep \d+ of the sample traced at step 1/);
  assert.match(diag, /‖∂L\/∂h_t‖/);

  // Continue: the run takes its last steps (no filter fires), completes, and the session ends.
  await debugButton(w, 'Continue');
  await waitFor(() => readRun(dir).status.state === 'completed', 'the run folder status to say completed', 120_000, 500);
  assert.deepEqual(readRun(dir).metrics.map((m) => m.step), [1, 2, 3], 'every step of the budget, once');
  await waitFor(async () => !(await debugToolbarVisible(w)), 'the debug session to end (its toolbar gone)', 30_000, 500);
}));
