// Backpressure between the training loop and the IPC channel: metrics are coalesced and sent at a
// bounded rate, snapshots are sent one at a time and an unsent snapshot is replaced by a newer
// one, so a fast loop never floods the host (the run folder still gets every record).

import type { FromTrainerMessage, StreamLimits } from '../protocol/trainer';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../protocol/trace';

/** Sends one message; resolves when the channel has taken it (process.send's callback). */
export type Send = (msg: FromTrainerMessage) => Promise<void>;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface StreamStats {
  metricsMessages: number;
  metricsRecords: number;
  snapshotMessages: number;
  /** Snapshots replaced by a newer one before they could be sent. */
  snapshotsSkipped: number;
  statusMessages: number;
}

export class TrainerStream {
  private pendingMetrics: MetricsRecord[] = [];
  private lastMetricsSent = Number.NEGATIVE_INFINITY;
  private metricsTimer: unknown = null;

  private pendingSnapshot: TraceSnapshot[] | null = null;
  private snapshotInFlight = false;
  private lastSnapshotSent = Number.NEGATIVE_INFINITY;
  private snapshotTimer: unknown = null;

  private pendingStatus: RunStatus | null = null;
  private lastState: string | null = null;
  private statusTimer: unknown = null;

  private inFlight = new Set<Promise<void>>();
  readonly stats: StreamStats = { metricsMessages: 0, metricsRecords: 0, snapshotMessages: 0, snapshotsSkipped: 0, statusMessages: 0 };

  constructor(
    private readonly limits: StreamLimits,
    private readonly send: Send,
    private readonly clock: Clock = realClock,
  ) {}

  /**
   * A status: state changes go out at once (and flush the metrics before them, so the host
   * never sees "completed" before the last step); step-only updates ride with the metrics rate.
   */
  status(s: RunStatus): void {
    if (s.state !== this.lastState) {
      this.lastState = s.state;
      this.flushMetrics();
      this.pendingStatus = null;
      this.post({ type: 'status', status: s });
      this.stats.statusMessages++;
      return;
    }
    this.pendingStatus = s;
    if (this.statusTimer === null) {
      this.statusTimer = this.clock.setTimeout(() => {
        this.statusTimer = null;
        this.flushStatus();
      }, this.limits.metricsIntervalMs);
    }
  }

  metrics(m: MetricsRecord): void {
    this.pendingMetrics.push(m);
    const wait = this.lastMetricsSent + this.limits.metricsIntervalMs - this.clock.now();
    if (wait <= 0) this.flushMetrics();
    else if (this.metricsTimer === null) {
      this.metricsTimer = this.clock.setTimeout(() => {
        this.metricsTimer = null;
        this.flushMetrics();
      }, wait);
    }
  }

  snapshot(s: TraceSnapshot[]): void {
    if (this.pendingSnapshot) this.stats.snapshotsSkipped++;
    this.pendingSnapshot = s;
    this.pumpSnapshot();
  }

  log(line: string): void {
    this.post({ type: 'log', line });
  }

  /** Sends everything pending now (before a final status or exit) and waits until it is written. */
  async drain(): Promise<void> {
    this.flushMetrics();
    this.flushStatus();
    for (;;) {
      if (this.snapshotTimer !== null) {
        this.clock.clearTimeout(this.snapshotTimer);
        this.snapshotTimer = null;
      }
      if (this.pendingSnapshot && !this.snapshotInFlight) this.sendSnapshot();
      if (!this.inFlight.size) return;
      await Promise.all([...this.inFlight]);
    }
  }

  private flushMetrics(): void {
    if (this.metricsTimer !== null) {
      this.clock.clearTimeout(this.metricsTimer);
      this.metricsTimer = null;
    }
    if (!this.pendingMetrics.length) return;
    const records = this.pendingMetrics;
    this.pendingMetrics = [];
    this.lastMetricsSent = this.clock.now();
    this.stats.metricsMessages++;
    this.stats.metricsRecords += records.length;
    this.post({ type: 'metrics', records });
  }

  private flushStatus(): void {
    if (this.statusTimer !== null) {
      this.clock.clearTimeout(this.statusTimer);
      this.statusTimer = null;
    }
    if (!this.pendingStatus) return;
    const s = this.pendingStatus;
    this.pendingStatus = null;
    this.stats.statusMessages++;
    this.post({ type: 'status', status: s });
  }

  private pumpSnapshot(): void {
    if (!this.pendingSnapshot || this.snapshotInFlight || this.snapshotTimer !== null) return;
    const wait = this.lastSnapshotSent + this.limits.snapshotIntervalMs - this.clock.now();
    if (wait > 0) {
      this.snapshotTimer = this.clock.setTimeout(() => {
        this.snapshotTimer = null;
        this.pumpSnapshot();
      }, wait);
      return;
    }
    this.sendSnapshot();
  }

  private sendSnapshot(): void {
    const snapshots = this.pendingSnapshot;
    if (!snapshots) return;
    this.pendingSnapshot = null;
    this.snapshotInFlight = true;
    this.lastSnapshotSent = this.clock.now();
    this.stats.snapshotMessages++;
    const p = this.post({ type: 'snapshot', snapshots });
    void p.then(() => {
      this.snapshotInFlight = false;
      this.pumpSnapshot();
    });
  }

  private post(msg: FromTrainerMessage): Promise<void> {
    const p = this.send(msg).catch(() => undefined);
    this.inFlight.add(p);
    void p.then(() => this.inFlight.delete(p));
    return p;
  }

  dispose(): void {
    for (const t of [this.metricsTimer, this.snapshotTimer, this.statusTimer]) if (t !== null) this.clock.clearTimeout(t);
    this.metricsTimer = this.snapshotTimer = this.statusTimer = null;
  }
}
