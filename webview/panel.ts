// The panel: run headers, controls (layer, unit, unit order, snapshot scrubber), diagnostics,
// the curves (loss, gradient norms, learning rate, per-timestep gradients, reach, ∏f, Jacobian
// spectra, gate saturation) and the time × unit heatmaps; one or two runs (Compare Runs).

import { backendText } from '../src/protocol/backendText';
import { GATE_ORDER, hasCellState } from '../src/protocol/spec';
import type { LayerTrace, MetricsRecord, TraceSnapshot } from '../src/protocol/trace';
import type { Selection, ToWebviewMessage } from '../src/protocol/webview';
import { diagnose, type ChartId } from '../src/core/analysis/diagnostics';
import { forgetProduct, REACH_THRESHOLD, reachByLag, summariseReach } from '../src/core/analysis/gradientReach';
import { applyTheme, Chart, line, makeChart, markers, positive, setDatasets, type ChartOptions, type LineDataset } from './charts';
import { Heatmap } from './heatmap';
import { isSigned, scaleFor } from './logic/colormap';
import { downsampleMinMax, type Point } from './logic/downsample';
import { LOG_FLOOR, onLogAxis, tickLabel } from './logic/logTicks';
import { orderUnits, UNIT_ORDERS, type UnitOrder } from './logic/unitOrder';
import { PanelState } from './state';
import { readTheme, type Theme } from './theme';
import type { PanelHost } from './vscodeApi';

/** Longest series drawn per dataset; longer metric series are min/max-downsampled. */
const MAX_POINTS = 1500;
/** Redraws are batched to at most this rate while frames stream in. */
const MIN_FRAME_MS = 50;

type ChartKey = Exclude<ChartId, 'heatmaps' | 'diagnostics'>;

