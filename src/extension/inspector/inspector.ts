// The inline gate inspector in the editor: tints each character of an inspected document by the
// chosen unit's gate / state / gradient at that timestep, explains a character on hover, and
// ranks the units that are on in a selection. The model evaluation goes through the RunStore's
// traceText (the run's live trainer); the maths and mapping live in the pure modules next door.
// This class keeps the inspected documents and wires the commands, the evaluation scheduler, the
// decorations, the hover and the status bar item together.

import * as vscode from 'vscode';
import { NO_WEIGHTS_YET } from '../../protocol/trainer';
import type { RunStore } from '../runStore';
import { InspectorCommands } from './commands';
import { matchesDataPath } from './dataPath';
import { Decorations } from './decorations';
import { EvaluationScheduler } from './evaluationScheduler';
import { registerHoverProvider } from './hoverProvider';
import { quantityDescription, statusText, type Quantity } from './quantities';
import type { UnitRangeScore } from './ranking';
import { InspectSession, type ViewChoice } from './session';
import { autoInspect, INSPECTOR_SETTINGS, maxCharacters, refreshMs } from './settings';
import { ViewChoices } from './viewChoices';
import { visibleSteps } from './visibleText';

/** Text edits are re-evaluated after this quiet time (typing stays responsive; one request per pause). */
const EDIT_DEBOUNCE_MS = 500;
/** Context key: the active editor is inspected. */
const CONTEXT_INSPECTING = 'rnnDebugger.inspecting';

/** Result of the last Find Units Active Here, shown in the Units view. */
export interface UnitRelevance {
  runId: string;
  layer: number;
  quantity: Quantity;
  threshold: number;
  /** Document timesteps of the selection [t0, t1). */
  steps: [number, number];
  scores: UnitRangeScore[];
}

/** What the sidebar needs from the inspector. */
export interface InspectorApi {
  readonly onDidRankUnits: vscode.Event<UnitRelevance>;
  readonly lastRanking: UnitRelevance | undefined;
  /** The quantity the text is tinted by (the Units view ranks by it too). */
  readonly quantity: Quantity;
  readonly onDidChangeView: vscode.Event<void>;
  /** Inspect a document with a run (asks when either is missing). */
  inspect(uri?: vscode.Uri, runId?: string): Promise<void>;
  /** Select a unit (and layer) in the inspector, the panel and the sidebar. */
  selectUnit(runId: string | null, layer: number, unit: number): void;
}

export class Inspector implements InspectorApi, vscode.Disposable {
  private readonly sessions = new Map<string, InspectSession>();
  private readonly views: ViewChoices;
  private readonly scheduler: EvaluationScheduler<InspectSession>;
  private readonly decorations: Decorations;
  private readonly commands: InspectorCommands;
  private readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly rankEmitter = new vscode.EventEmitter<UnitRelevance>();
  private readonly viewEmitter = new vscode.EventEmitter<void>();
  /** Documents the user stopped inspecting: auto-inspect leaves them alone for that run. */
  private readonly dismissed = new Set<string>();
  /** Documents closed while inspected (uri → run): opened again, they are inspected again with that run. */
  private readonly closedWhileInspected = new Map<string, string>();
  /** Documents with an evaluation in flight (the status bar spins). */
  private readonly busy = new Set<string>();
  /** Documents whose run has saved no weights yet: the next snapshot brings them; nothing to warn about. */
  private readonly awaitingWeights = new Set<string>();
  lastRanking: UnitRelevance | undefined;
  readonly onDidRankUnits = this.rankEmitter.event;
  readonly onDidChangeView = this.viewEmitter.event;

