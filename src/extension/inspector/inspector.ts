// The inline gate inspector in the editor: tints each character of an inspected document by the
// chosen unit's gate / state / gradient at that timestep, explains a character on hover, and
// ranks the units that are on in a selection. The model evaluation goes through the RunStore's
// traceText (the run's live trainer); the maths and mapping live in the pure modules next door.
// While a debug session holds a run, its training text's hover explains the paused step's sample.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunStatus } from '../../protocol/trace';
import { buildTextMap, stepsInRange } from '../../protocol/textMap';
import { NO_WEIGHTS_YET } from '../../protocol/trainer';
import type { RunStore } from '../runStore';
import { runIdOf } from '../sidebar/items';
import { layerOf, sampleHoverAt } from './hover';
import {
  PALETTE,
  isPerUnit,
  quantitiesFor,
  quantityDescription,
  quantityLabel,
  statusText,
  type Quantity,
} from './quantities';
import { rankUnitsInRange, type UnitRangeScore } from './ranking';
import { InspectSession, type ViewChoice } from './session';

/** Setting keys, declared once (package.json contributes them under rnnDebugger.inspector.*). */
export const INSPECTOR_SETTINGS = {
  section: 'rnnDebugger.inspector',
  threshold: 'threshold',
  maxCharacters: 'maxCharacters',
  refreshSeconds: 'refreshSeconds',
  autoInspect: 'autoInspect',
} as const;

/** Text edits are re-evaluated after this quiet time (typing stays responsive; one request per pause). */
const EDIT_DEBOUNCE_MS = 500;
/** Lines decorated above and below the visible ones, so small scrolls show colour at once. */
const MARGIN_LINES = 30;
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

interface EvalState {
  timer: ReturnType<typeof setTimeout> | undefined;
  inFlight: boolean;
  /** Another evaluation was asked for while one ran: run it when that one returns. */
  again: boolean;
  lastStart: number;
  /** Bumped when the session is dropped or re-targeted; results of older requests are ignored. */
  generation: number;
  /** The run has saved no weights yet: the next snapshot brings them; nothing to warn about. */
  awaitingWeights?: boolean;
}

export class Inspector implements InspectorApi, vscode.Disposable {
  private readonly sessions = new Map<string, InspectSession>();
  private readonly evals = new Map<string, EvalState>();
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly rankEmitter = new vscode.EventEmitter<UnitRelevance>();
  private readonly viewEmitter = new vscode.EventEmitter<void>();
  private readonly redecorateTimers = new Map<vscode.TextEditor, ReturnType<typeof setTimeout>>();
  /** Documents the user stopped inspecting: auto-inspect leaves them alone for that run. */
  private readonly dismissed = new Set<string>();
  /** Documents closed while inspected (uri → run): opened again, they are inspected again with that run. */
  private readonly closedWhileInspected = new Map<string, string>();
  /** Each run keeps its own layer, unit and quantity: one run's choice must not blank another's tint. */
  private readonly views = new Map<string, ViewChoice>();
  /** The choice while no run is current. */
  private loose: ViewChoice = { layer: 0, unit: 0, quantity: 'c' };
  private busy = new Set<string>();
  lastRanking: UnitRelevance | undefined;
  readonly onDidRankUnits = this.rankEmitter.event;
  readonly onDidChangeView = this.viewEmitter.event;