/** Compare Runs: theme series colour of each run (blue, orange), and the dash of each series of a run. */
const RUN_COLOURS = [0, 3];
const SERIES_DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3], [1, 3]];

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
  private readonly heatNote: HTMLElement;
  private readonly clampNote: HTMLElement;
  private readonly controls: HTMLElement;
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
    this.controls = controls;
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
    this.clampNote = span('clamp-note');
    // A report is finished: nothing arrives to follow.
    const follow = host.embedded ? [] : [labelled('follow latest', this.follow)];
    controls.append(labelled('Layer', this.layerSelect), labelled('Unit', this.unitInput), this.orderSelect,
      labelled('Snapshot', this.scrubber), this.stepLabel, ...follow, this.clampNote);

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
      // Reachable by keyboard, named for screen readers; the note below says what it shows.
      canvas.tabIndex = 0;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${spec.title} chart (${spec.xTitle} against ${spec.yTitle})`);
      box.append(canvas);
      s.append(note, box);
      grid.append(s);
      const onClickX = key === 'loss' || key === 'gradNorm' ? (x: number) => this.pickStepNear(x) : undefined;
      this.charts.set(key, { section: s, note, chart: makeChart(canvas, this.theme, { ...spec, onClickX }) });
    }
    const heat = section('heatmaps', 'States and gates (time × unit)');
    this.heatmapColumns = div('heatmap-columns');
    this.heatNote = div('chart-note');
    heat.append(this.heatNote, this.heatmapColumns);
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
    // The report follows the viewer's light / dark preference.
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => this.onThemeChange());
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
    // The sticky controls bar covers the top of the viewport: stop the title below it.
    target.style.scrollMarginTop = `${Math.ceil(this.controls.getBoundingClientRect().height) + 6}px`;
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
      if (s.reason && (s.state === 'failed' || s.state === 'stopped' || s.state === 'interrupted')) {
        const r = div('run-reason'); r.textContent = s.reason; h.append(r);
      }
      // E.g. a run folder that cannot be written: the run is not saved, and the header says so.
      for (const w of s.warnings ?? []) {
        const r = div('run-warning'); r.textContent = `⚠ ${w}`; h.append(r);
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
    // A choice this run does not have (made on another run) is clamped here, and said so.
    const layer = layers.includes(sel.layer) ? sel.layer : layers[0];
    const units = snap?.layers.find((l) => l.layer === layer)?.units ?? 0;
    const unit = units ? Math.min(sel.unit, units - 1) : sel.unit;
    this.layerSelect.value = String(layer ?? sel.layer);
    this.unitInput.max = String(Math.max(0, units - 1));
    this.unitInput.value = String(unit);
    const clamped: string[] = [];
    if (layer !== undefined && layer !== sel.layer) clamped.push(`layer ${sel.layer} is not in this run: showing layer ${layer}`);
    if (unit !== sel.unit) clamped.push(`unit ${sel.unit} is beyond this run's ${units} units: showing unit ${unit}`);
    this.clampNote.textContent = clamped.join('; ');
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

  /**
   * Colour and dash of series `k` of run `run`. One run: a colour per series. Compare Runs: a
   * colour per run (blue, orange) and a dash per series, so the legend reads by run.
   */
  private pen(run: number, k: number, compare: boolean): { colour: string; dash: number[] } {
    if (!compare) return { colour: this.colour(k), dash: [] };
    return { colour: this.colour(RUN_COLOURS[run % RUN_COLOURS.length]), dash: SERIES_DASHES[k % SERIES_DASHES.length] };
  }

  private renderMetricCharts(): void {
    const runs = this.state.shownRuns();
    const two = runs.length > 1;
    const loss: LineDataset[] = [], grad: LineDataset[] = [], lr: LineDataset[] = [];
    const lrNotes: string[] = [];
    let lrCurves = 0;
    this.setLegendByRun(runs.map((r) => r.status.name));
    runs.forEach((run, k) => {
      const tag = two ? `${run.status.name} · ` : '';
      const pen = (i: number): [string, number[]] => { const p = this.pen(k, i, two); return [p.colour, p.dash]; };
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
        loss.push(line(`${tag}baseline ${fmt(b)}`, [{ x: steps[0], y: b }, { x: steps[steps.length - 1], y: b }], this.theme.muted, true, 1));
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
    this.setChart('loss', loss);
    this.setChart('gradNorm', grad);
    this.setChart('learningRate', lr);
    const lrSlot = this.charts.get('learningRate')!;
    lrSlot.note.textContent = lrNotes.join('; ');
    lrSlot.section.classList.toggle('folded', lrCurves === 0 && lrNotes.length > 0);
    const clipNote = runs.map((r) => {
      const n = r.metrics.filter((x) => x.clipped).length;
      return r.metrics.length ? `${two ? `${r.status.name}: ` : ''}clipping fired in ${n} of ${r.metrics.length} steps` : '';
    }).filter(Boolean).join('; ');
    this.charts.get('gradNorm')!.note.textContent = clipNote;
  }

  /** Compare Runs: the legends list the runs by colour and the series by dash instead of every pair. */
  private setLegendByRun(names: string[]): void {
    for (const [key, slot] of this.charts) {
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

  private renderSnapshotCharts(): void {
    const runs = this.state.shownRuns();
    const two = runs.length > 1;
    const sel = this.state.selection;
    const sets: Record<'gradT' | 'reach' | 'forgetProduct' | 'jacobianT' | 'jacobianLag' | 'saturation', LineDataset[]> =
      { gradT: [], reach: [], forgetProduct: [], jacobianT: [], jacobianLag: [], saturation: [] };
    this.setLegendByRun(runs.map((r) => r.status.name));
    const notes: Record<string, string[]> = { reach: [], forgetProduct: [], jacobianT: [], jacobianLag: [], saturation: [], gradT: [] };
    runs.forEach((run, k) => {
      const snap = this.state.snapshotOf(run);
      const layer = snap?.layers.find((l) => l.layer === sel.layer) ?? snap?.layers[0];
      if (!snap || !layer) return;
      const tag = two ? `${run.status.name} · ` : '';
      const pen = (i: number): [string, number[]] => { const p = this.pen(k, i, two); return [p.colour, p.dash]; };
      const T = snap.steps, tau = snap.reachFrom;
      const ts = range(T);
      // Per-timestep gradient norms (lecture §1–2), log axis.
      if (layer.dcNorm) sets.gradT.push(line(`${tag}‖∂L/∂c_t‖`, positive(pts(ts, layer.dcNorm)), ...pen(0)));
      sets.gradT.push(line(`${tag}‖∂L/∂h_t‖`, positive(pts(ts, layer.dhNorm)), ...pen(3)));
      // Gradient reach against the lag, with the lag where it falls below 1e-3 of its peak.
      const reaches: [string, Float32Array | undefined, number][] = [['c', layer.reachC, 0], ['h', layer.reachH, 3]];
      for (const [which, reach, colour] of reaches) {
        if (!reach) continue;
        const byLag = reachByLag(reach, tau);
        sets.reach.push(line(`${tag}‖∂ℓ_τ/∂${which}_t‖`, positive(pts(range(tau + 1), byLag)), ...pen(colour)));
        const r = summariseReach(reach, tau);
        if (r.peak > 0) {
          const floor = r.peak * REACH_THRESHOLD;
          if (r.lag !== null) {
            sets.reach.push(line(`${tag}${which}: below 1e-3 of peak at lag ${r.lag}`, [{ x: r.lag, y: floor * 0.1 }, { x: r.lag, y: r.peak }], pen(colour)[0], true, 1));
            notes.reach.push(`${tag}‖∂ℓ_τ/∂${which}_t‖ falls below 1e-3 of its peak at lag ${r.lag} (τ = ${tau})`);
          } else notes.reach.push(`${tag}‖∂ℓ_τ/∂${which}_t‖ stays above 1e-3 of its peak back to t = 0 (lag ${tau}: ${fmt(r.ratioAtMaxLag)} of peak)`);
        }
      }
      // ∂c_τ/∂c_t = ∏ f_k beside the measured reach (both 1 at t = τ).
      const f = layer.values.f;
      if (f && hasCellState(snap.cell)) {
        const unit = Math.min(sel.unit, layer.units - 1);
        // ∏f underflows for a shut gate: values below float range are drawn at the floor and said so.
        const one = onLogAxis(pts(ts, forgetProduct(f, T, layer.units, tau, unit)), true);
        const mean = onLogAxis(pts(ts, forgetProduct(f, T, layer.units, tau, 'mean')), true);
        sets.forgetProduct.push(line(`${tag}∏f, unit ${unit}`, one.points, ...pen(2)));
        sets.forgetProduct.push(line(`${tag}∏f, mean over units`, mean.points, ...pen(4)));
        if (one.floored || mean.floored) notes.forgetProduct.push(`${tag}${one.floored + mean.floored} values of ∏f are below float range (< ${tickLabel(LOG_FLOOR)}) and drawn at ${tickLabel(LOG_FLOOR)}`);
        if (layer.reachC && layer.reachC[tau] > 0) {
          const at = layer.reachC[tau];
          sets.forgetProduct.push(line(`${tag}measured ‖∂ℓ_τ/∂c_t‖ ÷ value at τ`, positive(pts(ts, Float64Array.from(layer.reachC, (v, t) => (t <= tau ? v / at : NaN)))), ...pen(0)));
        }
        if (layer.dc) {
          const H = layer.units, dc = layer.dc;
          const mag = Float64Array.from({ length: T }, (_, t) => Math.abs(dc[t * H + unit]));
          const top = Math.max(...mag.filter(Number.isFinite));
          if (top > 0) sets.forgetProduct.push(line(`${tag}|∂L/∂c_t| unit ${unit} ÷ max`, positive(pts(ts, mag.map((v) => v / top))), ...pen(1), 1));
        }
        notes.forgetProduct.push(`${tag}τ = ${tau}; ∏f is the direct cell path only (∂c_t/∂c_{t-1} = diag(f_t) along c alone); the measured reach also counts the paths through h`);
      } else notes.forgetProduct.push(`${tag}${snap.cell} has no forget gate on a cell state`);
      // Jacobian spectra.
      if (layer.jacobianSigma) {
        sets.jacobianT.push(line(`${tag}σ_max(J_t)`, positive(pts(ts, layer.jacobianSigma)), ...pen(0)));
        if (k === 0) sets.jacobianT.push(line('1.0', [{ x: 0, y: 1 }, { x: Math.max(1, T - 1), y: 1 }], this.theme.muted, true, 1));
      } else notes.jacobianT.push(`${tag}not recorded (trace.jacobian is off)`);
      if (layer.jacobianLagSigma && layer.jacobianLags) {
        const lags = [...layer.jacobianLags];
        sets.jacobianLag.push(line(`${tag}σ_max(J_τ⋯J_{τ-k+1})`, positive(pts(lags, layer.jacobianLagSigma)), ...pen(1)));
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
    // Compare Runs: like with like. The quantities both runs have come first, in the same rows and
    // at the same height (h beside h; c only when both have it); each run's own gates follow.
    const shared = plan.length > 1 ? plan[0].names.filter((n) => plan.every((p) => p.names.includes(n))) : [];
    if (shared.length) for (const p of plan) p.names = [...shared, ...p.names.filter((n) => !shared.includes(n))];
    const sharedUnits = Math.max(0, ...plan.map((p) => p.layer?.units ?? 0));
    const numericRuns = plan.filter((p) => p.snap && !p.snap.tokens && p.snap.inputs);
    this.heatNote.textContent = numericRuns.map((p) => `${plan.length > 1 ? `${p.run.status.name}: ` : ''}time axis shows t; hover a cell for its input value${p.run.status.spec.data.kind === 'csv' ? ' (standardised: the training rows’ mean subtracted, divided by their deviation)' : ''}`).join('; ');
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
        const rows = shared.includes(name) ? sharedUnits : layer.units;
        h.canvas.style.height = `${Math.min(260, Math.max(64, rows * 4)) + 16}px`;
        h.setData({
          name, values, steps: snap.steps, units: layer.units, labels, labelsOnAxis: !!snap.tokens,
          order: orderUnits(values, snap.steps, layer.units, this.order, signed),
          scale: scaleFor(name, values),
        }, Math.min(sel.unit, layer.units - 1));
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
