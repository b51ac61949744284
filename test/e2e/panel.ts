// Reading the RNN Debugger panel from an end-to-end test: its webview frame, how many points each
// chart draws (through Chart.getChart, which the panel exposes as window.rnnDebugger.Chart) and
// the run header's text.
import type { Frame } from 'playwright-core';
import { type Workbench, waitFor } from './harness';

// These functions run inside the webview (page.evaluate); the test project has no DOM lib, so the
// little of the DOM they use is declared here.
interface DomElement { textContent: string | null }
declare const document: { querySelector(selector: string): DomElement | null };
declare const window: unknown;
interface ChartLike { data: { datasets: { data: unknown[] }[] } }

/** Chart ids of the panel (section[data-chart=…]) that a running LSTM run fills. */
export const METRIC_CHARTS = ['loss', 'gradNorm'] as const;
export const SNAPSHOT_CHARTS = ['gradT'] as const;

/** The panel's webview frame, once its loss chart exists. */
export function panelFrame(wb: Workbench, timeoutMs = 60_000): Promise<Frame> {
  return wb.webviewFrame('section[data-chart="loss"] canvas', 'the RNN Debugger panel', timeoutMs);
}

/** Points drawn by a chart, over all its datasets (0 when it has no data, -1 when it has no chart). */
export function chartPoints(frame: Frame, id: string): Promise<number> {
  return frame.evaluate((chartId) => {
    const canvas = document.querySelector(`section[data-chart="${chartId}"] canvas`);
    const api = (window as { rnnDebugger?: { Chart?: { getChart(c: unknown): ChartLike | undefined } } }).rnnDebugger;
    const chart = canvas ? api?.Chart?.getChart(canvas) : undefined;
    if (!chart) return -1;
    return chart.data.datasets.reduce((n: number, d) => n + d.data.length, 0);
  }, id);
}

/** Text of the run header(s): name, cell, state, step, backend. */
export function headerText(frame: Frame): Promise<string> {
  return frame.evaluate(() => document.querySelector('.run-headers')?.textContent ?? '');
}

/** Waits until every chart in `ids` draws at least one point, re-finding the frame if it was replaced. */
export async function waitForChartData(wb: Workbench, ids: readonly string[], what: string, timeoutMs: number): Promise<Record<string, number>> {
  const last: Record<string, number> = {};
  return waitFor(async () => {
    const frame = await panelFrame(wb, 5_000);
    for (const id of ids) last[id] = await chartPoints(frame, id);
    return ids.every((id) => (last[id] ?? 0) > 0) ? { ...last } : undefined;
  }, `${what}: charts ${ids.join(', ')} to show data`, timeoutMs, 1_000).catch((e: Error) => {
    throw new Error(`${e.message} (points when it gave up: ${JSON.stringify(last)})`);
  });
}
