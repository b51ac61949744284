// The host's memory of every run it knows (live or reopened from a run folder): status, a bounded
// ring of metrics and of trace snapshots, the selection shared by panel, inspector and sidebar,
// and where a debug session holds a run. Plain TypeScript (no vscode import) so it is unit-tested
// under node.

import type { Selection } from '../protocol/webview';
import type { MetricsRecord, RunState, RunStatus, TraceSnapshot } from '../protocol/trace';
import { Emitter, type Event } from './events';
import { Ring, typedBytes } from './ring';

/** What a run folder holds, as read back by the core's `readRun(dir)`. */
export interface LoadedRun {
  status: RunStatus;
  metrics: MetricsRecord[];
  snapshots: TraceSnapshot[];
}

export interface RunStoreLimits {
  /** Metrics records kept per run (a record is ~200 bytes). */
  maxMetrics: number;
  /** Trace snapshots kept per run; older ones stay in the run folder. */
  maxSnapshots: number;
  /** Byte budget for the snapshots of one run (the newest is always kept). */
  snapshotBytes: number;
}

export const DEFAULT_LIMITS: RunStoreLimits = {
  // 100k steps cover any run this tool makes in memory at ~20 MB.
  maxMetrics: 100_000,
  // A T = 1000, H = 256 LSTM snapshot is ~10 MB: 64 of them or 256 MB, whichever is less.
  maxSnapshots: 64,
  snapshotBytes: 256 * 1024 * 1024,
};

/** Whether a run can still change (its trainer is alive). */
export function isActiveState(state: RunState): boolean {
  return state === 'starting' || state === 'running' || state === 'paused';
}

export interface RunEvent {
  runId: string;
  status: RunStatus;
  /** 'added' the first time the store sees the run, 'removed' when it is forgotten. */
  kind: 'added' | 'changed' | 'removed';
}
export interface MetricsEvent { runId: string; records: MetricsRecord[] }
export interface SnapshotEvent { runId: string; snapshot: TraceSnapshot }
export interface SelectionEvent { runId: string | null; selection: Selection }

/**
 * Where a debug session holds a run: the paused optimisation step, that step's traced sample and
 * the timestep of the Call Stack frame the user looks at (null: the step-level frame).
 */
export interface DebugStop {
  runId: string;
  step: number;
  t: number | null;
  /** The paused step's traced sample (null when the step was not traced). */
  snapshot: TraceSnapshot | null;
  /** The character-level training text (absolute path) the sample was read from, if any. */
  dataFile?: string;
}

/** Evaluates a text with a live run's current model (provided by the run's trainer process). */
export type TraceTextProvider = (text: string) => Promise<TraceSnapshot>;

interface Entry {
  status: RunStatus;
  runDir: string | null;
  metrics: Ring<MetricsRecord>;
  snapshots: Ring<TraceSnapshot>;
  traceText?: TraceTextProvider;
  /** A run folder listed but not read yet: its metrics and snapshots are read on first use. */
  unread?: boolean;
}

export class RunStore {
  private readonly entries = new Map<string, Entry>();
  private readonly _onDidChangeRun = new Emitter<RunEvent>();
  private readonly _onDidAddMetrics = new Emitter<MetricsEvent>();
  private readonly _onDidAddSnapshot = new Emitter<SnapshotEvent>();
  private readonly _onDidChangeSelection = new Emitter<SelectionEvent>();
  private _selection: SelectionEvent = { runId: null, selection: { layer: 0, unit: 0, step: null } };
  private readonly perRun = new Map<string, Selection>();
  private readonly _onDidChangeDebugStop = new Emitter<DebugStop | undefined>();
  private _debugStop: DebugStop | undefined;

  /** A run was added, its status changed (state, step, backend, reason) or it was removed. */
  readonly onDidChangeRun: Event<RunEvent> = this._onDidChangeRun.event;
  /** New metrics records of a run (in step order). */
  readonly onDidAddMetrics: Event<MetricsEvent> = this._onDidAddMetrics.event;
  /** A new trace snapshot of a run. */
  readonly onDidAddSnapshot: Event<SnapshotEvent> = this._onDidAddSnapshot.event;
  /** The selected run / layer / unit / step changed (panel, inspector or sidebar). */
  readonly onDidChangeSelection: Event<SelectionEvent> = this._onDidChangeSelection.event;
  /** A debug session stopped, selected another frame, or ran on (undefined). */
  readonly onDidChangeDebugStop: Event<DebugStop | undefined> = this._onDidChangeDebugStop.event;

