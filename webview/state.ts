// The panel's copy of what the host owns: runs (status, metrics, snapshots), which runs are
// shown and the selection. Applies host messages; knows nothing of the DOM.

import { typedBytes, type TraceSnapshot } from '../src/protocol/trace';

/**
 * Snapshots the panel keeps per run between hydrates: the host's defaults (64, 256 MB). Without
 * a bound a long run at T = 1000, H = 256 would grow the webview by ~8 MB per snapshot.
 */
export const PANEL_SNAPSHOT_LIMITS = { count: 64, bytes: 256 * 1024 * 1024 };

import type { RunData, Selection, ToWebviewMessage } from '../src/protocol/webview';

export class PanelState {
  runs = new Map<string, RunData>();
  shown: string[] = [];
  selection: Selection = { layer: 0, unit: 0, step: null };

  /** Applies a host message; returns what changed. */
  apply(msg: ToWebviewMessage): { metrics?: boolean; snapshots?: boolean; status?: boolean; runs?: boolean; selection?: boolean } {
    switch (msg.type) {
      case 'hydrate':
        this.runs = new Map(msg.runs.map((r) => [r.status.id, { status: r.status, metrics: [...r.metrics], snapshots: [...r.snapshots] }]));
        this.shown = msg.shownRunIds.filter((id) => this.runs.has(id));
        if (!this.shown.length && msg.runs.length) this.shown = [msg.runs[0].status.id];
        this.selection = { ...msg.selection };
        return { metrics: true, snapshots: true, status: true, runs: true, selection: true };
      case 'status': {
        const run = this.runs.get(msg.status.id);
        if (run) run.status = msg.status;
        else this.runs.set(msg.status.id, { status: msg.status, metrics: [], snapshots: [] });
        if (!this.shown.length) this.shown = [msg.status.id];
        return { status: true, runs: !run };
      }
      case 'metrics': {
        const run = this.runs.get(msg.runId);
        if (!run) return {};
        const last = run.metrics.length ? run.metrics[run.metrics.length - 1].step : -Infinity;
        // A replayed frame may overlap what we have: keep steps strictly increasing.
        for (const r of msg.records) if (r.step > last || !run.metrics.length) run.metrics.push(r);
        return { metrics: this.shown.includes(msg.runId) };
      }
      case 'snapshot': {
        const run = this.runs.get(msg.runId);
        if (!run) return {};
        const at = run.snapshots.findIndex((s) => s.step === msg.snapshot.step);
        if (at >= 0) run.snapshots[at] = msg.snapshot;
        else {
          run.snapshots.push(msg.snapshot);
          run.snapshots.sort((a, b) => a.step - b.step);
          // Drop the oldest beyond the limits (the run folder keeps them all).
          let bytes = run.snapshots.reduce((n, s) => n + typedBytes(s), 0);
          while (run.snapshots.length > 1 && (run.snapshots.length > PANEL_SNAPSHOT_LIMITS.count || bytes > PANEL_SNAPSHOT_LIMITS.bytes)) {
            bytes -= typedBytes(run.snapshots.shift());
          }
        }
        return { snapshots: this.shown.includes(msg.runId) };
      }
      case 'reveal':
        this.selection = { ...this.selection, ...msg.selection };
        return { selection: true, snapshots: true };
      case 'frame':
        return {};
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${(never as { type: string }).type}`);
      }
    }
  }

  shownRuns(): RunData[] {
    return this.shown.map((id) => this.runs.get(id)).filter((r): r is RunData => r !== undefined);
  }

  /** The snapshot of a run the selection points at: that step, the nearest earlier one, or the latest. */
  snapshotOf(run: RunData): TraceSnapshot | undefined {
    const s = run.snapshots;
    if (!s.length) return undefined;
    const step = this.selection.step;
    if (step === null) return s[s.length - 1];
    let best: TraceSnapshot | undefined;
    for (const snap of s) if (snap.step <= step) best = snap;
    return best ?? s[0];
  }
}
