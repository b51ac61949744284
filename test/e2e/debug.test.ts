// End-to-end: F5 on a spec whose run explodes → the debugger stops on the default "Exploding
// gradient" filter; the workbench shows the paused step in the Call Stack and its values in the
// Variables view (equal to the run folder's); Step Into moves to the timesteps; Stop ends the
// trainer and the run folder says 'stopped'. The paused workbench is saved as the README image.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatNumber } from '../../src/core/debugExpr/evaluate';
import { readRun } from '../../src/core/runFolder';
import { sharedWorkbench, waitFor, type Workbench } from './harness';

const step = sharedWorkbench('debug');

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

function runFolder(w: Workbench): string | undefined {
  const root = join(w.workspace, '.rnn-debugger', 'runs');
  try {
    const [id] = readdirSync(root);
    return id && join(root, id);
  } catch {
    return undefined;
  }
}

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