  constructor(private readonly store: RunStore) {
    this.views = new ViewChoices(store);
    const viewOf = (runId: string): ViewChoice => this.views.of(runId);
    this.scheduler = new EvaluationScheduler(
      (s) => void this.evaluate(s),
      (s) => this.sessions.get(s.uri) === s,
    );
    this.decorations = new Decorations(store, viewOf);
    this.commands = new InspectorCommands(store, {
      activeSession: () => this.activeSession(),
      view: () => this.view,
      setView: (change) => this.setView(change),
      start: (doc, runId) => this.start(doc, runId),
      dismiss: (s) => {
        this.dismissed.add(`${s.uri}|${s.runId}`);
        this.closedWhileInspected.delete(s.uri);
        this.stop(s.uri);
      },
      ranked: (ranking) => {
        this.lastRanking = ranking;
        this.rankEmitter.fire(ranking);
      },
    });
    this.status = vscode.window.createStatusBarItem('rnnDebugger.inspector', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'RNN Debugger inspector';
    this.status.command = 'rnnDebugger.pickQuantity';

    this.disposables.push(
      this.status,
      this.rankEmitter,
      this.viewEmitter,
      registerHoverProvider(store, (key) => this.sessions.get(key), viewOf),
      vscode.workspace.onDidChangeTextDocument((e) => this.onTextChanged(e.document)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        const key = doc.uri.toString();
        const s = this.sessions.get(key);
        if (s) this.closedWhileInspected.set(key, s.runId);
        this.drop(key);
      }),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.onScrolled(e.textEditor)),
      vscode.window.onDidChangeVisibleTextEditors(() => {
        this.redecorateAll();
        this.autoInspectOpen();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(INSPECTOR_SETTINGS.section)) for (const s of this.sessions.values()) this.scheduler.schedule(s, 0);
      }),
      store.onDidAddSnapshot((e) => this.onModelImproved(e.runId)),
      store.onDidChangeRun((e) => {
        if (e.kind === 'removed') {
          this.views.forget(e.runId);
          for (const s of [...this.sessions.values()]) if (s.runId === e.runId) this.stop(s.uri);
        }
        this.updateStatus();
        this.autoInspectOpen();
      }),
      store.onDidChangeSelection((e) => {
        const runId = e.runId ?? this.currentRunId();
        const v = this.views.of(runId);
        if (e.selection.layer === v.layer && e.selection.unit === v.unit) return;
        this.views.put(runId, { ...v, layer: e.selection.layer, unit: e.selection.unit });
        this.viewChanged();
      }),
      ...this.commands.register(),
    );
    this.updateStatus();
    this.autoInspectOpen();
  }

  get quantity(): Quantity {
    return this.view.quantity;
  }

  inspect(uri?: vscode.Uri, runId?: string): Promise<void> {
    return this.commands.inspect(uri, runId);
  }

  selectUnit(runId: string | null, layer: number, unit: number): void {
    this.setView({ layer, unit }, runId);
  }

  // #region inspected documents
  private start(doc: vscode.TextDocument, runId: string): void {
    const key = doc.uri.toString();
    this.dismissed.delete(`${key}|${runId}`);
    let s = this.sessions.get(key);
    if (!s || s.runId !== runId) {
      if (s) this.scheduler.retarget(key);
      s = new InspectSession(key, runId);
      this.sessions.set(key, s);
    }
    s.setText(doc.getText());
    this.scheduler.schedule(s, 0);
    this.updateStatus();
  }

  private stop(key: string): void {
    this.drop(key);
    this.decorations.clear(key);
    this.updateStatus();
  }

  private drop(key: string): void {
    this.scheduler.drop(key);
    this.sessions.delete(key);
    this.busy.delete(key);
  }

  /** Auto-inspect: tint the open training file of every live text run (once per document and run). */
  private autoInspectOpen(): void {
    // A file closed while inspected (its tab replaced, VS Code closing the document) comes back tinted.
    for (const ed of vscode.window.visibleTextEditors) {
      const key = ed.document.uri.toString();
      const runId = this.closedWhileInspected.get(key);
      if (runId === undefined || this.sessions.has(key)) continue;
      this.closedWhileInspected.delete(key);
      if (this.store.canTraceText(runId)) this.start(ed.document, runId);
    }
    if (!autoInspect()) return;
    for (const run of this.store.liveRuns()) {
      if (run.spec.data.kind !== 'text' || !this.store.canTraceText(run.id)) continue;
      const p = run.spec.data.path;
      for (const ed of vscode.window.visibleTextEditors) {
        const key = ed.document.uri.toString();
        if (this.sessions.has(key) || this.dismissed.has(`${key}|${run.id}`)) continue;
        if (matchesDataPath(ed.document.uri.fsPath, p)) this.start(ed.document, run.id);
      }
    }
  }

  private activeSession(): InspectSession | undefined {
    const ed = vscode.window.activeTextEditor;
    return ed ? this.sessions.get(ed.document.uri.toString()) : undefined;
  }
  // #endregion

  // #region view
  private setView(change: Partial<ViewChoice>, runId?: string | null): void {
    const id = runId ?? this.currentRunId();
    const v = this.views.put(id, { ...this.views.of(id), ...change });
    const cur = id ? this.store.selectionOf(id) : this.store.selection.selection;
    if (cur.layer !== v.layer || cur.unit !== v.unit || (id ?? null) !== this.store.selection.runId) {
      this.store.setSelection(id ?? null, { ...cur, layer: v.layer, unit: v.unit });
    }
    this.viewChanged();
  }

  /** The run whose choice the status bar and commands act on: the active editor's, else the selected run. */
  private currentRunId(): string | null {
    return this.activeSession()?.runId ?? this.store.selection.runId;
  }

  private get view(): ViewChoice {
    return this.views.of(this.currentRunId());
  }

  private viewChanged(): void {
    this.redecorateAll();
    this.updateStatus();
    this.viewEmitter.fire();
  }

  private redecorateAll(): void {
    for (const s of this.sessions.values()) this.decorations.redecorate(s);
  }

  private updateStatus(): void {
    const s = this.activeSession();
    void vscode.commands.executeCommand('setContext', CONTEXT_INSPECTING, !!s);
    if (!s) {
      this.status.hide();
      return;
    }
    const run = this.store.status(s.runId);
    const spin = this.busy.has(s.uri) ? ' $(sync~spin)' : '';
    this.status.text = `$(pulse) ${statusText(this.view.quantity, this.view.layer, this.view.unit)}${spin}`;
    const t = s.trace;
    this.status.tooltip = [
      `RNN Debugger inspector: ${quantityDescription(this.view.quantity, t?.cell ?? run?.spec.model.cell ?? 'lstm')}`,
      run ? `Run "${run.name}" (${run.state})${s.modelStep !== undefined ? `, model at step ${s.modelStep}` : ''}` : 'run gone',
      t ? `Evaluated t = ${s.windowStart} … ${s.windowStart + t.steps - 1} of ${s.map.steps} characters`
        : this.awaitingWeights.has(s.uri) ? 'Waiting for the run to save its first weights' : 'Evaluating…',
      'Click to choose quantity, layer and unit.',
    ].join('\n');
    this.status.show();
  }
  // #endregion

  // #region evaluation
  private async evaluate(s: InspectSession): Promise<void> {
    const run = this.store.status(s.runId);
    if (!run || !this.store.canTraceText(s.runId) || this.sessions.get(s.uri) !== s) return;
    const plan = s.planEval(visibleSteps(s.uri, s.map), maxCharacters(), run.vocabulary);
    const textAtRequest = s.map.modelText;
    await this.scheduler.run(s, async (fresh) => {
      this.busy.add(s.uri);
      this.updateStatus();
      try {
        const trace = await this.store.traceText(s.runId, plan.fedText);
        if (!fresh() || this.sessions.get(s.uri) !== s) return;
        this.awaitingWeights.delete(s.uri);
        s.acceptTrace(trace, plan, textAtRequest, trace.step);
        this.decorations.redecorate(s);
        this.viewEmitter.fire();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // A text run that has only just started has no saved weights: the tint comes with them.
        const awaiting = message.startsWith(NO_WEIGHTS_YET);
        if (awaiting) this.awaitingWeights.add(s.uri);
        else this.awaitingWeights.delete(s.uri);
        if (fresh() && !awaiting) {
          void vscode.window.showWarningMessage(`RNN Debugger: could not evaluate the text with run "${run.name}": ${message}`);
        }
      } finally {
        this.busy.delete(s.uri);
        this.updateStatus();
      }
    });
  }

  private onTextChanged(doc: vscode.TextDocument): void {
    const s = this.sessions.get(doc.uri.toString());
    if (!s) return;
    // Remap at once: the unchanged prefix keeps its colours; the rest waits for the model.
    s.setText(doc.getText());
    this.decorations.redecorate(s);
    this.scheduler.schedule(s, EDIT_DEBOUNCE_MS);
  }

  private onModelImproved(runId: string): void {
    const every = refreshMs();
    for (const s of this.sessions.values()) if (s.runId === runId) this.scheduler.refresh(s, every);
  }

  private onScrolled(editor: vscode.TextEditor): void {
    const s = this.sessions.get(editor.document.uri.toString());
    if (!s) return;
    this.decorations.scrolled(editor, s, () => {
      // A long document evaluated in a window: when the visible steps leave it, ask for a new one.
      const [v0, v1] = visibleSteps(s.uri, s.map);
      if (s.trace && s.needsWindowFor(v0, v1, maxCharacters())) this.scheduler.schedule(s, 300);
    });
  }
  // #endregion

  dispose(): void {
    this.scheduler.dispose();
    this.decorations.dispose();
    for (const d of this.disposables) d.dispose();
    this.sessions.clear();
  }
}

/** Wire the inspector into the extension (call once from activate). */
export function registerInspector(context: vscode.ExtensionContext, store: RunStore): Inspector {
  const inspector = new Inspector(store);
  context.subscriptions.push(inspector);
  return inspector;
}