  constructor(
    private readonly limits: RunStoreLimits = DEFAULT_LIMITS,
    private readonly readRun?: (dir: string) => LoadedRun,
  ) {}

  // #region getters
  /** Ids of every known run, oldest first. */
  runIds(): string[] {
    return [...this.entries.keys()];
  }
  /** Status of every known run, oldest first. */
  runs(): RunStatus[] {
    return [...this.entries.values()].map((e) => e.status);
  }
  has(runId: string): boolean {
    return this.entries.has(runId);
  }
  status(runId: string): RunStatus | undefined {
    return this.entries.get(runId)?.status;
  }
  /** Metrics kept in memory, oldest first. */
  metrics(runId: string): MetricsRecord[] {
    return this.read(runId)?.metrics.toArray() ?? [];
  }
  /** The newest metrics record in memory; a listed run folder is not read for it. */
  lastMetrics(runId: string): MetricsRecord | undefined {
    const e = this.entries.get(runId);
    return e?.unread ? undefined : e?.metrics.last();
  }
  /** Snapshots kept in memory, oldest first. */
  snapshots(runId: string): TraceSnapshot[] {
    return this.read(runId)?.snapshots.toArray() ?? [];
  }
  latestSnapshot(runId: string): TraceSnapshot | undefined {
    return this.read(runId)?.snapshots.last();
  }
  /** The run folder, or null for a memory-only run. */
  runDir(runId: string): string | null {
    return this.entries.get(runId)?.runDir ?? null;
  }
  /** Number of snapshots evicted from memory (still on disk when the run has a folder). */
  droppedSnapshots(runId: string): number {
    return this.entries.get(runId)?.snapshots.dropped ?? 0;
  }
  isLive(runId: string): boolean {
    const s = this.status(runId);
    return !!s && isActiveState(s.state);
  }
  /** Runs whose trainer is alive. */
  liveRuns(): RunStatus[] {
    return this.runs().filter((s) => isActiveState(s.state));
  }
  get selection(): SelectionEvent {
    return this._selection;
  }
  /** The last selection made on this run (each run keeps its own layer, unit and step). */
  selectionOf(runId: string): Selection {
    return this.perRun.get(runId) ?? { layer: 0, unit: 0, step: null };
  }
  /** Where a debug session holds a run, while it does. */
  get debugStop(): DebugStop | undefined {
    return this._debugStop;
  }
  /** The debug stop of this run, if a debug session holds it. */
  debugStopOf(runId: string): DebugStop | undefined {
    return this._debugStop?.runId === runId ? this._debugStop : undefined;
  }
  // #endregion

  // #region mutations (the run manager and the run-folder loader call these)
  /** Adds a run, or replaces what the store holds about it. */
  addRun(status: RunStatus, runDir: string | null, history?: { metrics?: MetricsRecord[]; snapshots?: TraceSnapshot[] }): void {
    const existed = this.entries.get(status.id);
    const e: Entry = {
      status,
      runDir,
      metrics: new Ring<MetricsRecord>(this.limits.maxMetrics),
      snapshots: new Ring<TraceSnapshot>(this.limits.maxSnapshots, (s) => typedBytes(s), this.limits.snapshotBytes),
      traceText: existed?.traceText,
    };
    if (history?.metrics) e.metrics.push(...history.metrics);
    if (history?.snapshots) e.snapshots.push(...history.snapshots);
    this.entries.set(status.id, e);
    this._onDidChangeRun.fire({ runId: status.id, status, kind: existed ? 'changed' : 'added' });
  }

  /**
   * Lists a run folder without reading it (the Runs view at activation): its metrics and
   * snapshots are read the first time something asks for them. A run already known is kept.
   */
  addSavedRun(status: RunStatus, runDir: string): void {
    if (this.entries.has(status.id)) return;
    this.addRun(status, runDir);
    (this.entries.get(status.id) as Entry).unread = true;
  }

