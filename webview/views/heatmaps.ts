// The time × unit heatmaps of the selected layer: c (LSTM family), h and every gate, one column
// per shown run; in Compare Runs the quantities both runs have come first, side by side.

import { GATE_ORDER, hasCellState } from '../../src/protocol/spec';
import type { LayerTrace, TraceSnapshot } from '../../src/protocol/trace';
import { div, fmt, section } from '../dom';
import { Heatmap } from '../heatmap';
import { isSigned, scaleFor } from '../logic/colormap';
import { orderUnits, type UnitOrder } from '../logic/unitOrder';
import type { PanelState } from '../state';
import type { Theme } from '../theme';

export class Heatmaps {
  readonly element: HTMLElement;
  private readonly columns = div('heatmap-columns');
  private readonly note = div('chart-note');
  private readonly maps = new Map<string, Heatmap>();
  /** The runs and quantities the columns were built for; a change rebuilds them. */
  private layout = '';

  constructor(private theme: Theme, private readonly onSelectUnit: (unit: number) => void) {
    this.element = section('heatmaps', 'States and gates (time × unit)');
    this.element.append(this.note, this.columns);
  }

  /** Rebuild the columns on the next render (other runs, another unit order). */
  relayout(): void { this.layout = ''; }

  setTheme(theme: Theme): void {
    this.theme = theme;
    for (const h of this.maps.values()) h.setTheme(theme);
  }

  /** A heatmap by run position (0 or 1) and quantity name ('c', 'h', 'f', …). */
  heatmap(runIndex: number, name: string): Heatmap | undefined { return this.maps.get(`${runIndex}:${name}`); }

  render(state: PanelState, order: UnitOrder): void {
    const runs = state.shownRuns();
    const sel = state.selection;
    const plan = runs.map((run) => {
      const snap = state.snapshotOf(run);
      const layer = snap?.layers.find((l) => l.layer === sel.layer) ?? snap?.layers[0];
      return { run, snap, layer, names: snap && layer ? heatmapNames(snap, layer) : [] };
    });
    // Compare Runs: like with like. The quantities both runs have come first, in the same rows and
    // at the same height (h beside h; c only when both have it); each run's own gates follow.
    const shared = plan.length > 1 ? plan[0].names.filter((n) => plan.every((p) => p.names.includes(n))) : [];
    if (shared.length) for (const p of plan) p.names = [...shared, ...p.names.filter((n) => !shared.includes(n))];
    const sharedUnits = Math.max(0, ...plan.map((p) => p.layer?.units ?? 0));
    const numericRuns = plan.filter((p) => p.snap && !p.snap.tokens && p.snap.inputs);
    this.note.textContent = numericRuns.map((p) => `${plan.length > 1 ? `${p.run.status.name}: ` : ''}time axis shows t; hover a cell for its input value${p.run.status.spec.data.kind === 'csv' ? ' (standardised: the training rows’ mean subtracted, divided by their deviation)' : ''}`).join('; ');
    const layout = plan.map((p) => `${p.run.status.id}:${p.names.join(',')}`).join('|');
    if (layout !== this.layout) {
      for (const h of this.maps.values()) h.dispose();
      this.maps.clear();
      this.columns.replaceChildren();
      plan.forEach((p, k) => {
        const col = div('heatmap-column');
        const title = div('heatmap-run');
        title.textContent = runs.length > 1 ? p.run.status.name : '';
        col.append(title);
        if (!p.names.length) { const e = div('empty'); e.textContent = 'No snapshot recorded yet.'; col.append(e); }
        for (const name of p.names) {
          this.maps.set(`${k}:${name}`, new Heatmap(col, heatmapTitle(name), this.theme, (unit) => this.onSelectUnit(unit)));
        }
        this.columns.append(col);
      });
      this.layout = layout;
    }
    plan.forEach((p, k) => {
      const { snap, layer, run } = p;
      if (!snap || !layer) return;
      const labels = inputLabels(snap, run.status.vocabulary);
      for (const name of p.names) {
        const h = this.maps.get(`${k}:${name}`);
        const values = layer.values[name];
        if (!h || !values) continue;
        const signed = isSigned(name);
        const rows = shared.includes(name) ? sharedUnits : layer.units;
        h.canvas.style.height = `${Math.min(260, Math.max(64, rows * 4)) + 16}px`;
        h.setData({
          name, values, steps: snap.steps, units: layer.units, labels, labelsOnAxis: !!snap.tokens,
          order: orderUnits(values, snap.steps, layer.units, order, signed),
          scale: scaleFor(name, values),
        }, Math.min(sel.unit, layer.units - 1));
      }
    });
  }
}

/** The heatmaps of a layer: c (LSTM family), h, then every gate in GATE_ORDER. */
export function heatmapNames(snap: TraceSnapshot, layer: LayerTrace): string[] {
  const names = [...(hasCellState(snap.cell) ? ['c'] : []), 'h', ...GATE_ORDER[snap.cell]];
  return names.filter((n) => layer.values[n] !== undefined);
}

function heatmapTitle(name: string): string {
  const titles: Record<string, string> = {
    c: 'c_t cell state', h: 'h_t hidden state', f: 'f_t forget gate', i: 'i_t input gate', g: 'g_t candidate',
    o: 'o_t output gate', z: 'z_t update gate', r: 'r_t reset gate', n: 'n_t candidate', a: 'a_t pre-activation',
  };
  return titles[name] ?? name;
}

/** The input at each timestep as text: the token from the vocabulary, or the numeric input. */
export function inputLabels(snap: TraceSnapshot, vocabulary?: string[]): string[] | null {
  if (snap.tokens) return Array.from(snap.tokens, (id) => vocabulary?.[id] ?? `#${id}`);
  if (snap.inputs && snap.steps > 0) {
    const width = snap.inputs.length / snap.steps;
    return Array.from({ length: snap.steps }, (_, t) => Array.from(snap.inputs!.subarray(t * width, (t + 1) * width), (v) => fmt(v)).join(', '));
  }
  return null;
}
