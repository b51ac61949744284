// What the panel host posts to the webview between two frames: deltas queued while the panel is
// visible and flushed at most `maxFps` times a second, and the hydrate payload (full state,
// long metric series thinned so one message stays small). No vscode import: unit-tested.

import { randomBytes } from 'node:crypto';
import type { HydrateMessage, RunData, Selection, ToWebviewMessage } from '../protocol/webview';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../protocol/trace';
import { packTypedArrays } from '../protocol/typedArrays';

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
    for (const [runId, list] of this.snapshots) for (const snapshot of list) out.push({ type: 'snapshot', runId, snapshot: packTypedArrays(snapshot) });
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

export function hydrateMessage(runs: RunData[], shownRunIds: string[], selection: Selection): HydrateMessage {
  return {
    type: 'hydrate',
    // All typed arrays of the message in one buffer (see packTypedArrays: VS Code loses buffers past 253 per message).
    runs: packTypedArrays(runs.map((r) => ({ ...r, metrics: thinMetrics(r.metrics) }))),
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
