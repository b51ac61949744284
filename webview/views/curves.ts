// The panel's grid of curves: one Chart.js chart per ChartKey in its titled section, with the
// pens (a colour per series; in Compare Runs a colour per run and a dash per series) and the
// legend by run that the metric and snapshot views draw with.

import type { ChartId } from '../../src/core/analysis/diagnostics';
import { applyTheme, Chart, makeChart, setDatasets, type ChartOptions, type LineDataset } from '../charts';
import { div, section } from '../dom';
import type { Point } from '../logic/downsample';
import type { Theme } from '../theme';

export type ChartKey = Exclude<ChartId, 'heatmaps' | 'diagnostics'>;

/** Compare Runs: theme series colour of each run (blue, orange), and the dash of each series of a run. */
const RUN_COLOURS = [0, 3];
const SERIES_DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3], [1, 3]];

export const CHART_SPECS: Record<ChartKey, { title: string } & ChartOptions> = {
  loss: { title: 'Loss', xTitle: 'step', yTitle: 'loss' },
  gradNorm: { title: 'Global gradient norm (before / after clipping)', xTitle: 'step', yTitle: '‖∇‖', logY: true },
  learningRate: { title: 'Learning rate', xTitle: 'step', yTitle: 'lr' },
  gradT: { title: 'Per-timestep gradient ‖∂L/∂c_t‖, ‖∂L/∂h_t‖', xTitle: 't', yTitle: 'norm', logY: true },
  reach: { title: 'Gradient reach ‖∂ℓ_τ/∂·_t‖ vs lag τ − t', xTitle: 'lag τ − t', yTitle: 'norm', logY: true },
  forgetProduct: { title: 'Running product ∏ f_k (k = t+1..τ) beside the measured gradient', xTitle: 't', yTitle: 'factor', logY: true },
  jacobianT: { title: 'Largest singular value of ∂(h_t,c_t)/∂(h_{t-1},c_{t-1})', xTitle: 't', yTitle: 'σ_max', logY: true },
  jacobianLag: { title: 'Largest singular value of J_τ⋯J_{τ-k+1} vs lag k', xTitle: 'lag k', yTitle: 'σ_max', logY: true },
  saturation: { title: 'Gate saturation per unit', xTitle: 'fraction of time < 0.1', yTitle: 'fraction of time > 0.9', scatter: true, xRange: [0, 1], yRange: [0, 1] },
};

export interface ChartSlot { section: HTMLElement; note: HTMLElement; chart: Chart<'line', Point[]> }

/** A chart in a section: the note above it says what it shows; the canvas is keyboard-reachable and named. */
export function chartSection(id: string, spec: { title: string } & ChartOptions, theme: Theme): ChartSlot {
  const s = section(id, spec.title);
  const note = div('chart-note');
  const box = div('chart-box');
  const canvas = document.createElement('canvas');
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${spec.title} chart (${spec.xTitle} against ${spec.yTitle})`);
  box.append(canvas);
  s.append(note, box);
  return { section: s, note, chart: makeChart(canvas, theme, spec) };
}

export class Curves {
  readonly element = div('charts');
  readonly slots = new Map<ChartKey, ChartSlot>();

  constructor(private theme: Theme, onClickStep: (step: number) => void) {
    for (const key of Object.keys(CHART_SPECS) as ChartKey[]) {
      const onClickX = key === 'loss' || key === 'gradNorm' ? onClickStep : undefined;
      const slot = chartSection(key, { ...CHART_SPECS[key], onClickX }, theme);
      this.element.append(slot.section);
      this.slots.set(key, slot);
    }
  }

  get currentTheme(): Theme { return this.theme; }

  setTheme(theme: Theme): void {
    this.theme = theme;
    for (const slot of this.slots.values()) applyTheme(slot.chart, theme);
  }

  slot(key: ChartKey): ChartSlot { return this.slots.get(key)!; }

  set(key: ChartKey, datasets: LineDataset[]): void {
    const slot = this.slots.get(key);
    if (slot) setDatasets(slot.chart, datasets);
  }

  colour(k: number): string { return this.theme.series[k % this.theme.series.length]; }

  /**
   * Colour and dash of series `k` of run `run`. One run: a colour per series. Compare Runs: a
   * colour per run (blue, orange) and a dash per series, so the legend reads by run.
   */
  pen(run: number, k: number, compare: boolean): { colour: string; dash: number[] } {
    if (!compare) return { colour: this.colour(k), dash: [] };
    return { colour: this.colour(RUN_COLOURS[run % RUN_COLOURS.length]), dash: SERIES_DASHES[k % SERIES_DASHES.length] };
  }

  /** Compare Runs: the legends list the runs by colour and the series by dash instead of every pair. */
  setLegendByRun(names: string[]): void {
    for (const [key, slot] of this.slots) {
      const labels = slot.chart.options.plugins?.legend?.labels;
      if (!labels) continue;
      if (names.length < 2 || key === 'saturation') {
        // Back to one run: Chart.js's own legend (a click hides a series).
        delete (labels as { generateLabels?: unknown }).generateLabels;
        slot.chart.options.plugins!.legend!.onClick = Chart.defaults.plugins.legend.onClick;
        continue;
      }
      const muted = this.theme.muted, foreground = this.theme.foreground;
      labels.generateLabels = (chart) => {
        const runsPart = names.map((name, k) => ({ text: name, fillStyle: this.pen(k, 0, true).colour, strokeStyle: this.pen(k, 0, true).colour, lineWidth: 3, fontColor: foreground, hidden: false, datasetIndex: -1 }));
        const seen = new Map<string, number[]>();
        for (const d of chart.data.datasets) {
          const label = String(d.label ?? '');
          // Labels are "<run name> · <series>"; run names may hold " · " themselves.
          const owner = names.find((n) => label.startsWith(`${n} · `));
          const what = owner !== undefined ? label.slice(owner.length + 3) : label;
          if (!seen.has(what)) seen.set(what, ((d as { borderDash?: number[] }).borderDash) ?? []);
        }
        const seriesPart = [...seen].map(([what, dash]) => ({ text: what, fillStyle: muted, strokeStyle: muted, lineDash: dash, lineWidth: 1.5, fontColor: foreground, hidden: false, datasetIndex: -1 }));
        return [...runsPart, ...seriesPart];
      };
      slot.chart.options.plugins!.legend!.onClick = () => undefined;
    }
  }
}
