// End-to-end: palette → "Train RNN" with the default picks → the panel fills with live curves;
// Stop ends the trainer process; reloading the window restores the panel from the run folder.
// The tests share one workbench and run in order (each builds on the run the first one started).
// That run asks for more steps than a test can reach, so it is live whenever a test acts on it
// "mid-run" (asserted each time), however fast the machine trains; Stop is what ends it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedWorkbench, waitFor } from './harness';
import { chartPoints, headerText, METRIC_CHARTS, panelFrame, SNAPSHOT_CHARTS, waitForChartData } from './panel';

/** How long a default run may take to show its first metrics and its first trace snapshot. */
const LIVE_DATA_MS = 120_000;
const STOP = 'RNN Debugger: Stop Training';
/** More steps than any test here waits for: the run ends only by Stop. */
const ENDLESS = 1_000_000;

const step = sharedWorkbench('training');
let runId = '';

test('Train RNN with the default picks opens the panel and its charts fill with live data', { timeout: 300_000 }, () => step('train', async (w) => {
  runId = await w.train({ steps: ENDLESS });
  await panelFrame(w);
  const t0 = Date.now();
  const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'a default run', LIVE_DATA_MS);
  console.log(`# run ${runId}: charts filled ${((Date.now() - t0) / 1000).toFixed(1)} s after the panel opened: ${JSON.stringify(points)}`);
  const header = await headerText(await panelFrame(w));
  assert.match(header, /running/, `the run header should say it is running, it says: ${header}`);
  assert.match(header, /backend CPU · (fused LSTM|op-by-op) · /, `the run header should name the compute path, it says: ${header}`);
  // The run keeps streaming: the loss curve grows.
  const before = points.loss ?? 0;
  await waitFor(async () => (await chartPoints(await panelFrame(w), 'loss')) > before,
    `the loss curve to grow beyond ${before} points while the run is live`, 60_000, 1_000);
  await w.screenshot('panel-live');
}));

test('closing the panel mid-run does not stop training; Show Panel brings everything back', { timeout: 180_000 }, () => step('reopen', async (w) => {
  assert.match(await headerText(await panelFrame(w)), /running/, 'the run should be live before the panel is closed');
  const before = await chartPoints(await panelFrame(w), 'loss');
  const stepsBefore = recordedSteps(w.runDir(runId));
  await w.runCommand('View: Close All Editors');
  await waitFor(async () => (await panelFrame(w, 500).catch(() => undefined)) === undefined, 'the panel to close', 30_000);
  // Training goes on with the panel closed: the run folder records new steps meanwhile.
  await waitFor(() => recordedSteps(w.runDir(runId)) > stepsBefore + 2,
    `the run to record steps beyond ${stepsBefore} while its panel is closed`, 60_000, 500);
  assert.ok(w.trainerProcesses().length > 0, 'closing the panel ended the trainer');
  await w.runCommand('RNN Debugger: Show Panel');
  const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the reopened panel', 60_000);
  // Everything recorded while it was closed is there: more loss points than before.
  await waitFor(async () => (await chartPoints(await panelFrame(w), 'loss')) > before,
    `the reopened loss curve to hold more than the ${before} points it had`, 30_000, 500);
  assert.match(await headerText(await panelFrame(w)), /running/, 'the run should still be live after Show Panel');
  console.log(`# panel closed at ${before} loss points (${stepsBefore} steps recorded); reopened with ${JSON.stringify(points)}`);
  await w.screenshot('reopened');
}));

test('Stop ends the trainer process and the panel says so', { timeout: 120_000 }, () => step('stop', async (w) => {
  const frame = await panelFrame(w);
  assert.match(await headerText(frame), /running/, 'the run should be live when Stop is sent');
  assert.ok(w.trainerProcesses().length > 0, 'a run is shown as running but no trainer process exists');
  await w.runCommand(STOP);
  await waitFor(async () => /stopped/.test(await headerText(await panelFrame(w))),
    'the run header to say "stopped" after Stop', 30_000);
  await waitFor(() => w.trainerProcesses().length === 0,
    `the trainer process to exit after Stop (still running: ${w.trainerProcesses().join(', ')})`, 30_000);
  await w.screenshot('stopped');
}));

test('reloading the window restores the panel with its charts from the run folder', { timeout: 180_000 }, () => step('reload', async (w) => {
  await w.reload();
  const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'the restored panel after Reload Window', 90_000);
  const header = await headerText(await panelFrame(w));
  assert.match(header, /stopped/, `the restored run should be stopped, the header says: ${header}`);
  assert.equal(w.runState(runId), 'stopped', 'status.json of the run should record the stop');
  console.log(`# restored after reload: ${JSON.stringify(points)}`);
  await w.screenshot('restored');
}));

test('a reload during a live run ends it as interrupted, and the Runs view lists every run of the folder', { timeout: 300_000 }, () => step('interrupted', async (w) => {
  const live = await w.train({ steps: ENDLESS });
  await waitFor(() => w.runState(live) === 'running', 'the second run to be training', 120_000);
  await w.reload();
  // The trainer of the old window ends with it and says so in the run folder.
  await waitFor(() => w.runState(live) === 'interrupted', `status.json of ${live} to say "interrupted" after the reload (it says ${w.runState(live)})`, 60_000);
  await w.runCommand('View: Show RNN Debugger');
  const rows = await waitFor(async () => { const r = await w.viewRows('Runs'); return r.length >= 2 ? r : undefined; },
    'the Runs view to list both runs of the folder after the reload', 30_000);
  assert.equal(rows.length, w.runIds().length, `one row per run folder: ${rows.join(' | ')}`);
  assert.ok(rows.some((r) => /interrupted/i.test(r)), `the interrupted run should say so: ${rows.join(' | ')}`);
  assert.ok(rows.some((r) => /stopped/i.test(r)), `the stopped run should say so: ${rows.join(' | ')}`);
  await w.screenshot('runs-after-reload');
}));

/** Steps the run folder has recorded (lines of metrics.jsonl). */
function recordedSteps(runDir: string): number {
  try { return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length; } catch { return 0; }
}
