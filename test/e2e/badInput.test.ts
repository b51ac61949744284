// End-to-end: bad input is refused before anything starts, in words, and loses nothing. A binary
// file open in the editor is not silently swapped for a built-in task; a runs folder that cannot
// be written is said before training, and a run trained anyway says it is not saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedWorkbench, waitFor } from './harness';
import { headerText, panelFrame } from './panel';

// The runs folder is relative to the workspace folder, where `blocked` is a file: no folder can be created under it.
/**
 * A spec with four problems, one per line: VS Code's JSON validation (the manifest's schema) and
 * ours both see the unknown cell, the negative size and the unknown field; only ours sees that
 * reachFrom is beyond the sequence length.
 */
const PROBLEMS_SPEC = `{
  "data": { "kind": "text", "path": "corpus.txt" },
  "model": {
    "cell": "lsmt",
    "hiddenSize": -3
  },
  "train": {
    "seqLength": 20,
    "momentum": 0.9
  },
  "trace": { "reachFrom": 50 }
}
`;
const PROBLEM_LINES = [4, 5, 9, 11];

const step = sharedWorkbench('bad-input', {
  settings: { 'rnnDebugger.runsFolder': 'blocked/runs', 'problems.defaultViewMode': 'tree' },
  files: {
    'problems.rnn.json': PROBLEMS_SPEC,
    blocked: 'a file where the runs folder should be\n',
    // Named like text, binary inside: VS Code shows a placeholder, not a text editor.
    'notes.txt': new Uint8Array([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x10, 0x20]),
    'weights.bin': new Uint8Array([0x00, 0x01, 0x02, 0x03]),
  },
});

test('Train RNN on an open binary file says why it cannot be used, and starts no run', { timeout: 180_000 }, () => step('binary', async (w) => {
  await w.openFile('notes.txt', { textEditor: false });
  await w.runCommand('RNN Debugger: Train RNN');
  await w.acceptQuickPicksUntil(async () => (await w.notifications()).some((n) => /cannot train/.test(n)), 'an error about the binary file');
  const said = (await w.notifications()).find((n) => /cannot train/.test(n)) ?? '';
  assert.match(said, /notes\.txt looks binary/, `the error should name the file and the reason: ${said}`);
  assert.deepEqual(w.runIds(), [], 'no run (and no failed run folder) was made');
  assert.equal(w.trainerProcesses().length, 0, 'no trainer was started');
  await w.screenshot('binary-refused');

  // A file that is not data by its type: Train RNN says so instead of silently training a task.
  await w.openFile('weights.bin', { textEditor: false });
  await w.runCommand('RNN Debugger: Train RNN');
  await waitFor(async () => (await w.notifications()).some((n) => /weights\.bin is not training data/.test(n)), 'a warning that weights.bin is not training data', 30_000);
  await w.page.keyboard.press('Escape');
  assert.deepEqual(w.runIds(), [], 'still no run');
}));

test('an unwritable runs folder is said before training; "Train Without Saving" trains and the panel says it is not saved', { timeout: 240_000 }, () => step('unsaved', async (w) => {
  await w.runCommand('View: Close All Editors');
  await w.runCommand('Notifications: Clear All Notifications');
  await w.runCommand('RNN Debugger: Train RNN');
  await w.acceptQuickPicksUntil(async () => (await w.notifications()).some((n) => /runs cannot be saved/.test(n)), 'an error about the runs folder');
  const said = (await w.notifications()).find((n) => /runs cannot be saved/.test(n)) ?? '';
  assert.match(said, /blocked\/runs cannot be written/, `the error should name the folder: ${said}`);
  assert.equal(w.trainerProcesses().length, 0, 'nothing trains before the user decides');
  await w.page.locator('.notifications-toasts .monaco-button', { hasText: 'Train Without Saving' }).first().click();
  const frame = await panelFrame(w, 120_000);
  const header = await waitFor(async () => { const h = await headerText(frame); return /not saved/.test(h) ? h : undefined; },
    'the panel header to say the run is not saved', 60_000);
  assert.match(header, /not saved: the run has no run folder/);
  await w.screenshot('unsaved-run');
  await w.runCommand('RNN Debugger: Stop Training');
  await waitFor(() => w.trainerProcesses().length === 0, 'the unsaved run to stop', 60_000);
}));

test('every problem of a spec file is listed once in the Problems view (ours and VS Code\'s JSON validation)', { timeout: 180_000 }, () => step('problems', async (w) => {
  await w.runCommand('View: Close All Editors');
  await w.openFile('problems.rnn.json');
  await w.page.keyboard.press('Control+Shift+M');
  const rows = w.page.locator('.markers-panel .monaco-list-row');
  // Marker rows read "<message> at line L and character C in <file>"; the file's own row has no line.
  const markers = async (): Promise<{ line: number; label: string }[]> => (await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('aria-label') ?? '')))
    .flatMap((label) => { const m = label.match(/at line (\d+)/); return m ? [{ line: Number(m[1]), label }] : []; });
  let last: { line: number; label: string }[] = [];
  // Settled means: VS Code's JSON validation has reported (its wording is not ours) and every
  // problem line has exactly one entry. A problem listed twice never settles.
  await waitFor(async () => {
    last = await markers();
    const json = last.some((m) => /not allowed|not accepted|below the minimum/i.test(m.label));
    const perLine = PROBLEM_LINES.map((l) => last.filter((m) => m.line === l).length);
    return json && perLine.every((n) => n === 1) && last.length === PROBLEM_LINES.length;
  }, 'one Problems entry per problem, VS Code\'s JSON validation included', 60_000, 500).catch((e: Error) => {
    throw new Error(`${e.message}; the Problems view lists: ${last.map((m) => `line ${m.line}: ${m.label}`).join(' | ') || 'nothing'}`);
  });
  // The problem JSON validation cannot see is ours, in our words.
  assert.match(last.find((m) => m.line === 11)!.label, /reachFrom: must be -1 \(last step\) or a step below the sequence length 20, got 50/);
  console.log(`# Problems: ${last.map((m) => `line ${m.line}: ${m.label}`).join(' | ')}`);
  await w.screenshot('problems-once');
}));