  constructor(private readonly store: RunStore) {
    // The palette is fixed: one decoration type per (hue, level), created once for the session.
    this.types = PALETTE.map((p) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(p.colorId),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
    this.status = vscode.window.createStatusBarItem('rnnDebugger.inspector', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'RNN Debugger inspector';
    this.status.command = 'rnnDebugger.pickQuantity';

    this.disposables.push(
      this.status,
      this.rankEmitter,
      this.viewEmitter,
      vscode.languages.registerHoverProvider('*', { provideHover: (doc, pos) => this.provideHover(doc, pos) }),
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
        if (e.affectsConfiguration(INSPECTOR_SETTINGS.section)) for (const s of this.sessions.values()) this.schedule(s, 0);
      }),
      store.onDidAddSnapshot((e) => this.onModelImproved(e.runId)),
      store.onDidChangeRun((e) => {
        if (e.kind === 'removed') {
          this.views.delete(e.runId);
          for (const s of [...this.sessions.values()]) if (s.runId === e.runId) this.stop(s.uri);
        }
        this.updateStatus();
        this.autoInspectOpen();
      }),
      store.onDidChangeSelection((e) => {
        const runId = e.runId ?? this.currentRunId();
        const v = this.viewOf(runId);
        if (e.selection.layer === v.layer && e.selection.unit === v.unit) return;
        this.putView(runId, { ...v, layer: e.selection.layer, unit: e.selection.unit });
        this.viewChanged();
      }),
    );
    this.registerCommands();
    this.updateStatus();
    this.autoInspectOpen();
  }

  get quantity(): Quantity {
    return this.view.quantity;
  }

  // #region commands
  private registerCommands(): void {
    const reg = (id: string, fn: (...args: never[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, fn));
    };
    reg('rnnDebugger.inspect', (uri?: vscode.Uri, runId?: string) => this.inspect(uri instanceof vscode.Uri ? uri : undefined, typeof runId === 'string' ? runId : undefined));
    reg('rnnDebugger.stopInspecting', () => {
      const s = this.activeSession();
      if (s) {
        this.dismissed.add(`${s.uri}|${s.runId}`);
        this.closedWhileInspected.delete(s.uri);
        this.stop(s.uri);
      }
    });
    reg('rnnDebugger.pickQuantity', () => this.pickQuantity());
    reg('rnnDebugger.pickUnit', () => this.pickUnit());
    reg('rnnDebugger.nextUnit', () => this.stepUnit(+1));
    reg('rnnDebugger.previousUnit', () => this.stepUnit(-1));
    reg('rnnDebugger.findUnits', () => this.findUnits());
    reg('rnnDebugger.setThreshold', () => this.askThreshold());
    reg('rnnDebugger.runs.inspect', (arg?: unknown) => this.inspectTrainingText(runIdOf(arg)));
  }

