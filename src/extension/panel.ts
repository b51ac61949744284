// The "RNN Debugger" webview panel, host side: one panel (viewType rnnDebugger.panel) under a
// strict nonce CSP, the ready → hydrate handshake, deltas only while visible (batched to the
// max-fps setting), re-hydration when it is shown again, and restoration after a window reload
// from the run folders it was showing.

import * as vscode from 'vscode';
import type { FromWebviewMessage, RunData, Selection, ToWebviewMessage } from '../protocol/webview';
import { assertNever } from '../protocol/trainer';
import { DisposableStore } from './events';
import { DeltaQueue, hydrateMessage, makeNonce, panelHtml } from './panelQueue';
import { parseWebviewMessage } from './webviewMessages';
import type { RunStore } from './runStore';
import { readSettings } from './settings';

export const PANEL_VIEW_TYPE = 'rnnDebugger.panel';
/** workspaceState key: the runs the panel showed, with their folders, for the reload. */
const SHOWN_KEY = 'rnnDebugger.panel.shownRuns';

interface ShownRun {
  id: string;
  dir: string | null;
}

export class PanelHost implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables = new DisposableStore();
  private readonly disposables = new DisposableStore();
  private ready = false;
  private shown: string[] = [];
  private readonly queue = new DeltaQueue();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  /** Id of the last batch posted (a hydrate or a frame of deltas). */
  private frameId = 0;
  /** The batch the webview has not yet said it drew: nothing more is posted until it does. */
  private awaiting: number | undefined;
  /** Set while applying a selection that came from the panel, so it is not echoed back. */
  private selectionFromPanel = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly store: RunStore,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.add(
      store.onDidChangeRun((e) => {
        if (e.kind === 'removed' && this.shown.includes(e.runId)) {
          this.shown = this.shown.filter((id) => id !== e.runId);
          this.hydrate();
          return;
        }
        if (!this.shown.includes(e.runId)) return;
        this.queue.status(e.status);
        this.schedule();
        this.updateTitle();
      }),
    );
    this.disposables.add(
      store.onDidAddMetrics((e) => {
        if (!this.streaming || !this.shown.includes(e.runId)) return;
        this.queue.addMetrics(e.runId, e.records);
        this.schedule();
      }),
    );
    this.disposables.add(
      store.onDidAddSnapshot((e) => {
        if (!this.streaming || !this.shown.includes(e.runId)) return;
        this.queue.addSnapshot(e.runId, e.snapshot);
        this.schedule();
      }),
    );
    this.disposables.add(
      store.onDidChangeSelection((e) => {
        if (this.selectionFromPanel || !this.streaming) return;
        // The panel's controls belong to the first shown run; another run's choice stays with that run.
        if (e.runId && e.runId !== this.shown[0]) return;
        this.post({ type: 'reveal', selection: e.selection });
      }),
    );
  }

  /** Ids of the runs the panel shows (one, or two when comparing). */
  get shownRunIds(): readonly string[] {
    return this.shown;
  }

  get isOpen(): boolean {
    return !!this.panel;
  }

  /** Whether deltas can be posted now: the webview is visible and has said ready. */
  private get streaming(): boolean {
    return !!this.panel && this.panel.visible && this.ready;
  }

  /** Opens (or reveals) the panel on these runs; without ids, keeps what it shows. */
  show(runIds?: string[], preserveFocus = false): void {
    if (runIds) {
      this.shown = runIds.filter((id) => this.store.has(id));
      this.persistShown();
    }
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      this.hydrate();
    } else {
      const panel = vscode.window.createWebviewPanel(
        PANEL_VIEW_TYPE,
        'RNN Debugger',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
        this.webviewOptions(),
      );
      this.attach(panel);
    }
    this.updateTitle();
  }

  /** Sidebar / inspector → panel: bring a unit, layer, step or chart into view. */
  reveal(selection: Partial<Selection>, chart?: string): void {
    if (!this.panel) this.show();
    else this.panel.reveal(undefined, true);
    this.post(chart ? { type: 'reveal', selection, chart } : { type: 'reveal', selection });
  }

  /** Serializer: the panel survived a window reload; reload its runs from their folders. */
  async restore(panel: vscode.WebviewPanel): Promise<void> {
    const saved = this.context.workspaceState.get<ShownRun[]>(SHOWN_KEY, []);
    const ids: string[] = [];
    for (const r of saved) {
      if (this.store.has(r.id)) ids.push(r.id);
      else if (r.dir) {
        try {
          ids.push(this.store.loadRun(r.dir).id);
        } catch (e) {
          this.output.appendLine(`[panel] could not reopen ${r.dir}: ${(e as Error).message}`);
        }
      }
    }
    this.shown = ids;
    panel.webview.options = this.webviewOptions();
    this.attach(panel);
    this.updateTitle();
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      // Hidden panels are torn down and re-hydrated from the store: cheaper than keeping them.
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist'), vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    this.awaiting = undefined;
    this.panelDisposables = new DisposableStore();
    const webview = panel.webview;
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'rnn-debugger.svg');
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'media', 'panel.css')).toString(),
      title: 'RNN Debugger',
    });
    this.panelDisposables.add(webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this.panelDisposables.add(
      panel.onDidChangeViewState(() => {
        if (!panel.visible) {
          // Its content is gone; what it missed is replayed by the hydrate that follows `ready`.
          this.ready = false;
          this.awaiting = undefined;
          this.queue.clear();
        } else {
          // Shown again: if the page was kept, this catches it up; if it reloads, `ready` will.
          this.hydrate();
        }
      }),
    );
    this.panelDisposables.add(
      panel.onDidDispose(() => {
        // Closing the panel never stops training; reopening it hydrates from the store.
        this.panel = undefined;
        this.ready = false;
        this.awaiting = undefined;
        this.queue.clear();
        this.panelDisposables.dispose();
      }),
    );
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if ('error' in parsed) {
      this.output.appendLine(`[panel] dropped a message from the webview: ${parsed.error}`);
      return;
    }
    const m: FromWebviewMessage = parsed.message;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.hydrate();
        break;
      case 'select':
        this.selectionFromPanel = true;
        try {
          this.store.setSelection(m.runId, m.selection);
        } finally {
          this.selectionFromPanel = false;
        }
        break;
      case 'drawn':
        // A stale id (a batch of a page since replaced) changes nothing.
        if (m.id === this.awaiting) {
          this.awaiting = undefined;
          this.schedule();
        }
        break;
      case 'error':
        this.output.appendLine(`[panel] ${m.message}`);
        break;
      default:
        assertNever(m);
    }
  }

  /** Sends the full state of the shown runs (drops queued deltas: hydrate contains them). */
  private hydrate(): void {
    if (!this.panel) return;
    this.queue.clear();
    const runs: RunData[] = this.shown
      .filter((id) => this.store.has(id))
      .map((id) => ({ status: this.store.status(id)!, metrics: this.store.metrics(id), snapshots: this.store.snapshots(id) }));
    const sel = this.shown[0] ? this.store.selectionOf(this.shown[0]) : this.store.selection.selection;
    void this.panel.webview.postMessage(hydrateMessage(runs, [...this.shown], sel)).then((delivered) => {
      // A delivered hydrate means the page is alive (e.g. shown again without reloading).
      if (delivered && this.panel?.visible) this.ready = true;
    });
    this.endBatch();
  }

  /** Ends what was posted since the last batch: the next one waits until the webview has drawn it (see protocol/webview.ts). */
  private endBatch(): void {
    if (!this.panel) return;
    this.awaiting = ++this.frameId;
    void this.panel.webview.postMessage({ type: 'frame', id: this.frameId } satisfies ToWebviewMessage);
  }

  private schedule(): void {
    if (!this.streaming || this.timer || this.awaiting !== undefined || this.queue.isEmpty) return;
    const interval = 1000 / Math.max(1, readSettings().panelMaxFps);
    const wait = Math.max(0, this.lastFlush + interval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    this.lastFlush = Date.now();
    if (!this.streaming) {
      this.queue.clear();
      return;
    }
    for (const m of this.queue.take()) this.post(m);
    this.endBatch();
  }

  private post(m: ToWebviewMessage): void {
    if (!this.panel) return;
    void this.panel.webview.postMessage(m);
  }

  private updateTitle(): void {
    if (!this.panel) return;
    const names = this.shown.map((id) => this.store.status(id)?.name ?? id);
    const title = names.length === 0 ? 'RNN Debugger' : names.length === 1 ? `RNN Debugger: ${names[0]}` : `RNN Debugger: ${names.join(' ↔ ')}`;
    if (this.panel.title !== title) this.panel.title = title;
  }

  private persistShown(): void {
    const runs: ShownRun[] = this.shown.map((id) => ({ id, dir: this.store.runDir(id) }));
    void this.context.workspaceState.update(SHOWN_KEY, runs);
  }

  /** For the serializer registration in activate(). */
  static registerSerializer(host: PanelHost): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: (panel) => host.restore(panel),
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panelDisposables.dispose();
    this.panel?.dispose();
    this.disposables.dispose();
  }
}
