// Chart.js set-up for the panel's curves: registered pieces only, no animation, no parsing
// (data are {x, y} points already), redrawn with update('none').

import {
  Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement,
  ScatterController, Tooltip, type ChartDataset,
} from 'chart.js';
import type { Point } from './logic/downsample';
import { logTicks, onLogAxis, tickLabel } from './logic/logTicks';
import type { Theme } from './theme';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

export { Chart };

export type LineDataset = ChartDataset<'line', Point[]>;

export interface ChartOptions {
  xTitle: string;
  yTitle: string;
  logY?: boolean;
  /** Fixed y range (e.g. [0, 1] for the saturation scatter). */
  yRange?: [number, number];
  xRange?: [number, number];
  /** Show points only (scatter). */
  scatter?: boolean;
  /** Called with the x of a clicked point (e.g. the scrubber jumps to a step). */
  onClickX?: (x: number) => void;
}

/** A line (or scatter) chart on a canvas, styled from the theme. */
export function makeChart(canvas: HTMLCanvasElement, theme: Theme, o: ChartOptions): Chart<'line', Point[]> {
  const axis = (title: string, log: boolean, range?: [number, number]): Record<string, unknown> => ({
    type: log ? 'logarithmic' : 'linear',
    title: { display: true, text: title, color: theme.muted },
    ticks: { color: theme.muted, maxRotation: 0, autoSkipPadding: 12, ...(log ? { callback: (v: number | string) => tickLabel(Number(v)) } : {}) },
    // Our own log ticks: Chart.js labels only exact powers of ten (none inside one decade).
    ...(log ? { afterBuildTicks: (scale: { min: number; max: number; ticks: { value: number }[] }) => { scale.ticks = logTicks(scale.min, scale.max).map((value) => ({ value })); } } : {}),
    grid: { color: theme.grid },
    border: { color: theme.grid },
    ...(range ? { min: range[0], max: range[1] } : {}),
  });
  return new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: false,
      showLine: !o.scatter,
      elements: { point: { radius: o.scatter ? 3 : 0, hitRadius: 4 }, line: { borderWidth: 1.5, tension: 0 } },
      interaction: { mode: o.scatter ? 'nearest' : 'nearest', intersect: false, axis: o.scatter ? 'xy' : 'x' },
      scales: {
        x: axis(o.xTitle, false, o.xRange) as never,
        y: axis(o.yTitle, !!o.logY, o.yRange) as never,
      },
      plugins: {
        legend: { labels: { color: theme.foreground, boxWidth: 12, boxHeight: 2, font: { size: 11 } } },
        tooltip: { enabled: true },
      },
      onClick: o.onClickX ? (_e, els, chart) => {
        const first = els[0];
        if (!first) return;
        const p = chart.data.datasets[first.datasetIndex]?.data[first.index] as Point | undefined;
        if (p) o.onClickX?.(p.x);
      } : undefined,
    },
  });
}

/** Re-colours axes and legend after a theme change. */
export function applyTheme(chart: Chart<'line', Point[]>, theme: Theme): void {
  for (const key of ['x', 'y']) {
    const s = chart.options.scales?.[key];
    if (!s) continue;
    const scale = s as { ticks?: { color?: string }; grid?: { color?: string }; title?: { color?: string }; border?: { color?: string } };
    if (scale.ticks) scale.ticks.color = theme.muted;
    if (scale.grid) scale.grid.color = theme.grid;
    if (scale.title) scale.title.color = theme.muted;
    if (scale.border) scale.border.color = theme.grid;
  }
  const legend = chart.options.plugins?.legend?.labels;
  if (legend) legend.color = theme.foreground;
}

/** A dataset drawn as a line (dashed: a pattern, or true for the usual dash). */
export function line(label: string, data: Point[], color: string, dashed: boolean | number[] = false, width = 1.5): LineDataset {
  const borderDash = Array.isArray(dashed) ? dashed : dashed ? [5, 4] : [];
  return { label, data, borderColor: color, backgroundColor: color, borderWidth: width, borderDash, pointRadius: 0, showLine: true };
}

/** A dataset drawn as markers only (clip events, the saturation scatter). */
export function markers(label: string, data: Point[], color: string, style: 'circle' | 'crossRot' | 'triangle' | 'rect' = 'circle', radius = 3): LineDataset {
  return { label, data, borderColor: color, backgroundColor: color, showLine: false, pointRadius: radius, pointStyle: style, pointHoverRadius: radius + 2 };
}

/** Points a log axis can show: y ≤ 0 and non-finite dropped, values below float range at the floor (see onLogAxis). */
export function positive(points: Point[]): Point[] {
  return onLogAxis(points).points;
}

/** Replaces a chart's datasets and redraws without animation. */
export function setDatasets(chart: Chart<'line', Point[]>, datasets: LineDataset[]): void {
  chart.data.datasets = datasets;
  chart.update('none');
}
