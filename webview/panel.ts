// The panel: run headers, controls, diagnostics, the model's predictions, the curves and the time × unit heatmaps of one
// or two runs (Compare Runs). This file owns the state, the selection and the redraw schedule;
// each view family draws itself (webview/views/).

import type { Diagnostic } from '../src/core/analysis/diagnostics';
import type { Selection, ToWebviewMessage } from '../src/protocol/webview';
import { div } from './dom';
import type { Heatmap } from './heatmap';
import type { UnitOrder } from './logic/unitOrder';
import { PanelState } from './state';
import { readTheme, type Theme } from './theme';
import { Controls } from './views/controls';
import { Curves } from './views/curves';
import { DiagnosticsList } from './views/diagnosticsList';
import { Heatmaps } from './views/heatmaps';
import { renderMetricCurves } from './views/metricCurves';
import { Predictions } from './views/predictions';
import { renderRunHeaders } from './views/runHeaders';
import { renderSnapshotCurves } from './views/snapshotCurves';
import type { PanelHost } from './vscodeApi';

/** Redraws are batched to at most this rate while frames stream in. */
const MIN_FRAME_MS = 50;
/**
 * A drawn batch is acknowledged when the page is next idle, or after this long if it never is:
 * the host then sends the next one, so a renderer that is never idle still gets a frame a second.
 */
const ACK_IDLE_TIMEOUT_MS = 1000;

export class Panel {
  readonly state = new PanelState();
  private theme: Theme;
  private readonly headers = div('run-headers');
  private readonly controls: Controls;
  private readonly diagnostics: DiagnosticsList;
  private readonly curves: Curves;
  private readonly heatmaps: Heatmaps;
  private readonly predictions: Predictions;
  private order: UnitOrder = 'index';
  private dirty = { metrics: true, snapshots: true, header: true };
  private frame = 0;
  private lastFrame = 0;
  /** The host's last batch ("frame" id), to acknowledge once it is drawn. */
  private unacknowledged: number | undefined;

  constructor(private readonly root: HTMLElement, private readonly host: PanelHost) {
    this.theme = readTheme();
    this.controls = new Controls(!!host.embedded, {
      select: (part) => this.select(part),
      steps: () => this.primarySnapshotSteps(),
      order: (o) => { this.order = o; this.heatmaps.relayout(); this.invalidate('snapshots'); },
    });
    this.diagnostics = new DiagnosticsList((d) => this.showDiagnostic(d));
    this.curves = new Curves(this.theme, (x) => this.pickStepNear(x));
    this.heatmaps = new Heatmaps(this.theme, (unit) => this.select({ unit }));
    this.predictions = new Predictions(this.theme);
    root.append(this.headers, this.controls.element, this.diagnostics.element, this.predictions.element, this.curves.element, this.heatmaps.element);

    // VS Code switches themes by changing the body's class: re-read the colours.
    new MutationObserver(() => this.onThemeChange()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    // The report follows the viewer's light / dark preference.
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => this.onThemeChange());
  }

  /** Applies a host message and schedules a redraw. */
  handle(msg: ToWebviewMessage): void {
    if (msg.type === 'frame') {
      this.unacknowledged = msg.id;
      this.schedule();
      return;
    }
    const changed = this.state.apply(msg);
    if (changed.metrics) this.dirty.metrics = true;
    if (changed.snapshots || changed.selection) this.dirty.snapshots = true;
    if (changed.status || changed.runs || changed.metrics || changed.snapshots) this.dirty.header = true;
    if (msg.type === 'hydrate') this.heatmaps.relayout();
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
    try {
      const runs = this.state.shownRuns();
      if (d.header) renderRunHeaders(this.headers, runs);
      if (d.header || d.snapshots) this.controls.render(this.state);
      if (d.metrics) renderMetricCurves(this.curves, runs);
      if (d.snapshots) {
        renderSnapshotCurves(this.curves, this.state);
        this.predictions.render(this.state, this.curves);
        this.heatmaps.render(this.state, this.order);
      }
      if (d.header || d.snapshots || d.metrics) this.diagnostics.render(runs);
    } finally {
      // Also after a view failed to draw (reported by main.ts): the stream must go on.
      if (this.unacknowledged !== undefined) this.acknowledge(this.unacknowledged);
    }
  }

  /**
   * Tells the host that its batch up to frame `id` is drawn, once the page has painted it and been
   * idle (input, hovers and the workbench's own messages had their turn): only then does the host
   * post the next batch.
   */
  private acknowledge(id: number): void {
    this.unacknowledged = undefined;
    requestAnimationFrame(() => requestIdleCallback(() => this.host.postMessage({ type: 'drawn', id }), { timeout: ACK_IDLE_TIMEOUT_MS }));
  }

  private select(part: Partial<Selection>): void {
    const sel = { ...this.state.selection, ...part };
    this.state.selection = sel;
    const primary = this.state.shown[0];
    if (primary) this.host.postMessage({ type: 'select', runId: primary, selection: sel });
    this.invalidate('snapshots');
  }

  /** A diagnostic's "show": its layer and first unit selected, its chart revealed. */
  private showDiagnostic(d: Diagnostic): void {
    if (d.layer !== undefined || d.units?.length) this.select({ layer: d.layer ?? this.state.selection.layer, unit: d.units?.[0] ?? this.state.selection.unit });
    this.renderNow();
    this.reveal(d.chart);
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
    target.style.scrollMarginTop = `${Math.ceil(this.controls.element.getBoundingClientRect().height) + 6}px`;
    target.scrollIntoView({ block: 'start' });
    target.classList.add('revealed');
    setTimeout(() => target.classList.remove('revealed'), 1500);
  }

  private onThemeChange(): void {
    this.theme = readTheme();
    this.curves.setTheme(this.theme);
    this.heatmaps.setTheme(this.theme);
    this.predictions.setTheme(this.theme);
    this.dirty = { metrics: true, snapshots: true, header: true };
    this.schedule();
  }

  /** A heatmap by run position (0 or 1) and quantity name ('c', 'h', 'f', …); for tests and reveal. */
  heatmap(runIndex: number, name: string): Heatmap | undefined { return this.heatmaps.heatmap(runIndex, name); }
}
