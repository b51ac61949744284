// End-to-end: palette → "Train RNN" with the default picks → the panel fills with live curves;
// Stop ends the trainer process; reloading the window restores the panel from the run folder.
// The tests share one workbench and run in order (each builds on the run the first one started).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedWorkbench, waitFor } from './harness';
import { chartPoints, headerText, METRIC_CHARTS, panelFrame, SNAPSHOT_CHARTS, waitForChartData } from './panel';

/** How long a default run may take to show its first metrics and its first trace snapshot. */
const LIVE_DATA_MS = 120_000;
const TRAIN = 'RNN Debugger: Train RNN';
const STOP = 'RNN Debugger: Stop Training';

const step = sharedWorkbench('training');

test('Train RNN with the default picks opens the panel and its charts fill with live data', { timeout: 300_000 }, () => step('train', async (w) => {
  await w.runCommand(TRAIN);
  const picks = await w.acceptQuickPicksUntil(async () => (await panelFrame(w, 500).catch(() => undefined)) !== undefined,
    'the "RNN Debugger" panel to open');
  const t0 = Date.now();
  const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'a default run', LIVE_DATA_MS);
  console.log(`# quick pick steps accepted: ${picks.length}; charts filled ${((Date.now() - t0) / 1000).toFixed(1)} s after the panel opened: ${JSON.stringify(points)}`);
  const header = await headerText(await panelFrame(w));
  assert.match(header, /running|finished/, `the run header should say it is running, it says: ${header}`);
  assert.match(header, /backend CPU · (fused LSTM|op-by-op) · /, `the run header should name the compute path, it says: ${header}`);
  // The run keeps streaming: the loss curve grows.
  const before = points.loss ?? 0;
  await waitFor(async () => (await chartPoints(await panelFrame(w), 'loss')) > before || /finished/.test(await headerText(await panelFrame(w))),
    `the loss curve to grow beyond ${before} points while the run is live`, 60_000, 1_000);
  await w.screenshot('panel-live');
}));

test('closing the panel mid-run does not stop training; Show Panel brings everything back', { timeout: 180_000 }, () => step('reopen', async (w) => {
  const before = await chartPoints(await panelFrame(w), 'loss');
  await w.runCommand('View: Close All Editors');
  await waitFor(async () => (await panelFrame(w, 500).catch(() => undefined)) === undefined, 'the panel to close', 30_000);
  const trainers = w.trainerProcesses().length;
  await w.runCommand('RNN Debugger: Show Panel');
  const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the reopened panel', 60_000);
  // Everything recorded while it was closed is there: at least as many loss points as before.
  await waitFor(async () => (await chartPoints(await panelFrame(w), 'loss')) >= before,
    `the reopened loss curve to hold at least the ${before} points it had`, 30_000, 500);
  const header = await headerText(await panelFrame(w));
  assert.ok(trainers > 0 || /finished/.test(header), `closing the panel ended the trainer (header: ${header})`);
  console.log(`# panel closed at ${before} loss points; reopened with ${JSON.stringify(points)}`);
  await w.screenshot('reopened');
}));

test('Stop ends the trainer process and the panel says so', { timeout: 120_000 }, () => step('stop', async (w) => {
  const frame = await panelFrame(w);
  const running = /running/.test(await headerText(frame));
  if (running) assert.ok(w.trainerProcesses().length > 0, 'a run is shown as running but no trainer process exists');
  await w.runCommand(STOP);
  await waitFor(async () => /stopped|finished/.test(await headerText(await panelFrame(w))),
    'the run header to say "stopped" after Stop', 30_000);
  await waitFor(() => w.trainerProcesses().length === 0,
    `the trainer process to exit after Stop (still running: ${w.trainerProcesses().join(', ')})`, 30_000);
  await w.screenshot('stopped');
}));

test('reloading the window restores the panel with its charts from the run folder', { timeout: 180_000 }, () => step('reload', async (w) => {
  await w.reload();
  const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the restored panel after Reload Window', 90_000);
  const header = await headerText(await panelFrame(w));
  assert.match(header, /stopped|finished/, `the restored run should be stopped or finished, the header says: ${header}`);
  console.log(`# restored after reload: ${JSON.stringify(points)}`);
  await w.screenshot('restored');
}));
