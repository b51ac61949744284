// End-to-end: the packaged extension installs into a real VS Code workbench, its commands are in
// the command palette, and running "Train RNN" activates it without an error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EXTENSION_ID, Workbench, waitFor } from './harness';

let wb: Workbench | undefined;
before(async () => { wb = await Workbench.launch({ name: 'activation' }); }, { timeout: 180_000 });
after(async () => { await wb?.close(); }, { timeout: 60_000 });

test('"RNN Debugger: Train RNN" is in the palette and activates the extension', { timeout: 120_000 }, async () => {
  const w = wb!;
  try {
    await w.runCommand('RNN Debugger: Train RNN');
    // Activation is lazy (on the command); the extension host logs its outcome.
    const log = await waitFor(() => {
      const text = w.extensionHostLog();
      return /activat/i.test(text) && text.includes(EXTENSION_ID) ? text : undefined;
    }, `the extension host to log the activation of ${EXTENSION_ID}`, 30_000);
    // "Activating extension X failed due to an error:" is followed by the error and its stack.
    const lines = log.split('\n');
    const failed = lines.flatMap((l, k) => (l.includes(EXTENSION_ID) && /fail|error/i.test(l) ? lines.slice(k, k + 4) : []));
    assert.deepEqual(failed, [], `activation of ${EXTENSION_ID} failed:\n${failed.join('\n')}`);
    // A command whose handler never registered (activate threw) is reported as "not found".
    const toasts = await w.notifications();
    assert.ok(!toasts.some((t) => /not found|failed|error/i.test(t)), `error notification after Train RNN: ${toasts.join(' | ')}`);
    await w.screenshot('after-train-command');
  } catch (e) {
    await w.screenshot('failure');
    throw e;
  }
});
