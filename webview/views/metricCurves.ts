// The per-step curves of one or two runs: loss (with validation and the task's baseline), global
// gradient norm before / after clipping with the clipped steps marked, and the learning rate
// (one line of text when it is constant).

import type { MetricsRecord } from '../../src/protocol/trace';
import type { RunData } from '../../src/protocol/webview';
import { line, markers, positive, type LineDataset } from '../charts';
import { fmt } from '../dom';
import { downsampleMinMax, type Point } from '../logic/downsample';
import type { Curves } from './curves';

/** Longest series drawn per dataset; longer metric series are min/max-downsampled. */
const MAX_POINTS = 1500;

function series(steps: number[], records: MetricsRecord[], pick: (r: MetricsRecord) => number): Point[] {
  return downsampleMinMax(steps, records.map(pick), MAX_POINTS);
}

export function renderMetricCurves(curves: Curves, runs: RunData[]): void {
  const two = runs.length > 1;
  const theme = curves.currentTheme;
  const loss: LineDataset[] = [], grad: LineDataset[] = [], lr: LineDataset[] = [];
  const lrNotes: string[] = [];
  let lrCurves = 0;
  curves.setLegendByRun(runs.map((r) => r.status.name));
  runs.forEach((run, k) => {
    const tag = two ? `${run.status.name} · ` : '';
    const pen = (i: number): [string, number[]] => { const p = curves.pen(k, i, two); return [p.colour, p.dash]; };
    const m = run.metrics;
    const steps = m.map((r) => r.step);
    loss.push(line(`${tag}loss`, series(steps, m, (r) => r.loss), ...pen(0)));
    const val = m.filter((r) => r.valLoss !== undefined);
    if (val.length) {
      // Validated every few steps: drawn thicker, with a marker per validation and over the training line.
      const v = line(`${tag}validation loss`, series(val.map((r) => r.step), val, (r) => r.valLoss ?? NaN), ...pen(3), 2.5);
      loss.push({ ...v, order: -1, pointRadius: 2 });
    }
    if (run.status.baseline !== undefined && m.length) {
      const b = run.status.baseline;
      loss.push(line(`${tag}baseline ${fmt(b)}`, [{ x: steps[0], y: b }, { x: steps[steps.length - 1], y: b }], theme.muted, true, 1));
    }
    grad.push(line(`${tag}before clipping`, positive(series(steps, m, (r) => r.gradNorm)), ...pen(1)));
    grad.push(line(`${tag}after clipping`, positive(series(steps, m, (r) => r.gradNormClipped)), ...pen(2)));
    const clips = m.filter((r) => r.clipped);
    if (clips.length) grad.push(markers(`${tag}clipped (${clips.length})`, positive(series(clips.map((r) => r.step), clips, (r) => r.gradNorm)), pen(1)[0], 'crossRot', 3));
    // A constant learning rate is one number, not a chart.
    const rates = m.map((r) => r.learningRate);
    const constant = rates.length > 0 && rates.every((x) => x === rates[0]);
    if (constant) lrNotes.push(`${tag}learning rate ${fmt(rates[0])}, constant`);
    else if (rates.length) { lrCurves++; lr.push(line(`${tag}learning rate`, series(steps, m, (r) => r.learningRate), ...pen(4))); }
  });
  curves.set('loss', loss);
  curves.set('gradNorm', grad);
  curves.set('learningRate', lr);
  const lrSlot = curves.slot('learningRate');
  lrSlot.note.textContent = lrNotes.join('; ');
  lrSlot.section.classList.toggle('folded', lrCurves === 0 && lrNotes.length > 0);
  const clipNote = runs.map((r) => {
    const n = r.metrics.filter((x) => x.clipped).length;
    return r.metrics.length ? `${two ? `${r.status.name}: ` : ''}clipping fired in ${n} of ${r.metrics.length} steps` : '';
  }).filter(Boolean).join('; ');
  curves.slot('gradNorm').note.textContent = clipNote;
}
