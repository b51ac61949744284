// End-to-end: bad input is refused before anything starts, in words, and loses nothing. A binary
// file open in the editor is not silently swapped for a built-in task; a runs folder that cannot
// be written is said before training, and a run trained anyway says it is not saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedWorkbench, waitFor } from './harness';
import { headerText, panelFrame } from './panel';

// The runs folder is relative to the workspace folder, where `blocked` is a file: no folder can be created under it.
const step = sharedWorkbench('bad-input', {
  settings: { 'rnnDebugger.runsFolder': 'blocked/runs' },
  files: {
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
