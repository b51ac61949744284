// The host's settings, declared once: keys (an enum, mirrored in package.json `configuration`)
// and their defaults. No vscode import, so the manifest check runs as a plain unit test.

import type { BackendName } from '../protocol/spec';

export const SECTION = 'rnnDebugger';

export enum Setting {
  /** Backend for specs that say 'auto': auto | webgpu | tensorflow-gpu | tensorflow | wasm | cpu. */
  Backend = 'backend',
  /** Where run folders go; relative paths resolve against the first workspace folder. */
  RunsFolder = 'runsFolder',
  /** Default trace snapshot interval (steps) offered by Train RNN. */
  SnapshotEvery = 'trace.snapshotEvery',
  /** Most delta frames per second posted to the panel. */
  PanelMaxFps = 'panel.maxFramesPerSecond',
  /** Trainer → host: coalesce metrics for this many ms. */
  MetricsIntervalMs = 'stream.metricsIntervalMs',
  /** Trainer → host: at most one trace snapshot per this many ms. */
  SnapshotIntervalMs = 'stream.snapshotIntervalMs',
  /** Snapshots kept in memory per run. */
  MaxSnapshots = 'memory.maxSnapshots',
  /** Memory budget for the snapshots of one run, in MB. */
  SnapshotMegabytes = 'memory.snapshotMegabytes',
  /** Seconds Stop waits for the trainer before killing it. */
  StopTimeoutSeconds = 'trainer.stopTimeoutSeconds',
  /** > 0: start trainers with --inspect on this port (debugging the trainer). */
  DebugPort = 'trainer.debugPort',
  /** Node binary for trainers ('' = a node ≥ 20 on PATH, else the extension host's runtime); machine-scoped. */
  NodePath = 'trainer.nodePath',
}

export interface HostSettings {
  backend: BackendName | 'auto';
  runsFolder: string;
  snapshotEvery: number;
  panelMaxFps: number;
  metricsIntervalMs: number;
  snapshotIntervalMs: number;
  maxSnapshots: number;
  snapshotMegabytes: number;
  stopTimeoutSeconds: number;
  debugPort: number;
  nodePath: string;
}

/** Defaults; package.json declares the same values (a unit test checks they agree). */
export const DEFAULTS: HostSettings = {
  backend: 'auto', // the fastest backend that loads: tfjs-node(-gpu) → wasm → cpu
  runsFolder: '.rnn-debugger/runs', // next to the workspace, git-ignorable, found again after reload
  snapshotEvery: 25, // ~40 snapshots over a default 1000-step run
  panelMaxFps: 10, // charts read fine at 10 Hz; more costs the webview its frame budget
  metricsIntervalMs: 100, // 10 messages/s whatever the step rate
  snapshotIntervalMs: 250, // a T = 1000, H = 256 snapshot is ~10 MB: at most ~40 MB/s over IPC
  maxSnapshots: 64,
  snapshotMegabytes: 256,
  stopTimeoutSeconds: 15, // a slow step of a big model (T = 1000, H = 256: ~3 s) or a text evaluation in progress; then SIGKILL
  debugPort: 0,
  nodePath: '', // a node ≥ 20 on PATH, else the host's own runtime (see trainerRuntime.ts)
};

export const KEYS: Record<keyof HostSettings, Setting> = {
  backend: Setting.Backend,
  runsFolder: Setting.RunsFolder,
  snapshotEvery: Setting.SnapshotEvery,
  panelMaxFps: Setting.PanelMaxFps,
  metricsIntervalMs: Setting.MetricsIntervalMs,
  snapshotIntervalMs: Setting.SnapshotIntervalMs,
  maxSnapshots: Setting.MaxSnapshots,
  snapshotMegabytes: Setting.SnapshotMegabytes,
  stopTimeoutSeconds: Setting.StopTimeoutSeconds,
  debugPort: Setting.DebugPort,
  nodePath: Setting.NodePath,
};

/** Full setting ids (`rnnDebugger.<key>`) with their defaults, for the manifest check. */
export function settingDefaults(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(KEYS).map(([k, key]) => [`${SECTION}.${key}`, DEFAULTS[k as keyof HostSettings]]));
}

