// What the model predicts for the traced sample of the selected snapshot, beside the target and a
// named baseline: next-value regression (CSV) as predicted, target and "the previous value" over
// t; token data as the probability of the target per t with the top-1 prediction on hover; the
// tasks' scored positions in a table. Every value is the recorded one (snapshot.prediction), not
// smoothed or downsampled.

import type { RunSpec } from '../../src/protocol/spec';
import type { TracePrediction, TraceSnapshot } from '../../src/protocol/trace';
import type { RunData } from '../../src/protocol/webview';
import { applyTheme, line, markers, setDatasets, type LineDataset } from '../charts';
import { div, fmt, pts, range } from '../dom';
import type { Point } from '../logic/downsample';
import type { PanelState } from '../state';
import type { Theme } from '../theme';
import { chartSection, type ChartSlot, type Curves } from './curves';

/** What a run's baseline loss (RunStatus.baseline) is, in words, by data kind. */
export function baselineWords(data: RunSpec['data']): string {
  switch (data.kind) {
    case 'csv': return 'predicting the previous value (x̂_{t+1} = x_t), MSE on the validation rows';
    case 'adding': return 'always answering 1 (the mean of the sum), MSE 1/6';
    case 'copy': return 'blank until the delimiter, then a uniform guess among the 8 symbols';
    case 'delayed-recall': return `a uniform guess among the ${data.symbols ?? 8} symbols, ln ${data.symbols ?? 8}`;
    case 'text': return 'the run\'s baseline loss';
  }
}

/** The steps shown in the table of scored positions: the copy task's 10 recall steps, or the steps with a loss (tasks that score few). */
export function scoredSteps(data: RunSpec['data'], p: TracePrediction, T: number): number[] {
  if (data.kind === 'copy') return range(T).filter((t) => t >= T - 10 && p.mask[t] > 0);
  if (data.kind === 'csv' || data.kind === 'text') return [];
  return range(T).filter((t) => p.mask[t] > 0);
}

/** One hover / keyboard read-out line of timestep t. */
export function describeStep(p: TracePrediction, snap: TraceSnapshot, t: number, vocabulary?: string[]): string {
  const tok = (id: number): string => JSON.stringify(vocabulary?.[id] ?? `#${id}`);
  const input = snap.tokens ? `input ${tok(snap.tokens[t])}  ` : '';
  const scored = p.mask[t] > 0 ? '' : '  (no loss here)';
  if (p.kind === 'tokens') {
    return `t = ${t}  ${input}target ${tok(p.target[t])} p = ${fmt(p.targetProb[t])}  top-1 ${tok(p.top[t])} p = ${fmt(p.topProb[t])}${scored}`;
  }
  const O = p.outputs;
  const cols = range(O).map((c) => `${O > 1 ? `[${c}] ` : ''}predicted ${fmt(p.predicted[t * O + c])} target ${fmt(p.target[t * O + c])}`);
  return `t = ${t}  ${cols.join('  ')}${scored}`;
}

/** Mean squared error of predicted against target over the scored steps (the loss's own measure). */
function mse(p: Extract<TracePrediction, { kind: 'values' }>, guess: (t: number, c: number) => number): number {
  let s = 0, n = 0;
  for (let t = 0; t < p.mask.length; t++) {
    if (!(p.mask[t] > 0)) continue;
    for (let c = 0; c < p.outputs; c++) { s += (guess(t, c) - p.target[t * p.outputs + c]) ** 2; n++; }
  }
  return n ? s / n : NaN;
}

export class Predictions {
  readonly element: HTMLElement;
  private readonly slot: ChartSlot;
  readonly readout = div('prediction-readout');
  private readonly tables = div('prediction-tables');
  /** What the hover read-out describes: the primary run's snapshot and prediction. */
  private shown: { snap: TraceSnapshot; p: TracePrediction; vocabulary?: string[] } | null = null;
  private hovered: number | null = null;