  /** The entry, with a listed run folder read in on first use. */
  private read(runId: string): Entry | undefined {
    const e = this.entries.get(runId);
    if (!e?.unread || !e.runDir || !this.readRun) return e;
    e.unread = false;
    try {
      const run = this.readRun(e.runDir);
      e.metrics.push(...run.metrics);
      e.snapshots.push(...run.snapshots);
    } catch {
      // Unreadable now (deleted, damaged): the listed status is all there is to show.
    }
    return e;
  }

  /** Reads a run folder (Open Run, window reload). Throws what the reader throws. */
  loadRun(dir: string): RunStatus {
    if (!this.readRun) throw new Error('no run-folder reader configured');
    const run = this.readRun(dir);
    // A folder whose trainer is gone but whose status still says "running" was cut short
    // (window closed, machine crashed): show it as such rather than as live.
    let status = run.status;
    if (this.isLive(status.id)) return this.status(status.id) as RunStatus;
    if (isActiveState(status.state)) {
      status = { ...status, state: 'interrupted', reason: status.reason ?? `the trainer ended without a final status after step ${status.step}` };
    }
    this.addRun(status, dir, { metrics: run.metrics, snapshots: run.snapshots });
    return status;
  }

  updateStatus(status: RunStatus): void {
    const e = this.entries.get(status.id);
    if (!e) return this.addRun(status, null);
    e.status = status;
    this._onDidChangeRun.fire({ runId: status.id, status, kind: 'changed' });
  }

  appendMetrics(runId: string, records: MetricsRecord[]): void {
    const e = this.entries.get(runId);
    if (!e || records.length === 0) return;
    e.metrics.push(...records);
    this._onDidAddMetrics.fire({ runId, records });
  }

  addSnapshot(runId: string, snapshot: TraceSnapshot): void {
    const e = this.entries.get(runId);
    if (!e) return;
    e.snapshots.push(snapshot);
    this._onDidAddSnapshot.fire({ runId, snapshot });
  }

  removeRun(runId: string): void {
    const e = this.entries.get(runId);
    if (!e) return;
    this.entries.delete(runId);
    this.perRun.delete(runId);
    if (this._debugStop?.runId === runId) this.setDebugStop(undefined);
    this._onDidChangeRun.fire({ runId, status: e.status, kind: 'removed' });
  }

  setSelection(runId: string | null, selection: Selection): void {
    this._selection = { runId, selection };
    if (runId !== null) this.perRun.set(runId, selection);
    this._onDidChangeSelection.fire(this._selection);
  }

  /** A debug session stopped on a run or selected another frame; undefined when it ran on or ended. */
  setDebugStop(stop: DebugStop | undefined): void {
    const prev = this._debugStop;
    if (!stop && !prev) return;
    if (stop && prev && stop.runId === prev.runId && stop.step === prev.step && stop.t === prev.t && stop.snapshot === prev.snapshot) return;
    this._debugStop = stop;
    this._onDidChangeDebugStop.fire(stop);
  }

  /** The debug session of `runId` ran on (or ended): its stop is cleared; another run's stays. */
  clearDebugStop(runId: string): void {
    if (this._debugStop?.runId === runId) this.setDebugStop(undefined);
  }
  // #endregion

  // #region text evaluation (inline gate inspector)
  /** Called by the run manager while the run's trainer is alive (undefined when it exits). */
  setTraceTextProvider(runId: string, provider: TraceTextProvider | undefined): void {
    const e = this.entries.get(runId);
    if (e) e.traceText = provider;
  }
  canTraceText(runId: string): boolean {
    return !!this.entries.get(runId)?.traceText;
  }
  /**
   * Runs `text` through the latest saved weights of `runId` (its live trainer, or an evaluator
   * process once the trainer has gone): a TraceSnapshot whose timesteps are the text's characters
   * (tokens = their ids in the run's vocabulary). Rejects when no provider is registered or the
   * run cannot evaluate text (e.g. a synthetic task).
   */
  traceText(runId: string, text: string): Promise<TraceSnapshot> {
    const p = this.entries.get(runId)?.traceText;
    if (!p) return Promise.reject(new Error(`run ${runId} cannot evaluate text (no live trainer and no saved weights)`));
    return p(text);
  }
  // #endregion

  dispose(): void {
    this._onDidChangeRun.dispose();
    this._onDidAddMetrics.dispose();
    this._onDidAddSnapshot.dispose();
    this._onDidChangeSelection.dispose();
    this._onDidChangeDebugStop.dispose();
    this.entries.clear();
  }
}
