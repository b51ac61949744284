// Benchmark of the streaming path trainer process → extension host → webview panel for one LSTM
// trace (T × H, 1 layer): IPC throughput and latency, the host's per-frame work, the panel's draw.
// Usage: node --import tsx bench/stream.ts [--seconds=10] [--T=1000] [--H=256]
// Prints numbers and writes them to bench/results/stream.json; asserts nothing.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Browser, Page } from 'playwright-core';
import { defaultWasmDir } from '../src/core/backend';
import { DEFAULTS } from '../src/extension/settingKeys';
import { DeltaQueue, hydrateMessage } from '../src/extension/panelQueue';
import { TrainerClient } from '../src/extension/trainerClient';
import { decodeRunJson, encodeRunJson } from '../src/protocol/runDataCodec';
import type { FromTrainerMessage, StreamLimits } from '../src/protocol/trainer';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../src/protocol/trace';
import type { RunData, SnapshotMessage, ToWebviewMessage } from '../src/protocol/webview';
import { spec as fixtureSpec } from '../test/webview/runFixture';
import type { ChildReport } from './streamChild';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SECONDS = Number(flag('seconds') ?? 10);
const T = Number(flag('T') ?? 1000);
const H = Number(flag('H') ?? 256);
/** Snapshot deltas timed in the page per kind (plain, rasterised), after WARMUP untimed ones of each. */
const DELTAS = 40;
const WARMUP = 3;
/** The stream limits the host asks for by default (src/extension/runManager.ts passes these settings). */
const LIMITS: StreamLimits = { metricsIntervalMs: DEFAULTS.metricsIntervalMs, snapshotIntervalMs: DEFAULTS.snapshotIntervalMs };
/** Sampling interval of the host event-loop delay histogram (ms). */
const LOOP_RESOLUTION_MS = 1;
/** Same prefix as bench/streamChild.ts (only its types are imported, so it is not loaded here). */
const REPORT_PREFIX = 'bench-report ';

// #region helpers
/** Wall clock shared by both processes (see streamChild.ts): ±~1 ms across processes. */
const now = (): number => performance.timeOrigin + performance.now();

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const median = (xs: number[]): number => quantile(xs, 0.5);
const p95 = (xs: number[]): number => quantile(xs, 0.95);
const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
/** Median and p95 of a sample, rounded for the JSON. */
const summary = (xs: number[]): { n: number; median: number; p95: number } => ({ n: xs.length, median: round(median(xs)), p95: round(p95(xs)) });
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 1e6).toFixed(2);
const medP95 = (xs: number[]): string => `median ${ms(median(xs))} ms, p95 ${ms(p95(xs))} ms (n = ${xs.length})`;