  constructor(theme: Theme) {
    this.slot = chartSection('prediction', { title: 'Predicted vs target (traced sample)', xTitle: 't', yTitle: 'value' }, theme);
    this.element = this.slot.section;
    this.readout.textContent = '\u00a0';
    this.element.append(this.readout, this.tables);
    const chart = this.slot.chart;
    chart.options.onHover = (e) => {
      const x = e.x === null || e.x === undefined ? NaN : chart.scales.x.getValueForPixel(e.x);
      this.describe(Number.isFinite(x) ? Math.round(x as number) : null);
    };
    const canvas = chart.canvas;
    canvas.addEventListener('mouseleave', () => this.describe(null));
    // Keyboard: ← / → step through t, as on the heatmaps.
    canvas.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      const T = this.shown?.snap.steps ?? 0;
      const t = this.hovered ?? (e.key === 'ArrowRight' ? -1 : T);
      this.describe(Math.max(0, Math.min(T - 1, t + (e.key === 'ArrowRight' ? 1 : -1))));
    });
  }

  setTheme(theme: Theme): void { applyTheme(this.slot.chart, theme); }

  /** Writes the read-out of timestep t of the primary run (or clears it). */
  describe(t: number | null): void {
    const s = this.shown;
    if (t === null || !s || t < 0 || t >= s.snap.steps) { this.hovered = null; this.readout.textContent = '\u00a0'; return; }
    this.hovered = t;
    this.readout.textContent = describeStep(s.p, s.snap, t, s.vocabulary);
  }

  render(state: PanelState, curves: Curves): void {
    const runs = state.shownRuns();
    const two = runs.length > 1;
    const theme = curves.currentTheme;
    const sets: LineDataset[] = [];
    const notes: string[] = [];
    let tokens = false;
    this.tables.replaceChildren();
    this.shown = null;
    runs.forEach((run, k) => {
      const snap = state.snapshotOf(run);
      const tag = two ? `${run.status.name} · ` : '';
      const pen = (i: number): [string, number[]] => { const q = curves.pen(k, i, two); return [q.colour, q.dash]; };
      const p = snap?.prediction;
      if (!snap || !p) {
        if (snap) notes.push(`${tag}no predictions in this snapshot (the top layer is not traced, or the run folder predates them)`);
        return;
      }
      // Compare Runs of token and numeric outputs: probabilities and values share no axis; the first run's kind is drawn.
      const firstKind = runs.map((r) => state.snapshotOf(r)?.prediction?.kind).find((x) => x !== undefined);
      if (p.kind !== firstKind) {
        notes.push(`${tag}its ${p.kind === 'tokens' ? 'token probabilities' : 'values'} are not drawn on the same axis as the other run's ${firstKind === 'tokens' ? 'token probabilities' : 'values'}`);
        return;
      }
      if (!this.shown) this.shown = { snap, p, vocabulary: run.status.vocabulary };
      const T = snap.steps, ts = range(T);
      const data = run.status.spec.data;
      const where = `step ${snap.step}, sample ${snap.sample}`;
      if (p.kind === 'tokens') {
        tokens = true;
        sets.push(line(`${tag}p(target)`, pts(ts, p.targetProb), ...pen(0)));
        sets.push(markers(`${tag}p(top-1) where top-1 ≠ target`, topMisses(p), pen(1)[0], 'triangle', 2));
        const V = run.status.vocabulary?.length ?? 0;
        if (V > 0) sets.push(line(`${tag}uniform guess 1/${V}`, [{ x: 0, y: 1 / V }, { x: Math.max(1, T - 1), y: 1 / V }], theme.muted, true, 1));
        let nll = 0, n = 0, right = 0;
        for (let t = 0; t < T; t++) if (p.mask[t] > 0) { nll -= Math.log(p.targetProb[t]); n++; if (p.top[t] === p.target[t]) right++; }
        notes.push(`${tag}${where}: the probability the model gives the target at each t; hover or ← → for the top-1 prediction. ` +
          `Over the ${n} scored steps: mean −ln p(target) ${fmt(n ? nll / n : NaN)}, top-1 right ${right} of ${n}` +
          `${run.status.baseline !== undefined ? `; baseline ${fmt(run.status.baseline)}: ${baselineWords(data)}` : ''}`);
      } else {
        const O = p.outputs;
        const column = (c: number): string => (O > 1 ? ` · column ${c}` : '');
        const all = p.mask.every((m) => m > 0);
        for (let c = 0; c < O; c++) {
          const pick = (a: Float32Array): Float64Array => Float64Array.from(ts, (t) => a[t * O + c]);
          if (all) sets.push(line(`${tag}target${column(c)}`, pts(ts, pick(p.target)), ...pen(0)));
          else sets.push(markers(`${tag}target at scored steps${column(c)}`, pts(ts.filter((t) => p.mask[t] > 0), ts.filter((t) => p.mask[t] > 0).map((t) => p.target[t * O + c])), pen(0)[0], 'rect', 4));
          sets.push(line(`${tag}predicted y_t${column(c)}`, pts(ts, pick(p.predicted)), ...pen(1), 2));
        }
        const model = mse(p, (t, c) => p.predicted[t * O + c]);
        const parts = [`${tag}${where}: MSE over the scored steps ${fmt(model)}`];
        if (data.kind === 'csv' && snap.inputs && snap.inputs.length === T * O) {
          // x̂_{t+1} = x_t: the input at t is the value before the target.
          const inputs = snap.inputs;
          for (let c = 0; c < O; c++) sets.push(line(`${tag}previous value x_t (baseline)${column(c)}`, pts(ts, Float64Array.from(ts, (t) => inputs[t * O + c])), theme.muted, true, 1));
          parts.push(`predicting the previous value (x̂_{t+1} = x_t) on this sample ${fmt(mse(p, (t, c) => inputs[t * O + c]))}`);
        }
        if (run.status.baseline !== undefined) parts.push(`baseline ${fmt(run.status.baseline)}: ${baselineWords(data)}`);
        notes.push(parts.join('; '));
      }
      this.fillTable(run, snap, p, tag);
    });
    const y = this.slot.chart.options.scales!.y!;
    // Probabilities on [0, 1]; values on the axis their range asks for.
    y.min = tokens ? 0 : undefined;
    y.max = tokens ? 1 : undefined;
    (y as { title: { text: string } }).title.text = tokens ? 'probability' : 'value';
    setDatasets(this.slot.chart, sets);
    this.slot.note.textContent = notes.join(' · ') || 'No snapshot with predictions yet.';
    this.describe(this.hovered);
  }

  /** The scored positions of a task, one row each: the values as recorded. */
  private fillTable(run: RunData, snap: TraceSnapshot, p: TracePrediction, tag: string): void {
    const steps = scoredSteps(run.status.spec.data, p, snap.steps);
    if (!steps.length) return;
    const tok = (id: number): string => JSON.stringify(run.status.vocabulary?.[id] ?? `#${id}`);
    const head = p.kind === 'tokens' ? ['t', 'input', 'target', 'top-1', 'p(top-1)', 'p(target)'] : ['t', 'target', 'predicted', '|error|'];
    const rows: string[][] = steps.flatMap((t) => {
      if (p.kind === 'tokens') return [[String(t), snap.tokens ? tok(snap.tokens[t]) : '', tok(p.target[t]), tok(p.top[t]), fmt(p.topProb[t]), fmt(p.targetProb[t])]];
      return range(p.outputs).map((c) => {
        const k = t * p.outputs + c;
        return [p.outputs > 1 ? `${t} [${c}]` : String(t), fmt(p.target[k]), fmt(p.predicted[k]), fmt(Math.abs(p.predicted[k] - p.target[k]))];
      });
    });
    const table = document.createElement('table');
    table.className = 'prediction-table';
    table.createCaption().textContent = `${tag}scored positions of the traced sample`;
    const tr = table.insertRow();
    for (const h of head) { const th = document.createElement('th'); th.textContent = h; tr.append(th); }
    this.tables.append(table);
    for (const r of rows) {
      const row = table.insertRow();
      row.className = 'prediction-row';
      for (const v of r) row.insertCell().textContent = v;
    }
  }
}

/** The probability of the top-1 token where it is not the target: how sure the model is when it is wrong. */
function topMisses(p: Extract<TracePrediction, { kind: 'tokens' }>): Point[] {
  const out: Point[] = [];
  for (let t = 0; t < p.top.length; t++) if (p.top[t] !== p.target[t]) out.push({ x: t, y: p.topProb[t] });
  return out;
}
