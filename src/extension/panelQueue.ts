// What the panel host posts to the webview between two frames: deltas queued while the panel is
// visible and flushed at most `maxFps` times a second, and the hydrate payload (full state,
// long metric series thinned so one message stays small). No vscode import: unit-tested.

import { randomBytes } from 'node:crypto';
import type { HydrateMessage, RunData, Selection, ToWebviewMessage } from '../protocol/webview';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../protocol/trace';

/** Hydrate sends at most this many metrics records per run; the webview only draws a few thousand. */
export const MAX_HYDRATE_METRICS = 20_000;
/** Snapshots queued per run between frames; older ones wait for the next hydrate (they are in the store). */
export const MAX_QUEUED_SNAPSHOTS = 4;

export class DeltaQueue {
  private statuses = new Map<string, RunStatus>();
  private metrics = new Map<string, MetricsRecord[]>();
  private snapshots = new Map<string, TraceSnapshot[]>();
  /** Snapshots that did not fit in the queue since the last take(). */
  dropped = 0;

  get isEmpty(): boolean {
    return !this.statuses.size && !this.metrics.size && !this.snapshots.size;
  }

  status(s: RunStatus): void {
    this.statuses.set(s.id, s);
  }

  addMetrics(runId: string, records: MetricsRecord[]): void {
    const q = this.metrics.get(runId);
    if (q) q.push(...records);
    else this.metrics.set(runId, [...records]);
  }

  addSnapshot(runId: string, s: TraceSnapshot): void {
    const q = this.snapshots.get(runId) ?? [];
    q.push(s);
    while (q.length > MAX_QUEUED_SNAPSHOTS) {
      q.shift();
      this.dropped++;
    }
    this.snapshots.set(runId, q);
  }

  /** The messages of one frame, in an order the webview can apply: metrics, snapshots, then status. */
  take(): ToWebviewMessage[] {
    const out: ToWebviewMessage[] = [];
    for (const [runId, records] of this.metrics) out.push({ type: 'metrics', runId, records });
    for (const [runId, list] of this.snapshots) for (const snapshot of list) out.push({ type: 'snapshot', runId, snapshot });
    // Status last: "completed" should arrive after the last step it reports.
    for (const status of this.statuses.values()) out.push({ type: 'status', status });
    this.clear();
    return out;
  }

  clear(): void {
    this.statuses.clear();
    this.metrics.clear();
    this.snapshots.clear();
  }
}

/**
 * At most `max` records, evenly spread over the run, always with the first and the last; each
 * kept record is a real one (its `step` exact), so curves keep their shape and their ends.
 */
export function thinMetrics(records: MetricsRecord[], max = MAX_HYDRATE_METRICS): MetricsRecord[] {
  if (records.length <= max) return records;
  const out: MetricsRecord[] = [];
  const stride = (records.length - 1) / (max - 1);
  let prev = -1;
  for (let k = 0; k < max; k++) {
    const i = Math.round(k * stride);
    if (i !== prev) out.push(records[i]);
    prev = i;
  }
  return out;
}

/**
 * A snapshot whose typed arrays are views into one shared ArrayBuffer, as snapshots arrive from
 * the trainer's IPC channel. Snapshots read from a run folder hold one small buffer per array,
 * and those reached a code-server webview as empty arrays (seen in the end-to-end tests after
 * Open Run and Reload Window); the packed form is the one the live stream proves to work.
 */
export function packSnapshot<T>(snapshot: T): T {
  const arrays: (Float32Array | Int32Array)[] = [];
  const collect = (v: unknown, depth: number): void => {
    if (v instanceof Float32Array || v instanceof Int32Array) arrays.push(v);
    else if (v && typeof v === 'object' && depth < 6) for (const x of Object.values(v)) collect(x, depth + 1);
  };
  collect(snapshot, 0);
  const buffer = new ArrayBuffer(arrays.reduce((n, a) => n + a.byteLength, 0));
  const copies = new Map<unknown, Float32Array | Int32Array>();
  let offset = 0;
  for (const a of arrays) {
    const view = a instanceof Float32Array ? new Float32Array(buffer, offset, a.length) : new Int32Array(buffer, offset, a.length);
    view.set(a);
    copies.set(a, view);
    offset += a.byteLength;
  }
  const rebuild = (v: unknown, depth: number): unknown => {
    if (copies.has(v)) return copies.get(v);
    if (Array.isArray(v)) return v.map((x) => rebuild(x, depth + 1));
    if (v && typeof v === 'object' && depth < 6) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebuild(x, depth + 1)]));
    return v;
  };
  return rebuild(snapshot, 0) as T;
}

export function hydrateMessage(runs: RunData[], shownRunIds: string[], selection: Selection): HydrateMessage {
  return {
    type: 'hydrate',
    runs: runs.map((r) => ({ ...r, metrics: thinMetrics(r.metrics), snapshots: r.snapshots.map((s) => packSnapshot(s)) })),
    shownRunIds,
    selection,
  };
}

/**
 * A nonce for the webview's script tag (CSP `script-src 'nonce-…'`): 128 bits from the OS's
 * cryptographic source (Math.random is predictable), base64url so it needs no escaping.
 */
export function makeNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The panel's whole HTML: the agreed body (`<div id="app">` + the bundle) under a strict CSP. */
export function panelHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; title: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(o.styleUri)}">
<title>${esc(o.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${o.nonce}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}
