// The panel: run headers, controls (layer, unit, unit order, snapshot scrubber), diagnostics,
// the curves (loss, gradient norms, learning rate, per-timestep gradients, reach, ∏f, Jacobian
// spectra, gate saturation) and the time × unit heatmaps; one or two runs (Compare Runs).

import { backendText } from '../src/protocol/backendText';
import { GATE_ORDER, hasCellState } from '../src/protocol/spec';
import type { LayerTrace, MetricsRecord, TraceSnapshot } from '../src/protocol/trace';
import type { Selection, ToWebviewMessage } from '../src/protocol/webview';
import { diagnose, type ChartId } from '../src/protocol/diagnostics';
import { forgetProduct, REACH_THRESHOLD, reachByLag, summariseReach } from '../src/protocol/gradientReach';
import { applyTheme, Chart, line, makeChart, markers, positive, setDatasets, type ChartOptions, type LineDataset } from './charts';
import { Heatmap } from './heatmap';
import { isSigned, scaleFor } from './logic/colormap';
import { downsampleMinMax, type Point } from './logic/downsample';
import { orderUnits, UNIT_ORDERS, type UnitOrder } from './logic/unitOrder';
import { PanelState } from './state';
import { readTheme, type Theme } from './theme';
import type { PanelHost } from './vscodeApi';

/** Longest series drawn per dataset; longer metric series are min/max-downsampled. */
const MAX_POINTS = 1500;
/** Redraws are batched to at most this rate while frames stream in. */
const MIN_FRAME_MS = 50;

type ChartKey = Exclude<ChartId, 'heatmaps' | 'diagnostics'>;

