// End-to-end on the GPU engine: with the setting rnnDebugger.backend = "webgpu", Train RNN with
// the default picks (an LSTM) trains through WebGPU in the trainer that code-server starts, the
// panel fills, and the header names the adapter ("software" for llvmpipe, the adapter CI has).
// Without any adapter this fails under CI and skips elsewhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Workbench } from './harness';
import { headerText, METRIC_CHARTS, panelFrame, SNAPSHOT_CHARTS, waitForChartData } from './panel';
import { openGpu, type GpuDevice } from '../../src/core/gpu/dawn';

let wb: Workbench | undefined;
let gpu: GpuDevice | string;
before(async () => {
  gpu = await openGpu({ allowSoftware: true }).catch((e: Error) => e.message);
  if (typeof gpu !== 'string') wb = await Workbench.launch({ name: 'gpu', settings: { 'rnnDebugger.backend': 'webgpu' } });
}, { timeout: 180_000 });
after(async () => { await wb?.close(); }, { timeout: 60_000 });

test('Train RNN on backend webgpu fills the panel; the header names the adapter', { timeout: 300_000 }, async (t) => {
  if (typeof gpu === 'string') {
    if (process.env.CI) throw new Error(`CI needs a WebGPU adapter for this test: ${gpu}`);
    return t.skip(`no WebGPU adapter here (${gpu})`);
  }
  const w = wb!;
  try {
    await w.runCommand('RNN Debugger: Train RNN');
    await w.acceptQuickPicksUntil(async () => (await panelFrame(w, 500).catch(() => undefined)) !== undefined, 'the "RNN Debugger" panel to open');
    const points = await waitForChartData(w, [...METRIC_CHARTS, ...SNAPSHOT_CHARTS], 'a run on the GPU engine', 180_000);
    const header = await headerText(await panelFrame(w));
    console.log(`# header: ${header}; charts: ${JSON.stringify(points)}`);
    assert.ok(header.includes(`backend ${gpu.label}`), `the header should name the GPU path "${gpu.label}", it says: ${header}`);
    if (gpu.software) assert.match(header, /\(software\)/);
    await w.screenshot('gpu-panel');
  } catch (e) {
    await w.screenshot('gpu-failure');
    throw e;
  }
});