/** Wall times (ms) of `reps` calls of fn, after one untimed call (JIT, lazy init). */
function timeIt(reps: number, fn: () => void): number[] {
  fn();
  const out: number[] = [];
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Bytes one message takes on fork's 'advanced' channel: Node writes a 4-byte length, then v8's DefaultSerializer output. */
const wireBytes = (msg: unknown): number => v8.serialize(msg).byteLength + 4;

/** Builds dist/webview.js when it is missing; says so when it is older than the webview sources. */
function ensureWebviewBundle(): void {
  const bundle = join(root, 'dist', 'webview.js');
  if (!existsSync(bundle)) {
    console.log('dist/webview.js missing: running node esbuild.mjs');
    const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${r.status ?? r.signal})`);
    return;
  }
  const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true })
    .reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0), 0);
  if (Math.max(newest(join(root, 'webview')), newest(join(root, 'src', 'protocol'))) > statSync(bundle).mtimeMs) {
    console.log('note: dist/webview.js is older than webview/ or src/protocol/ sources; run `npm run build` to measure the current code');
  }
}
// #endregion

// #region 1. trainer → host
interface TrainerToHost {
  report: ChildReport;
  snapshotMessageBytes: number;
  delivered: number;
  /** Time between two snapshot deliveries (ms). */
  snapshotGapMs: number[];
  snapshotLatencyMs: number[];
  snapshotAgeMs: number[];
  metricsMessages: number;
  metricsRecords: number;
  metricsBytes: number;
  metricsLatencyMs: number[];
  statusMessages: number;
  /** Host event-loop blocking while the stream ran (what other extensions on the host would feel), ms. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** For parts 2 and 3: the first snapshot delivered (a real one), all metrics and the last status. */
  snapshot: TraceSnapshot;
  metrics: MetricsRecord[];
  status: RunStatus;
}

async function trainerToHost(): Promise<TrainerToHost> {
  const spec = fixtureSpec(T, H, 1_000_000);
  // One traced sequence is all a snapshot holds, so a batch of 1 keeps the one real pass short.
  spec.train.batchSize = 1;
  spec.name = `LSTM ${T}×${H} stream bench`;
  const client = new TrainerClient({
    trainerPath: join(root, 'bench', 'streamChild.ts'),
    // Like the host's fork, plus tsx so the child runs from source ('tsx' resolves from the
    // working directory, as for this script's own `node --import tsx`).
    execArgv: ['--import', 'tsx'],
    env: { BENCH_STREAM_SECONDS: String(SECONDS) },
  });
  // The histogram holds the time between its 1-ms ticks: what exceeds 1 ms is the event loop being blocked.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let report: ChildReport | undefined;
  // Kept as received; their sizes are measured after the stream (v8.serialize of 8 MB would block
  // the very event loop whose delay is being measured).
  let firstSnapshotMessage: FromTrainerMessage | undefined;
  const metricsMessages: FromTrainerMessage[] = [];
  let delivered = 0, lastDelivery = NaN, metricsRecords = 0, statusMessages = 0;
  const snapshotLatencyMs: number[] = [], snapshotAgeMs: number[] = [], snapshotGapMs: number[] = [], metricsLatencyMs: number[] = [];
  const metrics: MetricsRecord[] = [];

  client.onMessage((m: FromTrainerMessage) => {
    const at = now();
    const sentAt = (m as { sentAt?: number }).sentAt ?? NaN;
    switch (m.type) {
      case 'snapshot': {
        delivered++;
        if (delivered > 1) snapshotGapMs.push(at - lastDelivery);
        lastDelivery = at;
        snapshotLatencyMs.push(at - sentAt);
        snapshotAgeMs.push(at - ((m.snapshots[0] as { producedAt?: number }).producedAt ?? NaN));
        firstSnapshotMessage ??= m; // every copy has the same size
        break;
      }
      case 'metrics':
        metricsMessages.push(m);
        metricsRecords += m.records.length;
        metricsLatencyMs.push(at - sentAt);
        metrics.push(...m.records);
        break;
      case 'status':
        statusMessages++;
        if (m.status.state === 'running') loop.enable(); // the real pass is done: streaming starts
        break;
      case 'log':
        if (m.line.startsWith(REPORT_PREFIX)) report = JSON.parse(m.line.slice(REPORT_PREFIX.length)) as ChildReport;
        break;
      default:
        break;
    }
  });
  client.onLog((line) => { if (/error|fatal/i.test(line)) console.log(`  [trainer] ${line}`); });
  client.start({ runId: 'bench-stream', spec, runDir: null, wasmDir: defaultWasmDir(), limits: LIMITS });
  const exit = await client.whenExited();
  loop.disable();
  client.dispose();
  if (!report || firstSnapshotMessage?.type !== 'snapshot' || !client.lastStatus) {
    throw new Error(`the bench trainer ended without its report (${exit.crash ?? `exit ${exit.code}`}):\n${client.logTail.slice(-20).join('\n')}`);
  }
  const { producedAt: _producedAt, ...snapshot } = firstSnapshotMessage.snapshots[0] as TraceSnapshot & { producedAt?: number };
  return {
    report, snapshotMessageBytes: wireBytes(firstSnapshotMessage), delivered, snapshotGapMs, snapshotLatencyMs, snapshotAgeMs,
    metricsMessages: metricsMessages.length, metricsRecords, metricsBytes: metricsMessages.reduce((n, m) => n + wireBytes(m), 0), metricsLatencyMs, statusMessages,
    loopDelayMs: {
      p50: Math.max(0, loop.percentile(50) / 1e6 - LOOP_RESOLUTION_MS),
      p99: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      max: Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS),
    },
    snapshot, metrics, status: client.lastStatus,
  };
}
// #endregion

// #region 2. host → webview
interface HostToWebview {
  /** One panel frame of DeltaQueue work: a metrics message, a snapshot and a status in, take() out (µs). */
  queueFrameUs: number;
  /** hydrateMessage of the run with maxSnapshots snapshots and all its metrics (ms). */
  hydrateMs: number;
  hydrateSnapshots: number;
  hydrateMetrics: number;
  codecEncodeMs: number[];
  codecDecodeMs: number[];
  codecBytes: number;
  v8SerializeMs: number[];
  v8SerializeBytes: number;
}

function hostToWebview(run: RunData, frameRecords: MetricsRecord[]): HostToWebview {
  const runId = run.status.id;
  const snapshot = run.snapshots[0];
  const q = new DeltaQueue();
  const frames = 2000;
  const t0 = performance.now();
  for (let k = 0; k < frames; k++) {
    q.addMetrics(runId, frameRecords);
    q.addSnapshot(runId, snapshot);
    q.status(run.status);
    q.take();
  }
  const queueFrameUs = ((performance.now() - t0) / frames) * 1000;

  // What the host sends on ready / when the panel is shown again: the store's ring of snapshots.
  const ring = Array.from({ length: DEFAULTS.maxSnapshots }, (_, k) => ({ ...snapshot, step: snapshot.step + k }));
  const full: RunData = { ...run, snapshots: ring };
  const hydrateMs = median(timeIt(20, () => hydrateMessage([full], [runId], { layer: 0, unit: 0, step: null })));

  const msg: SnapshotMessage = { type: 'snapshot', runId, snapshot };
  let text = '';
  const codecEncodeMs = timeIt(7, () => { text = encodeRunJson(msg); });
  const codecDecodeMs = timeIt(7, () => { decodeRunJson<SnapshotMessage>(text); });
  // VS Code's webview.postMessage sends typed arrays as binary; v8's structured clone is the nearest
  // stand-in this process has (the same bytes, no base64).
  let v8SerializeBytes = 0;
  const v8SerializeMs = timeIt(7, () => { v8SerializeBytes = v8.serialize(msg).byteLength; });
  return {
    queueFrameUs, hydrateMs, hydrateSnapshots: ring.length, hydrateMetrics: run.metrics.length,
    codecEncodeMs, codecDecodeMs, codecBytes: Buffer.byteLength(text), v8SerializeMs, v8SerializeBytes,
  };
}
// #endregion

// #region 3. webview (headless Chromium)
/** test/webview/harness.ts, as far as this script uses it. */
interface PanelPage { page: Page; errors: string[]; send(msg: ToWebviewMessage): Promise<void>; settle(): Promise<void> }
interface Harness { launch(): Promise<Browser>; openPanel(browser: Browser): Promise<PanelPage>; CHROMIUM_ARGS: string[] }

/** What the page function gets and returns. */
interface PageOptions { runId: string; deltas: number; warmup: number }
/** Timings of one kind of delta (ms). */
interface DeltaTimes {
  /** panel.handle(delta) + panel.renderNow(), per delta. */
  wholeMs: number[];
  /** Per call of each wrapped method: Heatmap setData/paint/draw, Panel render*. */
  methods: Record<string, number[]>;
}
interface PageResult {
  /** Deltas drawn as the panel does it. */
  plain: DeltaTimes;
  /** Deltas whose heatmap updates also force the canvas to rasterise (a 1-pixel read-back). */
  raster: DeltaTimes;
  /** structuredClone of the snapshot in the page: what delivering a delta costs the webview. */
  cloneMs: number[];
  heatmapsPerDelta: number;
  canvas: { cssWidth: number; cssHeight: number; image: string };
}

/**
 * Runs in the page (self-contained: Playwright sends its source). Feeds snapshot messages straight
 * to the panel (copies of the hydrated snapshot sharing its arrays, each with a new step) and times
 * the panel's own methods by wrapping them on their prototypes. Every other delta also reads back
 * one pixel of each updated heatmap canvas: Chromium defers canvas commands and rasterises them at
 * paint time, outside the JS call, and the read-back pulls that work into the timed call.
 * Alternating the two kinds keeps JIT warm-up and GC from favouring either.
 */
async function pageDeltas(o: PageOptions): Promise<PageResult> {
  type Method = (...a: unknown[]) => unknown;
  interface Ctx { getImageData(x: number, y: number, w: number, h: number): unknown }
  interface PageHeatmap { canvas: { clientWidth: number; clientHeight: number; getContext(kind: '2d'): Ctx | null } }
  interface PagePanel {
    state: { runs: Map<string, { snapshots: TraceSnapshot[] }> };
    handle(msg: ToWebviewMessage): void;
    renderNow(): void;
    heatmap(run: number, name: string): PageHeatmap | undefined;
  }
  interface PageWindow {
    rnnDebugger: { panel: PagePanel };
    requestAnimationFrame(cb: () => void): number;
    setTimeout(cb: () => void, ms: number): number;
    structuredClone<V>(x: V): V;
  }
  const w = globalThis as unknown as PageWindow;
  const panel = w.rnnDebugger.panel;
  const heat = panel.heatmap(0, 'h');
  if (!heat) throw new Error('no heatmap: the hydrate was not drawn');
  const run = panel.state.runs.get(o.runId);
  if (!run || !run.snapshots.length) throw new Error(`run ${o.runId} has no snapshot in the page`);
  const base = run.snapshots[run.snapshots.length - 1];
  const plain: DeltaTimes = { wholeMs: [], methods: {} };
  const raster: DeltaTimes = { wholeMs: [], methods: {} };
  let current: DeltaTimes | null = null;
  let readBack = false;
  const restore: (() => void)[] = [];
  const wrapped: [Record<string, Method>, string[]][] = [
    [Object.getPrototypeOf(heat) as Record<string, Method>, ['setData', 'paint', 'draw']],
    [Object.getPrototypeOf(panel) as Record<string, Method>, ['renderHeaders', 'renderControls', 'renderMetricCharts', 'renderSnapshotCharts', 'renderHeatmaps', 'renderDiagnostics']],
  ];
  for (const [proto, names] of wrapped) {
    for (const name of names) {
      const orig = proto[name];
      if (typeof orig !== 'function') throw new Error(`the panel has no method ${name} any more`);
      proto[name] = function (this: unknown, ...a: unknown[]): unknown {
        const t0 = performance.now();
        const r = orig.apply(this, a);
        if (readBack && name === 'setData') (this as PageHeatmap).canvas.getContext('2d')?.getImageData(0, 0, 1, 1);
        if (current) (current.methods[name] ??= []).push(performance.now() - t0);
        return r;
      };
      restore.push(() => { proto[name] = orig; });
    }
  }
  let step = Math.max(...run.snapshots.map((s) => s.step));
  try {
    for (let k = 0; k < 2 * (o.warmup + o.deltas); k++) {
      readBack = k % 2 === 1;
      const times = readBack ? raster : plain;
      current = k >= 2 * o.warmup ? times : null;
      const snapshot: TraceSnapshot = { ...base, step: ++step };
      const t0 = performance.now();
      panel.handle({ type: 'snapshot', runId: o.runId, snapshot });
      panel.renderNow();
      if (current) current.wholeMs.push(performance.now() - t0);
      current = null;
      // Let the browser paint and composite this frame before the next delta.
      await new Promise<void>((r) => w.requestAnimationFrame(() => w.setTimeout(r, 0)));
    }
  } finally {
    for (const r of restore) r();
  }
  // Apart from the deltas, so its garbage does not land in their timings.
  const cloneMs: number[] = [];
  for (let k = 0; k < 10; k++) {
    const t0 = performance.now();
    w.structuredClone(base);
    cloneMs.push(performance.now() - t0);
  }
  const probe = panel.heatmap(0, 'h') ?? heat;
  return {
    plain, raster, cloneMs,
    heatmapsPerDelta: (plain.methods.setData?.length ?? 0) / o.deltas,
    canvas: { cssWidth: probe.canvas.clientWidth, cssHeight: probe.canvas.clientHeight, image: `${base.steps}×${base.layers[0]?.units}` },
  };
}

interface WebviewResult { chromium: string; args: string[]; page: PageResult; errors: string[] }

async function inWebview(run: RunData): Promise<WebviewResult> {
  // Imported at run time: the harness is typed for the DOM (test/webview's tsconfig), which the
  // repo's root tsconfig, that checks bench/, does not load.
  const harness = (await import(pathToFileURL(join(root, 'test', 'webview', 'harness.ts')).href)) as Harness;
  const browser = await harness.launch();
  try {
    const p = await harness.openPanel(browser);
    // tsx compiles with esbuild's keepNames, which wraps the page function's inner functions in
    // __name(); the page has no such helper, so give it one that does nothing.
    await p.page.evaluate('globalThis.__name = (f) => f');
    await p.send({ type: 'hydrate', runs: [run], shownRunIds: [run.status.id], selection: { layer: 0, unit: 0, step: null } });
    await p.settle();
    const page = await p.page.evaluate(pageDeltas, { runId: run.status.id, deltas: DELTAS, warmup: WARMUP });
    return { chromium: browser.version(), args: harness.CHROMIUM_ARGS, page, errors: p.errors };
  } finally {
    await browser.close();
  }
}
// #endregion

async function main(): Promise<void> {
  const startedAt = new Date();
  const load0 = os.loadavg();
  console.log(`stream bench: LSTM T = ${T}, H = ${H}, 1 layer; ${SECONDS} s of streaming; stream limits metrics ${LIMITS.metricsIntervalMs} ms, snapshots ${LIMITS.snapshotIntervalMs} ms`);
  console.log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, node ${process.version}, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  ensureWebviewBundle();

  // 1.
  console.log('\n1. trainer → host (real TrainerStream in a forked child, serialization "advanced"; real TrainerClient)');
  const a = await trainerToHost();
  const r = a.report;
  const snapBytesPerS = (a.delivered * a.snapshotMessageBytes) / r.seconds;
  const metricsBytesPerS = a.metricsBytes / r.seconds;
  console.log(`   snapshot content: ${r.snapshotSource}; that pass took ${int(r.passMs)} ms`);
  console.log(`   one snapshot message: ${int(a.snapshotMessageBytes)} bytes on the channel (${mb(a.snapshotMessageBytes)} MB; MB = 10^6 bytes)`);
  console.log(`   snapshots: produced ${int(r.produced)} in ${r.seconds.toFixed(1)} s, sent ${int(r.stats.snapshotMessages)}, delivered ${int(a.delivered)}; dropped by coalescing ${int(r.produced - a.delivered)} (stream counted ${int(r.stats.snapshotsSkipped)} replaced unsent)`);
  console.log(`   delivered: ${(a.delivered / r.seconds).toFixed(2)} snapshots/s (median gap ${ms(median(a.snapshotGapMs))} ms) = ${mb(snapBytesPerS)} MB/s; metrics ${(a.metricsMessages / r.seconds).toFixed(1)} messages/s (${int(a.metricsRecords)} records, ${(metricsBytesPerS / 1e3).toFixed(1)} kB/s); ${a.statusMessages} status messages`);
  console.log(`   total delivered: ${mb(snapBytesPerS + metricsBytesPerS)} MB/s`);
  console.log(`   receive latency, send → host handler: snapshots ${medP95(a.snapshotLatencyMs)}; metrics ${medP95(a.metricsLatencyMs)}`);
  console.log(`   age of a delivered snapshot (produced → host handler; older ones were replaced while waiting): ${medP95(a.snapshotAgeMs)}`);
  console.log(`   trainer side per snapshot: process.send() blocks ${medP95(r.sendCallMs)}; until written ${medP95(r.sendDoneMs)}`);
  console.log(`   host event loop blocked (delay beyond its ${LOOP_RESOLUTION_MS} ms tick) while streaming: p50 ${ms(a.loopDelayMs.p50)} ms, p99 ${ms(a.loopDelayMs.p99)} ms, max ${ms(a.loopDelayMs.max)} ms`);

  // 2.
  console.log('\n2. host → webview (per-frame work in the extension host)');
  const status: RunStatus = { ...a.status, state: 'running' };
  const run: RunData = { status, metrics: a.metrics, snapshots: [a.snapshot] };
  const frameRecords = a.metrics.slice(0, Math.max(1, Math.round(a.metricsRecords / Math.max(1, a.metricsMessages))));
  const b = hostToWebview(run, frameRecords);
  console.log(`   DeltaQueue, one frame (${frameRecords.length} metrics records + 1 snapshot + status in, take() out): ${b.queueFrameUs.toFixed(2)} µs`);
  console.log(`   hydrateMessage (${b.hydrateSnapshots} snapshots, ${int(b.hydrateMetrics)} metrics records): ${(b.hydrateMs * 1000).toFixed(1)} µs`);
  console.log(`   runDataCodec encodeRunJson(snapshot message): ${medP95(b.codecEncodeMs)}; ${int(b.codecBytes)} bytes (${mb(b.codecBytes)} MB); decodeRunJson ${medP95(b.codecDecodeMs)}`);
  console.log(`   (the live panel does not use the codec: PanelHost posts the objects, typed arrays as binary; v8 serialize of the same message, for comparison: ${medP95(b.v8SerializeMs)}, ${int(b.v8SerializeBytes)} bytes)`);

  // 3.
  console.log('\n3. webview panel in headless Chromium (dist/webview.js, test/webview/harness.ts)');
  const c = await inWebview(run);
  const { plain, raster } = c.page;
  const pm = plain.methods;
  console.log(`   Chromium ${c.chromium}; args ${c.args.join(' ')}`);
  console.log(`   hydrate: 1 snapshot, ${int(run.metrics.length)} metrics records; heatmap canvas ${c.page.canvas.cssWidth}×${c.page.canvas.cssHeight} CSS px showing a ${c.page.canvas.image} image; ${c.page.heatmapsPerDelta} heatmaps per delta`);
  console.log(`   ${DELTAS} + ${DELTAS} snapshot deltas, alternating plain / rasterised, after ${WARMUP} + ${WARMUP} warm-up`);
  console.log(`   one ${T} × ${H} heatmap update (Heatmap.setData = paint + draw; target < 16 ms): ${medP95(pm.setData ?? [])}`);
  console.log(`     paint (colour map into ImageData, putImageData) ${medP95(pm.paint ?? [])}; draw (scaled drawImage + labels) ${medP95(pm.draw ?? [])}`);
  console.log(`   same, rasterised inside the call (1-pixel read-back): ${medP95(raster.methods.setData ?? [])}`);
  console.log(`   whole panel per snapshot delta (handle + renderNow: charts, heatmaps, diagnostics): ${medP95(plain.wholeMs)}; rasterised ${medP95(raster.wholeMs)}`);
  const parts = ['renderHeaders', 'renderControls', 'renderMetricCharts', 'renderSnapshotCharts', 'renderHeatmaps', 'renderDiagnostics'].filter((k) => pm[k]);
  console.log(`     of which (median ms): ${parts.map((k) => `${k.replace('render', '')} ${ms(median(pm[k]))}`).join(', ')}`);
  console.log(`   receiving a delta (structuredClone of the snapshot in the page): ${medP95(c.page.cloneMs)}`);
  if (c.errors.length) console.log(`   page errors: ${c.errors.join(' | ')}`);

  const load1 = os.loadavg();
  console.log(`\nload average at the end: ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  const deltaJson = (d: DeltaTimes) => ({
    heatmapUpdateMs: summary(d.methods.setData ?? []),
    wholePanelMs: summary(d.wholeMs),
    methodsMs: Object.fromEntries(Object.entries(d.methods).map(([k, v]) => [k, summary(v)])),
  });
  const out = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version },
    loadavg: { start: load0, end: load1 },
    params: { T, H, layers: 1, cell: 'lstm', seconds: SECONDS, limits: LIMITS, deltas: DELTAS, warmup: WARMUP },
    trainerToHost: {
      snapshotSource: r.snapshotSource,
      realPassMs: round(r.passMs, 0),
      snapshotMessageBytes: a.snapshotMessageBytes,
      producingSeconds: round(r.seconds),
      snapshotsProduced: r.produced,
      snapshotsSent: r.stats.snapshotMessages,
      snapshotsDelivered: a.delivered,
      snapshotsDropped: r.produced - a.delivered,
      snapshotsPerSecond: round(a.delivered / r.seconds),
      snapshotGapMs: summary(a.snapshotGapMs),
      snapshotMBps: round(snapBytesPerS / 1e6),
      metricsMessagesPerSecond: round(a.metricsMessages / r.seconds),
      metricsRecords: a.metricsRecords,
      metricsKBps: round(metricsBytesPerS / 1e3),
      totalMBps: round((snapBytesPerS + metricsBytesPerS) / 1e6),
      statusMessages: a.statusMessages,
      snapshotLatencyMs: summary(a.snapshotLatencyMs),
      metricsLatencyMs: summary(a.metricsLatencyMs),
      snapshotAgeMs: summary(a.snapshotAgeMs),
      sendCallMs: summary(r.sendCallMs),
      sendDoneMs: summary(r.sendDoneMs),
      hostLoopDelayMs: { p50: round(a.loopDelayMs.p50), p99: round(a.loopDelayMs.p99), max: round(a.loopDelayMs.max) },
      streamStats: r.stats,
    },
    hostToWebview: {
      queueFrameUs: round(b.queueFrameUs),
      hydrateMs: round(b.hydrateMs),
      hydrateSnapshots: b.hydrateSnapshots,
      codecEncodeMs: summary(b.codecEncodeMs),
      codecDecodeMs: summary(b.codecDecodeMs),
      codecBytes: b.codecBytes,
      v8SerializeMs: summary(b.v8SerializeMs),
      v8SerializeBytes: b.v8SerializeBytes,
    },
    webview: {
      chromium: c.chromium, args: c.args, heatmapsPerDelta: c.page.heatmapsPerDelta, canvas: c.page.canvas,
      plain: deltaJson(plain), rasterised: deltaJson(raster), receiveCloneMs: summary(c.page.cloneMs), errors: c.errors,
    },
  };
  const file = join(root, 'bench', 'results', 'stream.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(out, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  console.log(`wrote ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