const CHART_SPECS: Record<ChartKey, { title: string } & ChartOptions> = {
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

interface ChartSlot { section: HTMLElement; note: HTMLElement; chart: Chart<'line', Point[]> }

export class Panel {
  readonly state = new PanelState();
  private theme: Theme;
  private readonly headers: HTMLElement;
  private readonly layerSelect: HTMLSelectElement;
  private readonly unitInput: HTMLInputElement;
  private readonly orderSelect: HTMLSelectElement;
  private readonly scrubber: HTMLInputElement;
  private readonly follow: HTMLInputElement;
  private readonly stepLabel: HTMLElement;
  private readonly diagList: HTMLElement;
  private readonly heatmapColumns: HTMLElement;
  private readonly charts = new Map<ChartKey, ChartSlot>();
  private heatmaps = new Map<string, Heatmap>();
  private heatmapLayout = '';
  private order: UnitOrder = 'index';
  private dirty = { metrics: true, snapshots: true, header: true };
  private frame = 0;
  private lastFrame = 0;

  constructor(private readonly root: HTMLElement, private readonly host: PanelHost) {
    this.theme = readTheme();
    this.headers = div('run-headers');
    const controls = div('controls');
    this.layerSelect = document.createElement('select');
    this.unitInput = document.createElement('input');
    this.unitInput.type = 'number'; this.unitInput.min = '0'; this.unitInput.value = '0';
    this.orderSelect = document.createElement('select');
    for (const o of UNIT_ORDERS) this.orderSelect.append(new Option(`order: ${o}`, o));
    this.scrubber = document.createElement('input');
    this.scrubber.type = 'range'; this.scrubber.min = '0'; this.scrubber.max = '0'; this.scrubber.value = '0';
    this.scrubber.className = 'scrubber';
    this.follow = document.createElement('input');
    this.follow.type = 'checkbox'; this.follow.checked = true;
    this.stepLabel = span('step-label');
    controls.append(labelled('Layer', this.layerSelect), labelled('Unit', this.unitInput), this.orderSelect,
      labelled('Snapshot', this.scrubber), this.stepLabel, labelled('follow latest', this.follow));

    const diag = section('diagnostics', 'Diagnostics');
    this.diagList = document.createElement('ul');
    this.diagList.className = 'diagnostics';
    diag.append(this.diagList);

    const grid = div('charts');
    for (const key of Object.keys(CHART_SPECS) as ChartKey[]) {
      const spec = CHART_SPECS[key];
      const s = section(key, spec.title);
      const note = div('chart-note');
      const box = div('chart-box');
      const canvas = document.createElement('canvas');
      box.append(canvas);
      s.append(note, box);
      grid.append(s);
      const onClickX = key === 'loss' || key === 'gradNorm' ? (x: number) => this.pickStepNear(x) : undefined;
      this.charts.set(key, { section: s, note, chart: makeChart(canvas, this.theme, { ...spec, onClickX }) });
    }
    const heat = section('heatmaps', 'States and gates (time × unit)');
    this.heatmapColumns = div('heatmap-columns');
    heat.append(this.heatmapColumns);
    root.append(this.headers, controls, diag, grid, heat);

    this.layerSelect.addEventListener('change', () => this.select({ layer: Number(this.layerSelect.value) }));
    this.unitInput.addEventListener('change', () => this.select({ unit: Math.max(0, Math.floor(Number(this.unitInput.value) || 0)) }));
    this.orderSelect.addEventListener('change', () => { this.order = this.orderSelect.value as UnitOrder; this.heatmapLayout = ''; this.invalidate('snapshots'); });
    this.scrubber.addEventListener('input', () => {
      const steps = this.primarySnapshotSteps();
      const step = steps[Number(this.scrubber.value)];
      if (step !== undefined) this.select({ step });
    });
    this.follow.addEventListener('change', () => {
      const steps = this.primarySnapshotSteps();
      this.select({ step: this.follow.checked ? null : steps[steps.length - 1] ?? null });
    });
    // VS Code switches themes by changing the body's class: re-read the colours.
    new MutationObserver(() => this.onThemeChange()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /** Applies a host message and schedules a redraw. */
  handle(msg: ToWebviewMessage): void {
    const changed = this.state.apply(msg);
    if (changed.metrics) this.dirty.metrics = true;
    if (changed.snapshots || changed.selection) this.dirty.snapshots = true;
    if (changed.status || changed.runs || changed.metrics || changed.snapshots) this.dirty.header = true;
    if (msg.type === 'hydrate' || msg.type === 'showRuns') this.heatmapLayout = '';
    if (msg.type === 'reveal') {
      this.renderNow();
      this.reveal(msg.chart);
    } else this.schedule();
  }

  private invalidate(what: 'metrics' | 'snapshots' | 'header'): void { this.dirty[what] = true; this.schedule(); }

  /** Batches redraws: one per animation frame, and no more often than every MIN_FRAME_MS. */
  private schedule(): void {
    if (this.frame) return;
    const wait = Math.max(0, this.lastFrame + MIN_FRAME_MS - performance.now());
    this.frame = window.setTimeout(() => requestAnimationFrame(() => this.renderNow()), wait);
  }

  /** Draws everything that is out of date, now. */
  renderNow(): void {
    if (this.frame) { clearTimeout(this.frame); this.frame = 0; }
    this.lastFrame = performance.now();
    const d = this.dirty;
    this.dirty = { metrics: false, snapshots: false, header: false };
    if (d.header) this.renderHeaders();
    if (d.header || d.snapshots) this.renderControls();
    if (d.metrics) this.renderMetricCharts();
    if (d.snapshots) { this.renderSnapshotCharts(); this.renderHeatmaps(); }
    if (d.header || d.snapshots || d.metrics) this.renderDiagnostics();
  }

  private select(part: Partial<Selection>): void {
    const sel = { ...this.state.selection, ...part };
    this.state.selection = sel;
    const primary = this.state.shown[0];
    if (primary) this.host.postMessage({ type: 'select', runId: primary, selection: sel });
    this.invalidate('snapshots');
  }

  private pickStepNear(step: number): void {
    const steps = this.primarySnapshotSteps();
    if (!steps.length) return;
    let best = steps[0];
    for (const s of steps) if (Math.abs(s - step) < Math.abs(best - step)) best = s;
    this.select({ step: best });
  }

  private primarySnapshotSteps(): number[] {
    const run = this.state.shownRuns()[0];
    return run ? run.snapshots.map((s) => s.step) : [];
  }

  /** Scrolls a chart (or the heatmaps, for a unit) into view. */
  private reveal(chart?: string): void {
    const target = chart ? this.root.querySelector<HTMLElement>(`section[data-chart="${CSS.escape(chart)}"]`) : this.root.querySelector<HTMLElement>('section[data-chart="heatmaps"]');
    if (!target) return;
    target.scrollIntoView({ block: 'start' });
    target.classList.add('revealed');
    setTimeout(() => target.classList.remove('revealed'), 1500);
  }

  private onThemeChange(): void {
    this.theme = readTheme();
    for (const slot of this.charts.values()) applyTheme(slot.chart, this.theme);
    for (const h of this.heatmaps.values()) h.setTheme(this.theme);
    this.dirty = { metrics: true, snapshots: true, header: true };
    this.schedule();
  }

  // #region header, controls, diagnostics
  private renderHeaders(): void {
    this.headers.replaceChildren();
    const runs = this.state.shownRuns();
    if (!runs.length) {
      const p = div('empty');
      p.textContent = 'No run yet. Start one with “RNN Debugger: Train RNN”.';
      this.headers.append(p);
      return;
    }
    runs.forEach((run, k) => {
      const s = run.status;
      const h = div(`run-header state-${s.state}`);
      h.dataset.runId = s.id;
      const name = span('run-name'); name.textContent = `${runs.length > 1 ? (k === 0 ? '━ ' : '┅ ') : ''}${s.name}`;
      const facts = span('run-facts');
      const m = s.spec.model;
      facts.textContent = [
        `${m.cell} ${m.layers}×${m.hiddenSize}`,
        s.state,
        `step ${s.step}/${s.spec.train.steps}`,
        `backend ${backendText(s) ?? '—'}`,
      ].join(' · ');
      h.append(name, facts);
      if (s.reason && (s.state === 'failed' || s.state === 'stopped')) {
        const r = div('run-reason'); r.textContent = s.reason; h.append(r);
      }
      this.headers.append(h);
    });
  }

  private renderControls(): void {
    const run = this.state.shownRuns()[0];
    const snap = run ? this.state.snapshotOf(run) : undefined;
    const sel = this.state.selection;
    const layers = snap?.layers.map((l) => l.layer) ?? [];
    if (this.layerSelect.options.length !== layers.length) {
      this.layerSelect.replaceChildren(...layers.map((l) => new Option(String(l), String(l))));
    }
    this.layerSelect.value = String(sel.layer);
    const units = snap?.layers.find((l) => l.layer === sel.layer)?.units ?? 0;
    this.unitInput.max = String(Math.max(0, units - 1));
    this.unitInput.value = String(sel.unit);
    const steps = run ? run.snapshots.map((s) => s.step) : [];
    this.scrubber.max = String(Math.max(0, steps.length - 1));
    this.scrubber.disabled = steps.length < 2;
    this.scrubber.value = String(snap ? steps.indexOf(snap.step) : 0);
    this.follow.checked = sel.step === null;
    this.stepLabel.textContent = snap ? `step ${snap.step} (${steps.length} snapshot${steps.length === 1 ? '' : 's'})` : 'no snapshot yet';
  }

  private renderDiagnostics(): void {
    const runs = this.state.shownRuns();
    this.diagList.replaceChildren();
    for (const run of runs) {
      for (const d of diagnose(run)) {
        const li = document.createElement('li');
        li.className = `diagnostic severity-${d.severity}`;
        li.dataset.id = d.id;
        const title = span('diagnostic-title');
        title.textContent = `${runs.length > 1 ? `${run.status.name}: ` : ''}${d.title}`;
        const detail = span('diagnostic-detail');
        detail.textContent = d.detail;
        li.append(title, detail);
        if (d.chart) {
          const chart = d.chart;
          const b = document.createElement('button');
          b.textContent = 'show';
          b.addEventListener('click', () => {
            if (d.layer !== undefined || d.units?.length) this.select({ layer: d.layer ?? this.state.selection.layer, unit: d.units?.[0] ?? this.state.selection.unit });
            this.renderNow();
            this.reveal(chart);
          });
          li.append(b);
        }
        this.diagList.append(li);
      }
    }
    if (!this.diagList.children.length) {
      const li = document.createElement('li');
      li.className = 'diagnostic severity-none';
      li.textContent = 'Nothing to report yet.';
      this.diagList.append(li);
    }
  }
  // #endregion

  // #region curves
  private colour(k: number): string { return this.theme.series[k % this.theme.series.length]; }

  private renderMetricCharts(): void {
    const runs = this.state.shownRuns();
    const two = runs.length > 1;
    const loss: LineDataset[] = [], grad: LineDataset[] = [], lr: LineDataset[] = [];
    runs.forEach((run, k) => {
      const dash = k === 1;
      const tag = two ? `${run.status.name} · ` : '';
      const m = run.metrics;
      const steps = m.map((r) => r.step);
      loss.push(line(`${tag}loss`, series(steps, m, (r) => r.loss), this.colour(0), dash));
      const val = m.filter((r) => r.valLoss !== undefined);
      if (val.length) loss.push(line(`${tag}validation loss`, series(val.map((r) => r.step), val, (r) => r.valLoss ?? NaN), this.colour(3), dash));
      if (run.status.baseline !== undefined && m.length) {
        const b = run.status.baseline;
        loss.push(line(`${tag}baseline ${fmt(b)}`, [{ x: steps[0], y: b }, { x: steps[steps.length - 1], y: b }], this.theme.muted, true, 1));
      }
      grad.push(line(`${tag}before clipping`, positive(series(steps, m, (r) => r.gradNorm)), this.colour(1), dash));
      grad.push(line(`${tag}after clipping`, positive(series(steps, m, (r) => r.gradNormClipped)), this.colour(2), dash));
      const clips = m.filter((r) => r.clipped);
      if (clips.length) grad.push(markers(`${tag}clipped (${clips.length})`, positive(series(clips.map((r) => r.step), clips, (r) => r.gradNorm)), this.colour(1), 'crossRot', 3));
      lr.push(line(`${tag}learning rate`, series(steps, m, (r) => r.learningRate), this.colour(4), dash));
    });
    this.setChart('loss', loss);
    this.setChart('gradNorm', grad);
    this.setChart('learningRate', lr);
    const clipNote = runs.map((r) => {
      const n = r.metrics.filter((x) => x.clipped).length;
      return r.metrics.length ? `${two ? `${r.status.name}: ` : ''}clipping fired in ${n} of ${r.metrics.length} steps` : '';
    }).filter(Boolean).join('; ');
    this.charts.get('gradNorm')!.note.textContent = clipNote;
  }

  private renderSnapshotCharts(): void {
    const runs = this.state.shownRuns();
    const two = runs.length > 1;
    const sel = this.state.selection;
    const sets: Record<'gradT' | 'reach' | 'forgetProduct' | 'jacobianT' | 'jacobianLag' | 'saturation', LineDataset[]> =
      { gradT: [], reach: [], forgetProduct: [], jacobianT: [], jacobianLag: [], saturation: [] };
    const notes: Record<string, string[]> = { reach: [], forgetProduct: [], jacobianT: [], jacobianLag: [], saturation: [], gradT: [] };
    runs.forEach((run, k) => {
      const snap = this.state.snapshotOf(run);
      const layer = snap?.layers.find((l) => l.layer === sel.layer) ?? snap?.layers[0];
      if (!snap || !layer) return;
      const dash = k === 1;
      const tag = two ? `${run.status.name} · ` : '';
      const T = snap.steps, tau = snap.reachFrom;
      const ts = range(T);
      // Per-timestep gradient norms (lecture §1–2), log axis.
      if (layer.dcNorm) sets.gradT.push(line(`${tag}‖∂L/∂c_t‖`, positive(pts(ts, layer.dcNorm)), this.colour(0), dash));
      sets.gradT.push(line(`${tag}‖∂L/∂h_t‖`, positive(pts(ts, layer.dhNorm)), this.colour(3), dash));
      // Gradient reach against the lag, with the lag where it falls below 1e-3 of its peak.
      const reaches: [string, Float32Array | undefined, number][] = [['c', layer.reachC, 0], ['h', layer.reachH, 3]];
      for (const [which, reach, colour] of reaches) {
        if (!reach) continue;
        const byLag = reachByLag(reach, tau);
        sets.reach.push(line(`${tag}‖∂ℓ_τ/∂${which}_t‖`, positive(pts(range(tau + 1), byLag)), this.colour(colour), dash));
        const r = summariseReach(reach, tau);
        if (r.peak > 0) {
          const floor = r.peak * REACH_THRESHOLD;
          if (r.lag !== null) {
            sets.reach.push(line(`${tag}${which}: below 1e-3 of peak at lag ${r.lag}`, [{ x: r.lag, y: floor * 0.1 }, { x: r.lag, y: r.peak }], this.colour(colour), true, 1));
            notes.reach.push(`${tag}‖∂ℓ_τ/∂${which}_t‖ falls below 1e-3 of its peak at lag ${r.lag} (τ = ${tau})`);
          } else notes.reach.push(`${tag}‖∂ℓ_τ/∂${which}_t‖ stays above 1e-3 of its peak back to t = 0 (lag ${tau}: ${fmt(r.ratioAtMaxLag)} of peak)`);
        }
      }
      // ∂c_τ/∂c_t = ∏ f_k beside the measured reach (both 1 at t = τ).
      const f = layer.values.f;
      if (f && hasCellState(snap.cell)) {
        const unit = Math.min(sel.unit, layer.units - 1);
        sets.forgetProduct.push(line(`${tag}∏f, unit ${unit}`, positive(pts(ts, forgetProduct(f, T, layer.units, tau, unit))), this.colour(2), dash));
        sets.forgetProduct.push(line(`${tag}∏f, mean over units`, positive(pts(ts, forgetProduct(f, T, layer.units, tau, 'mean'))), this.colour(4), dash));
        if (layer.reachC && layer.reachC[tau] > 0) {
          const at = layer.reachC[tau];
          sets.forgetProduct.push(line(`${tag}measured ‖∂ℓ_τ/∂c_t‖ ÷ value at τ`, positive(pts(ts, Float64Array.from(layer.reachC, (v, t) => (t <= tau ? v / at : NaN)))), this.colour(0), dash));
        }
        if (layer.dc) {
          const H = layer.units, dc = layer.dc;
          const mag = Float64Array.from({ length: T }, (_, t) => Math.abs(dc[t * H + unit]));
          const top = Math.max(...mag.filter(Number.isFinite));
          if (top > 0) sets.forgetProduct.push(line(`${tag}|∂L/∂c_t| unit ${unit} ÷ max`, positive(pts(ts, mag.map((v) => v / top))), this.colour(1), dash, 1));
        }
        notes.forgetProduct.push(`${tag}τ = ${tau}; along the cell path ∂c_t/∂c_{t-1} = f_t, so ∏f bounds how much of the gradient survives`);
      } else notes.forgetProduct.push(`${tag}${snap.cell} has no forget gate on a cell state`);
      // Jacobian spectra.
      if (layer.jacobianSigma) {
        sets.jacobianT.push(line(`${tag}σ_max(J_t)`, positive(pts(ts, layer.jacobianSigma)), this.colour(0), dash));
        if (k === 0) sets.jacobianT.push(line('1.0', [{ x: 0, y: 1 }, { x: Math.max(1, T - 1), y: 1 }], this.theme.muted, true, 1));
      } else notes.jacobianT.push(`${tag}not recorded (trace.jacobian is off)`);
      if (layer.jacobianLagSigma && layer.jacobianLags) {
        const lags = [...layer.jacobianLags];
        sets.jacobianLag.push(line(`${tag}σ_max(J_τ⋯J_{τ-k+1})`, positive(pts(lags, layer.jacobianLagSigma)), this.colour(1), dash));
        if (k === 0 && lags.length) sets.jacobianLag.push(line('1.0', [{ x: Math.min(...lags), y: 1 }, { x: Math.max(...lags), y: 1 }], this.theme.muted, true, 1));
      } else notes.jacobianLag.push(`${tag}not recorded (trace.jacobian is off)`);
      // Saturation scatter: one point per unit and gate.
      const styles = ['circle', 'triangle'] as const;
      GATE_ORDER[snap.cell].forEach((g, gi) => {
        const s = layer.saturation[g];
        if (!s) return;
        const p: Point[] = [];
        for (let u = 0; u < layer.units; u++) p.push({ x: s.low[u], y: s.high[u] });
        sets.saturation.push(markers(`${tag}${g}`, p, this.colour(gi), styles[k % 2], 3));
      });
      notes.saturation.push(`${tag}layer ${layer.layer}, snapshot at step ${snap.step}`);
      notes.gradT.push(`${tag}layer ${layer.layer}, snapshot at step ${snap.step}`);
    });
    for (const key of Object.keys(sets) as (keyof typeof sets)[]) {
      this.setChart(key, sets[key]);
      this.charts.get(key)!.note.textContent = notes[key].join('; ');
    }
  }

  private setChart(key: ChartKey, datasets: LineDataset[]): void {
    const slot = this.charts.get(key);
    if (slot) setDatasets(slot.chart, datasets);
  }
  // #endregion

  // #region heatmaps
  private renderHeatmaps(): void {
    const runs = this.state.shownRuns();
    const sel = this.state.selection;
    const plan = runs.map((run) => {
      const snap = this.state.snapshotOf(run);
      const layer = snap?.layers.find((l) => l.layer === sel.layer) ?? snap?.layers[0];
      return { run, snap, layer, names: snap && layer ? heatmapNames(snap, layer) : [] };
    });
    const layout = plan.map((p) => `${p.run.status.id}:${p.names.join(',')}`).join('|');
    if (layout !== this.heatmapLayout) {
      for (const h of this.heatmaps.values()) h.dispose();
      this.heatmaps.clear();
      this.heatmapColumns.replaceChildren();
      plan.forEach((p, k) => {
        const col = div('heatmap-column');
        const title = div('heatmap-run');
        title.textContent = runs.length > 1 ? p.run.status.name : '';
        col.append(title);
        if (!p.names.length) { const e = div('empty'); e.textContent = 'No snapshot recorded yet.'; col.append(e); }
        for (const name of p.names) {
          this.heatmaps.set(`${k}:${name}`, new Heatmap(col, heatmapTitle(name), this.theme, (unit) => this.select({ unit })));
        }
        this.heatmapColumns.append(col);
      });
      this.heatmapLayout = layout;
    }
    plan.forEach((p, k) => {
      const { snap, layer, run } = p;
      if (!snap || !layer) return;
      const labels = inputLabels(snap, run.status.vocabulary);
      for (const name of p.names) {
        const h = this.heatmaps.get(`${k}:${name}`);
        const values = layer.values[name];
        if (!h || !values) continue;
        const signed = isSigned(name);
        h.canvas.style.height = `${Math.min(260, Math.max(64, layer.units * 4)) + 16}px`;
        h.setData({
          name, values, steps: snap.steps, units: layer.units, labels,
          order: orderUnits(values, snap.steps, layer.units, this.order, signed),
          scale: scaleFor(name, values),
        }, sel.unit);
      }
    });
  }

  /** A heatmap by run position (0 or 1) and quantity name ('c', 'h', 'f', …); for tests and reveal. */
  heatmap(runIndex: number, name: string): Heatmap | undefined { return this.heatmaps.get(`${runIndex}:${name}`); }
  // #endregion
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
function inputLabels(snap: TraceSnapshot, vocabulary?: string[]): string[] | null {
  if (snap.tokens) return Array.from(snap.tokens, (id) => vocabulary?.[id] ?? `#${id}`);
  if (snap.inputs && snap.steps > 0) {
    const width = snap.inputs.length / snap.steps;
    return Array.from({ length: snap.steps }, (_, t) => Array.from(snap.inputs!.subarray(t * width, (t + 1) * width), (v) => fmt(v)).join(', '));
  }
  return null;
}

function series(steps: number[], records: MetricsRecord[], pick: (r: MetricsRecord) => number): Point[] {
  return downsampleMinMax(steps, records.map(pick), MAX_POINTS);
}

function pts(xs: ArrayLike<number>, ys: ArrayLike<number>): Point[] {
  const out: Point[] = [];
  for (let k = 0; k < Math.min(xs.length, ys.length); k++) if (Number.isFinite(ys[k])) out.push({ x: xs[k], y: ys[k] });
  return out;
}

function range(n: number): number[] { return Array.from({ length: n }, (_, k) => k); }

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

function div(cls: string): HTMLElement { const e = document.createElement('div'); e.className = cls; return e; }
function span(cls: string): HTMLElement { const e = document.createElement('span'); e.className = cls; return e; }
function section(id: string, title: string): HTMLElement {
  const s = document.createElement('section');
  s.dataset.chart = id;
  const h = document.createElement('h2');
  h.textContent = title;
  s.append(h);
  return s;
}
function labelled(text: string, input: HTMLElement): HTMLElement {
  const l = document.createElement('label');
  l.append(document.createTextNode(`${text} `), input);
  return l;
}
