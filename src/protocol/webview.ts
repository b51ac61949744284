// The host ↔ webview (panel) protocol: one discriminated union per direction. The webview says
// `ready` first; the host answers with `hydrate` (the full state it owns) and only then streams
// deltas. Typed arrays inside snapshots travel as binary (engines.vscode ≥ 1.57).
//
// Flow control: every batch the host posts (a hydrate, or one frame of deltas) ends with `frame`;
// the webview answers `drawn` once it has drawn that batch and the page has been idle, and the host
// posts nothing more until then. The webview shares the workbench's renderer thread: without this,
// a fast run queues snapshots faster than a busy renderer draws them, and every workbench request
// behind them (hovers, tree views, commands) waits for the backlog.

import type { MetricsRecord, RunStatus, TraceSnapshot } from './trace';

/** Everything the panel shows about one run. */
export interface RunData {
  status: RunStatus;
  /** All metrics so far (the host may downsample very long runs; `step` stays exact). */
  metrics: MetricsRecord[];
  /** Recorded snapshots, oldest first (the host keeps a bounded ring; `step` identifies each). */
  snapshots: TraceSnapshot[];
}

/** What the user has selected; shared with the inspector and the sidebar. */
export interface Selection {
  layer: number;
  unit: number;
  /** Snapshot step shown by the scrubber; null = follow the latest. */
  step: number | null;
}

// #region host → webview
/** Full state, sent in answer to `ready` and whenever the panel becomes visible again. */
export interface HydrateMessage { type: 'hydrate'; runs: RunData[]; shownRunIds: string[]; selection: Selection }
/** A run's status changed (state, step, backend, reason). */
export interface StatusMessage { type: 'status'; status: RunStatus }
/** New metrics of a run, appended in step order. */
export interface MetricsMessage { type: 'metrics'; runId: string; records: MetricsRecord[] }
/** A new trace snapshot of a run. */
export interface SnapshotMessage { type: 'snapshot'; runId: string; snapshot: TraceSnapshot }
/** Reveal something (from the sidebar or the inspector): a unit, a layer, a step, a diagnostic's chart. */
export interface RevealMessage { type: 'reveal'; selection: Partial<Selection>; chart?: string }
/** The end of a batch: answer `drawn` with this id once it is drawn. */
export interface FrameMessage { type: 'frame'; id: number }
export type ToWebviewMessage = HydrateMessage | StatusMessage | MetricsMessage | SnapshotMessage | RevealMessage | FrameMessage;
// #endregion

// #region webview → host
/** The webview's script has loaded and can receive messages. */
export interface ReadyMessage { type: 'ready' }
/** The user picked a unit/layer/step in the panel (the host forwards it to the inspector and sidebar). */
export interface SelectMessage { type: 'select'; runId: string; selection: Selection }
/** An error inside the webview, for the Output channel. */
export interface WebviewErrorMessage { type: 'error'; message: string }
/** The batch ending with frame `id` is drawn and the page was idle after it: the host may post the next. */
export interface DrawnMessage { type: 'drawn'; id: number }
export type FromWebviewMessage = ReadyMessage | SelectMessage | WebviewErrorMessage | DrawnMessage;
// #endregion