  async inspect(uri?: vscode.Uri, runId?: string): Promise<void> {
    const editor = uri
      ? (vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString()) ??
        (await vscode.window.showTextDocument(uri, { preserveFocus: true })))
      : vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('RNN Debugger: open a text file to inspect it with a model.');
      return;
    }
    const run = runId ? this.store.status(runId) : await this.chooseRun();
    if (!run) return;
    if (!this.store.canTraceText(run.id)) {
      void vscode.window.showWarningMessage(
        `RNN Debugger: run "${run.name}" cannot evaluate text (state: ${run.state}): it is not a character-level run, or it saved no weights yet.`,
      );
      return;
    }
    this.start(editor.document, run.id);
  }

  private start(doc: vscode.TextDocument, runId: string): void {
    const key = doc.uri.toString();
    this.dismissed.delete(`${key}|${runId}`);
    let s = this.sessions.get(key);
    if (!s || s.runId !== runId) {
      if (s) this.bumpGeneration(key);
      s = new InspectSession(key, runId);
      this.sessions.set(key, s);
    }
    s.setText(doc.getText());
    this.schedule(s, 0);
    this.updateStatus();
  }

  private stop(key: string): void {
    this.drop(key);
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === key) for (const t of this.types) e.setDecorations(t, []);
    this.updateStatus();
  }

  private drop(key: string): void {
    const ev = this.evals.get(key);
    if (ev?.timer) clearTimeout(ev.timer);
    this.bumpGeneration(key);
    this.sessions.delete(key);
    this.busy.delete(key);
  }

  private bumpGeneration(key: string): void {
    const ev = this.evals.get(key);
    if (ev) {
      ev.generation++;
      ev.again = false;
    }
  }

  private async chooseRun(): Promise<RunStatus | undefined> {
    const live = this.store.runs().filter((r) => r.spec.data.kind === 'text' && this.store.canTraceText(r.id));
    const selected = this.store.selection.runId;
    if (selected && live.some((r) => r.id === selected)) return live.find((r) => r.id === selected);
    if (live.length === 1) return live[0];
    if (live.length === 0) {
      const train = 'Train RNN';
      const pick = await vscode.window.showInformationMessage(
        'RNN Debugger: Inspect with RNN needs a character-level run that is training (its model evaluates the text). Train one on a text file first.',
        train,
      );
      if (pick === train) void vscode.commands.executeCommand('rnnDebugger.train');
      return undefined;
    }
    const item = await vscode.window.showQuickPick(
      live.map((r) => ({ label: r.name, description: `step ${r.step} · ${r.spec.model.cell}`, run: r })),
      { placeHolder: 'Which run’s model should read this text?' },
    );
    return item?.run;
  }

  private async inspectTrainingText(runId: string | undefined): Promise<void> {
    const run = runId ? this.store.status(runId) : undefined;
    if (!run || run.spec.data.kind !== 'text') {
      void vscode.window.showInformationMessage('RNN Debugger: only character-level (text) runs can be inspected over their text.');
      return;
    }
    const uri = this.resolveDataPath(run);
    if (!uri) {
      void vscode.window.showWarningMessage(`RNN Debugger: cannot find the training file ${run.spec.data.path}.`);
      return;
    }
    await this.inspect(uri, run.id);
  }

  /** The training file of a text run, among open documents first, then under the workspace folders. */
  private resolveDataPath(run: RunStatus): vscode.Uri | undefined {
    if (run.spec.data.kind !== 'text') return undefined;
    const p = run.spec.data.path;
    const open = vscode.workspace.textDocuments.find((d) => matchesDataPath(d.uri.fsPath, p));
    if (open) return open.uri;
    if (path.isAbsolute(p)) return vscode.Uri.file(p);
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, p) : undefined;
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
    const cfg = vscode.workspace.getConfiguration(INSPECTOR_SETTINGS.section);
    if (!cfg.get<boolean>(INSPECTOR_SETTINGS.autoInspect, true)) return;
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

  private async pickQuantity(): Promise<void> {
    const s = this.activeSession();
    const run = s ? this.store.status(s.runId) : this.store.selection.runId ? this.store.status(this.store.selection.runId) : undefined;
    const cell = s?.trace?.cell ?? run?.spec.model.cell ?? 'lstm';
    const layers = run?.spec.model.layers ?? s?.trace?.layers.length ?? 1;
    type Item = vscode.QuickPickItem & { act: () => void };
    const items: Item[] = quantitiesFor(cell).map((q) => ({
      label: `${q === this.view.quantity ? '$(check) ' : ''}${quantityLabel(q)}`,
      description: quantityDescription(q, cell),
      act: () => this.setView({ quantity: q }),
    }));
    items.push({ label: 'Layer', kind: vscode.QuickPickItemKind.Separator, act: () => undefined });
    for (let l = 0; l < layers; l++) {
      items.push({ label: `${l === this.view.layer ? '$(check) ' : ''}Layer ${l}`, act: () => this.setView({ layer: l }) });
    }
    items.push({ label: 'Unit', kind: vscode.QuickPickItemKind.Separator, act: () => undefined });
    items.push({ label: '$(arrow-right) Next unit', description: `unit ${this.view.unit + 1}`, act: () => this.stepUnit(+1) });
    items.push({ label: '$(arrow-left) Previous unit', description: `unit ${Math.max(0, this.view.unit - 1)}`, act: () => this.stepUnit(-1) });
    items.push({ label: '$(symbol-number) Go to unit…', act: () => void this.pickUnit() });
    items.push({ label: '$(settings) Activation threshold…', description: String(this.threshold()), act: () => void this.askThreshold() });
    const pick = await vscode.window.showQuickPick(items, { placeHolder: `Tint the text by… (now ${statusText(this.view.quantity, this.view.layer, this.view.unit)})` });
    pick?.act();
  }

  private async pickUnit(): Promise<void> {
    const H = this.unitsOfView();
    const v = await vscode.window.showInputBox({
      prompt: `Unit of layer ${this.view.layer} (0 … ${H - 1})`,
      value: String(this.view.unit),
      validateInput: (x) => (/^\d+$/.test(x.trim()) && Number(x) < H ? undefined : `a whole number from 0 to ${H - 1}`),
    });
    if (v !== undefined) this.setView({ unit: Number(v.trim()) });
  }

  private stepUnit(delta: number): void {
    const H = this.unitsOfView();
    this.setView({ unit: (((this.view.unit + delta) % H) + H) % H });
  }

  private threshold(): number {
    return vscode.workspace.getConfiguration(INSPECTOR_SETTINGS.section).get<number>(INSPECTOR_SETTINGS.threshold, 0.3);
  }

  private async askThreshold(): Promise<number | undefined> {
    const v = await vscode.window.showInputBox({
      prompt: 'Activation threshold: a unit is "on" at a character when its value (times its sign) is at least this',
      value: String(this.threshold()),
      validateInput: (x) => (Number.isFinite(Number(x)) && x.trim() !== '' ? undefined : 'a number, e.g. 0.3'),
    });
    if (v === undefined) return undefined;
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(INSPECTOR_SETTINGS.section).update(INSPECTOR_SETTINGS.threshold, Number(v), target);
    return Number(v);
  }

  /** Rank the units for the active selection: on inside, off around it (see ranking.ts). */
  private findUnits(): void {
    const editor = vscode.window.activeTextEditor;
    const s = this.activeSession();
    if (!editor || !s || !s.trace) {
      void vscode.window.showInformationMessage('RNN Debugger: inspect this document first (Inspect with RNN), then select some text.');
      return;
    }
    const sel = editor.selection;
    const [d0, d1] = stepsInRange(s.map, editor.document.offsetAt(sel.start), editor.document.offsetAt(sel.end));
    const L = layerOf(s.trace, this.view.layer);
    // Norms are not per unit: rank by the cell state (LSTM) or hidden state instead.
    const q = isPerUnit(this.view.quantity) ? this.view.quantity : L?.values.c ? 'c' : 'h';
    const m = !L ? undefined : q === 'dh' ? L.dh : q === 'dc' ? L.dc : L.values[q];
    const t0 = Math.max(0, d0 - s.windowStart);
    const t1 = Math.min(q === 'dh' || q === 'dc' ? s.validGrads : s.validStates, d1 - s.windowStart);
    if (!L || !m || t1 <= t0) {
      void vscode.window.showInformationMessage('RNN Debugger: select text that the model has evaluated (tinted text).');
      return;
    }
    const threshold = this.threshold();
    const series = s.seriesOf({ ...this.view, quantity: q }, this.store.status(s.runId)?.spec.model);
    const scores = rankUnitsInRange(m, L.units, t0, t1, { threshold, signed: series?.scale.kind === 'diverging' });
    const ranking: UnitRelevance = { runId: s.runId, layer: this.view.layer, quantity: q, threshold, steps: [d0, d1], scores };
    this.lastRanking = ranking;
    this.rankEmitter.fire(ranking);
    const best = scores[0];
    if (best) {
      this.setView({ unit: best.unit, quantity: q });
      vscode.window.setStatusBarMessage(
        `RNN: unit ${best.unit} is ${best.polarity > 0 ? 'on' : 'on (negative)'} in ${Math.round(100 * best.insideOn)}% of the selection and ${Math.round(100 * best.outsideOn)}% around it (|${quantityLabel(q)}| ≥ ${threshold})`,
        8000,
      );
    }
    void vscode.commands.executeCommand('rnnDebugger.units.focus').then(undefined, () => undefined);
  }
  // #endregion

  // #region view state
  selectUnit(runId: string | null, layer: number, unit: number): void {
    this.setView({ layer, unit }, runId);
  }

  private setView(change: Partial<ViewChoice>, runId?: string | null): void {
    const id = runId ?? this.currentRunId();
    const v = this.putView(id, { ...this.viewOf(id), ...change });
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
    return this.viewOf(this.currentRunId());
  }

  /** A run's choice (first time: its last selection, with a quantity its cell has). */
  private viewOf(runId: string | null): ViewChoice {
    if (!runId) return this.loose;
    let v = this.views.get(runId);
    if (!v) {
      const sel = this.store.selectionOf(runId);
      v = this.putView(runId, { layer: sel.layer, unit: sel.unit, quantity: this.loose.quantity }, true);
    }
    return v;
  }

  /**
   * Stores a run's choice, fitted to the run: a quantity its cell has, layer and unit in range.
   * A layer or unit out of range is clamped and said so in the status bar, never silently.
   */
  private putView(runId: string | null, want: ViewChoice, quiet = false): ViewChoice {
    const run = runId ? this.store.status(runId) : undefined;
    if (!runId || !run) {
      this.loose = want;
      return want;
    }
    const m = run.spec.model;
    const qs = quantitiesFor(m.cell);
    const v: ViewChoice = {
      quantity: qs.includes(want.quantity) ? want.quantity : qs[0],
      layer: Math.max(0, Math.min(want.layer, m.layers - 1)),
      unit: Math.max(0, Math.min(want.unit, m.hiddenSize - 1)),
    };
    if (!quiet && (v.layer !== want.layer || v.unit !== want.unit)) {
      vscode.window.setStatusBarMessage(
        `RNN: run "${run.name}" has layers 0…${m.layers - 1} and units 0…${m.hiddenSize - 1}: showing layer ${v.layer}, unit ${v.unit}`,
        8000,
      );
    }
    this.views.set(runId, v);
    return v;
  }

  private viewChanged(): void {
    this.redecorateAll();
    this.updateStatus();
    this.viewEmitter.fire();
  }

  private unitsOfView(): number {
    const s = this.activeSession();
    const L = s?.trace ? layerOf(s.trace, this.view.layer) : undefined;
    const runId = s?.runId ?? this.store.selection.runId;
    return Math.max(1, L?.units ?? (runId ? this.store.status(runId)?.spec.model.hiddenSize : undefined) ?? 1);
  }

  private activeSession(): InspectSession | undefined {
    const ed = vscode.window.activeTextEditor;
    return ed ? this.sessions.get(ed.document.uri.toString()) : undefined;
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
        : this.evals.get(s.uri)?.awaitingWeights ? 'Waiting for the run to save its first weights' : 'Evaluating…',
      'Click to choose quantity, layer and unit.',
    ].join('\n');
    this.status.show();
  }
  // #endregion

  // #region evaluation
  private evalState(key: string): EvalState {
    let ev = this.evals.get(key);
    if (!ev) {
      ev = { timer: undefined, inFlight: false, again: false, lastStart: 0, generation: 0 };
      this.evals.set(key, ev);
    }
    return ev;
  }

  /** Ask for an evaluation in `delayMs`; a later ask replaces an earlier pending one. */
  private schedule(s: InspectSession, delayMs: number): void {
    const ev = this.evalState(s.uri);
    if (ev.timer) clearTimeout(ev.timer);
    ev.timer = setTimeout(() => {
      ev.timer = undefined;
      if (ev.inFlight) ev.again = true;
      else void this.evaluate(s);
    }, delayMs);
  }

  private async evaluate(s: InspectSession): Promise<void> {
    const ev = this.evalState(s.uri);
    const run = this.store.status(s.runId);
    if (!run || !this.store.canTraceText(s.runId) || this.sessions.get(s.uri) !== s) return;
    const maxChars = this.maxCharacters();
    const plan = s.planEval(this.visibleSteps(s), maxChars, run.vocabulary);
    const textAtRequest = s.map.modelText;
    const generation = ev.generation;
    ev.inFlight = true;
    ev.lastStart = Date.now();
    this.busy.add(s.uri);
    this.updateStatus();
    try {
      const trace = await this.store.traceText(s.runId, plan.fedText);
      if (generation !== ev.generation || this.sessions.get(s.uri) !== s) return;
      ev.awaitingWeights = false;
      s.acceptTrace(trace, plan, textAtRequest, trace.step);
      this.redecorate(s);
      this.viewEmitter.fire();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A text run that has only just started has no saved weights: the tint comes with them.
      ev.awaitingWeights = message.startsWith(NO_WEIGHTS_YET);
      if (generation === ev.generation && !ev.awaitingWeights) {
        void vscode.window.showWarningMessage(`RNN Debugger: could not evaluate the text with run "${run.name}": ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      ev.inFlight = false;
      this.busy.delete(s.uri);
      this.updateStatus();
      if (ev.again && this.sessions.get(s.uri) === s) {
        ev.again = false;
        this.schedule(s, 0);
      }
    }
  }

  private onTextChanged(doc: vscode.TextDocument): void {
    const s = this.sessions.get(doc.uri.toString());
    if (!s) return;
    // Remap at once: the unchanged prefix keeps its colours; the rest waits for the model.
    s.setText(doc.getText());
    this.redecorate(s);
    this.schedule(s, EDIT_DEBOUNCE_MS);
  }

  private onModelImproved(runId: string): void {
    const refresh = 1000 * vscode.workspace.getConfiguration(INSPECTOR_SETTINGS.section).get<number>(INSPECTOR_SETTINGS.refreshSeconds, 5);
    for (const s of this.sessions.values()) {
      if (s.runId !== runId) continue;
      const ev = this.evalState(s.uri);
      if (ev.timer) continue; // one is already pending
      const wait = Math.max(0, ev.lastStart + refresh - Date.now());
      this.schedule(s, wait);
    }
  }

  private onScrolled(editor: vscode.TextEditor): void {
    const s = this.sessions.get(editor.document.uri.toString());
    if (!s) return;
    const prev = this.redecorateTimers.get(editor);
    if (prev) clearTimeout(prev);
    this.redecorateTimers.set(
      editor,
      setTimeout(() => {
        this.redecorateTimers.delete(editor);
        this.decorateEditor(editor, s);
        // A long document evaluated in a window: when the visible steps leave it, ask for a new one.
        const [v0, v1] = this.visibleSteps(s);
        if (s.trace && s.needsWindowFor(v0, v1, this.maxCharacters())) this.schedule(s, 300);
      }, 30),
    );
  }

  private maxCharacters(): number {
    return Math.max(100, vscode.workspace.getConfiguration(INSPECTOR_SETTINGS.section).get<number>(INSPECTOR_SETTINGS.maxCharacters, 4000));
  }

  /**
   * Document steps [v0, v1) of the visible lines (all visible ranges). visibleRanges leaves out a
   * line cut by the bottom edge: one line more is taken, so the last line on screen is evaluated.
   */
  private visibleSteps(s: InspectSession): [number, number] {
    const ed = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === s.uri);
    const rs = ed?.visibleRanges;
    if (!ed || !rs?.length) return [0, 0];
    const doc = ed.document;
    const a = doc.offsetAt(new vscode.Position(rs[0].start.line, 0));
    const b = doc.offsetAt(doc.lineAt(Math.min(doc.lineCount - 1, rs[rs.length - 1].end.line + 1)).rangeIncludingLineBreak.end);
    return stepsInRange(s.map, a, b);
  }
  // #endregion

  // #region decorations and hover
  private redecorateAll(): void {
    for (const s of this.sessions.values()) this.redecorate(s);
  }

  private redecorate(s: InspectSession): void {
    for (const ed of vscode.window.visibleTextEditors) if (ed.document.uri.toString() === s.uri) this.decorateEditor(ed, s);
  }

  /** Decorate the visible lines (plus a margin) of one editor; every palette type is set, so stale colours clear. */
  private decorateEditor(editor: vscode.TextEditor, s: InspectSession): void {
    const doc = editor.document;
    const model = this.store.status(s.runId)?.spec.model;
    const perSlot: vscode.Range[][] = this.types.map(() => []);
    for (const [a, b] of visibleOffsetRanges(editor)) {
      for (const { slot, offsets } of s.decorations(this.viewOf(s.runId), model, a, b)) {
        const out = perSlot[slot];
        for (let k = 0; k < offsets.length; k += 2) out.push(new vscode.Range(doc.positionAt(offsets[k]), doc.positionAt(offsets[k + 1])));
      }
    }
    this.types.forEach((t, i) => editor.setDecorations(t, perSlot[i]));
  }

  private provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const paused = this.pausedHover(doc, pos);
    if (paused) return paused;
    const s = this.sessions.get(doc.uri.toString());
    if (!s) return undefined;
    const md = s.hoverAt(doc.offsetAt(pos), this.viewOf(s.runId), this.store.status(s.runId)?.name);
    if (!md) return undefined;
    const t = s.map.stepAt[Math.min(doc.offsetAt(pos), s.map.length - 1)];
    return markdownHover(doc, md, s.map.starts[t], s.map.starts[t + 1]);
  }

  /** While a debug session holds a run on this training text: the character's values in the paused step's traced sample. */
  private pausedHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const stop = this.store.debugStop;
    if (!stop?.snapshot || !stop.dataFile || doc.uri.scheme !== 'file' || !matchesDataPath(doc.uri.fsPath, stop.dataFile)) return undefined;
    const text = doc.getText();
    const s = this.sessions.get(doc.uri.toString());
    const map = s && s.text === text ? s.map : buildTextMap(text);
    const v = this.viewOf(stop.runId);
    const hit = sampleHoverAt({ step: stop.step, snapshot: stop.snapshot, t: stop.t }, { text, map, offset: doc.offsetAt(pos) }, { ...v, runName: this.store.status(stop.runId)?.name });
    return hit ? markdownHover(doc, hit.markdown, ...hit.range) : undefined;
  }
  // #endregion

  dispose(): void {
    for (const ev of this.evals.values()) if (ev.timer) clearTimeout(ev.timer);
    for (const t of this.redecorateTimers.values()) clearTimeout(t);
    for (const t of this.types) t.dispose();
    for (const d of this.disposables) d.dispose();
    this.sessions.clear();
  }
}

/** A hover of plain Markdown over the document range [a, b): no HTML, no command links, no theme icons (the text is the user's file). */
function markdownHover(doc: vscode.TextDocument, md: string, a: number, b: number): vscode.Hover {
  const ms = new vscode.MarkdownString(md);
  ms.isTrusted = false;
  ms.supportHtml = false;
  return new vscode.Hover(ms, new vscode.Range(doc.positionAt(a), doc.positionAt(b)));
}

/** Offset ranges of the visible lines of an editor plus a margin, merged where they overlap. */
function visibleOffsetRanges(editor: vscode.TextEditor): [number, number][] {
  const doc = editor.document;
  const out: [number, number][] = [];
  for (const r of editor.visibleRanges) {
    const a = doc.offsetAt(new vscode.Position(Math.max(0, r.start.line - MARGIN_LINES), 0));
    const endLine = r.end.line + MARGIN_LINES + 1;
    const b = endLine >= doc.lineCount ? doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end) : doc.offsetAt(new vscode.Position(endLine, 0));
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Whether a document path is the run's data path (absolute, or relative to some folder). */
export function matchesDataPath(fsPath: string, dataPath: string): boolean {
  const a = path.normalize(fsPath);
  const b = path.normalize(dataPath);
  if (path.isAbsolute(b)) return a === b;
  return a === b || a.endsWith(path.sep + b);
}

/** Wire the inspector into the extension (call once from activate). */
export function registerInspector(context: vscode.ExtensionContext, store: RunStore): Inspector {
  const inspector = new Inspector(store);
  context.subscriptions.push(inspector);
  return inspector;
}
