// The inspector's commands: inspect a document (or a run's training file) with a run, stop, choose
// the quantity, layer, unit and threshold, and Find Units Active Here over the selection.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunStatus } from '../../protocol/trace';
import { stepsInRange } from '../../protocol/textMap';
import type { RunStore } from '../runStore';
import { runIdOf } from '../sidebar/items';
import { matchesDataPath } from './dataPath';
import { layerOf } from './hover';
import type { UnitRelevance } from './inspector';
import { isPerUnit, quantitiesFor, quantityDescription, quantityLabel, statusText } from './quantities';
import { rankUnitsInRange } from './ranking';
import type { InspectSession, ViewChoice } from './session';
import { setThreshold, threshold } from './settings';

/** What the commands act on. */
export interface CommandHost {
  /** The session of the active editor's document. */
  activeSession(): InspectSession | undefined;
  /** The choice of the run the commands act on (the active editor's, else the selected run). */
  view(): ViewChoice;
  setView(change: Partial<ViewChoice>): void;
  /** Inspect a document with a run. */
  start(doc: vscode.TextDocument, runId: string): void;
  /** Stop inspecting a session's document; auto-inspect leaves it alone for that run. */
  dismiss(s: InspectSession): void;
  /** Find Units Active Here ranked the units of a selection. */
  ranked(ranking: UnitRelevance): void;
}

export class InspectorCommands {
  constructor(
    private readonly store: RunStore,
    private readonly host: CommandHost,
  ) {}

  register(): vscode.Disposable[] {
    const out: vscode.Disposable[] = [];
    const reg = (id: string, fn: (...args: never[]) => unknown): void => {
      out.push(vscode.commands.registerCommand(id, fn));
    };
    reg('rnnDebugger.inspect', (uri?: vscode.Uri, runId?: string) => this.inspect(uri instanceof vscode.Uri ? uri : undefined, typeof runId === 'string' ? runId : undefined));
    reg('rnnDebugger.stopInspecting', () => {
      const s = this.host.activeSession();
      if (s) this.host.dismiss(s);
    });
    reg('rnnDebugger.pickQuantity', () => this.pickQuantity());
    reg('rnnDebugger.pickUnit', () => this.pickUnit());
    reg('rnnDebugger.nextUnit', () => this.stepUnit(+1));
    reg('rnnDebugger.previousUnit', () => this.stepUnit(-1));
    reg('rnnDebugger.findUnits', () => this.findUnits());
    reg('rnnDebugger.setThreshold', () => this.askThreshold());
    reg('rnnDebugger.runs.inspect', (arg?: unknown) => this.inspectTrainingText(runIdOf(arg)));
    return out;
  }

  /** Inspect a document with a run (asks when either is missing). */
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
    this.host.start(editor.document, run.id);
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

  private async pickQuantity(): Promise<void> {
    const s = this.host.activeSession();
    const run = s ? this.store.status(s.runId) : this.store.selection.runId ? this.store.status(this.store.selection.runId) : undefined;
    const cell = s?.trace?.cell ?? run?.spec.model.cell ?? 'lstm';
    const layers = run?.spec.model.layers ?? s?.trace?.layers.length ?? 1;
    const view = this.host.view();
    type Item = vscode.QuickPickItem & { act: () => void };
    const items: Item[] = quantitiesFor(cell).map((q) => ({
      label: `${q === view.quantity ? '$(check) ' : ''}${quantityLabel(q)}`,
      description: quantityDescription(q, cell),
      act: () => this.host.setView({ quantity: q }),
    }));
    items.push({ label: 'Layer', kind: vscode.QuickPickItemKind.Separator, act: () => undefined });
    for (let l = 0; l < layers; l++) {
      items.push({ label: `${l === view.layer ? '$(check) ' : ''}Layer ${l}`, act: () => this.host.setView({ layer: l }) });
    }
    items.push({ label: 'Unit', kind: vscode.QuickPickItemKind.Separator, act: () => undefined });
    items.push({ label: '$(arrow-right) Next unit', description: `unit ${view.unit + 1}`, act: () => this.stepUnit(+1) });
    items.push({ label: '$(arrow-left) Previous unit', description: `unit ${Math.max(0, view.unit - 1)}`, act: () => this.stepUnit(-1) });
    items.push({ label: '$(symbol-number) Go to unit…', act: () => void this.pickUnit() });
    items.push({ label: '$(settings) Activation threshold…', description: String(threshold()), act: () => void this.askThreshold() });
    const pick = await vscode.window.showQuickPick(items, { placeHolder: `Tint the text by… (now ${statusText(view.quantity, view.layer, view.unit)})` });
    pick?.act();
  }

  private async pickUnit(): Promise<void> {
    const H = this.unitsOfView();
    const v = await vscode.window.showInputBox({
      prompt: `Unit of layer ${this.host.view().layer} (0 … ${H - 1})`,
      value: String(this.host.view().unit),
      validateInput: (x) => (/^\d+$/.test(x.trim()) && Number(x) < H ? undefined : `a whole number from 0 to ${H - 1}`),
    });
    if (v !== undefined) this.host.setView({ unit: Number(v.trim()) });
  }

  private stepUnit(delta: number): void {
    const H = this.unitsOfView();
    this.host.setView({ unit: (((this.host.view().unit + delta) % H) + H) % H });
  }

  /** Units of the chosen layer: of the active document's trace, else of the run's model. */
  private unitsOfView(): number {
    const s = this.host.activeSession();
    const L = s?.trace ? layerOf(s.trace, this.host.view().layer) : undefined;
    const runId = s?.runId ?? this.store.selection.runId;
    return Math.max(1, L?.units ?? (runId ? this.store.status(runId)?.spec.model.hiddenSize : undefined) ?? 1);
  }

  private async askThreshold(): Promise<number | undefined> {
    const v = await vscode.window.showInputBox({
      prompt: 'Activation threshold: a unit is "on" at a character when its value (times its sign) is at least this',
      value: String(threshold()),
      validateInput: (x) => (Number.isFinite(Number(x)) && x.trim() !== '' ? undefined : 'a number, e.g. 0.3'),
    });
    if (v === undefined) return undefined;
    await setThreshold(Number(v));
    return Number(v);
  }

  /** Rank the units for the active selection: on inside, off around it (see ranking.ts). */
  private findUnits(): void {
    const editor = vscode.window.activeTextEditor;
    const s = this.host.activeSession();
    if (!editor || !s || !s.trace) {
      void vscode.window.showInformationMessage('RNN Debugger: inspect this document first (Inspect with RNN), then select some text.');
      return;
    }
    const view = this.host.view();
    const sel = editor.selection;
    const [d0, d1] = stepsInRange(s.map, editor.document.offsetAt(sel.start), editor.document.offsetAt(sel.end));
    const L = layerOf(s.trace, view.layer);
    // Norms are not per unit: rank by the cell state (LSTM) or hidden state instead.
    const q = isPerUnit(view.quantity) ? view.quantity : L?.values.c ? 'c' : 'h';
    const m = !L ? undefined : q === 'dh' ? L.dh : q === 'dc' ? L.dc : L.values[q];
    const t0 = Math.max(0, d0 - s.windowStart);
    const t1 = Math.min(q === 'dh' || q === 'dc' ? s.validGrads : s.validStates, d1 - s.windowStart);
    if (!L || !m || t1 <= t0) {
      void vscode.window.showInformationMessage('RNN Debugger: select text that the model has evaluated (tinted text).');
      return;
    }
    const th = threshold();
    const series = s.seriesOf({ ...view, quantity: q }, this.store.status(s.runId)?.spec.model);
    const scores = rankUnitsInRange(m, L.units, t0, t1, { threshold: th, signed: series?.scale.kind === 'diverging' });
    const ranking: UnitRelevance = { runId: s.runId, layer: view.layer, quantity: q, threshold: th, steps: [d0, d1], scores };
    this.host.ranked(ranking);
    const best = scores[0];
    if (best) {
      this.host.setView({ unit: best.unit, quantity: q });
      vscode.window.setStatusBarMessage(
        `RNN: unit ${best.unit} is ${best.polarity > 0 ? 'on' : 'on (negative)'} in ${Math.round(100 * best.insideOn)}% of the selection and ${Math.round(100 * best.outsideOn)}% around it (|${quantityLabel(q)}| ≥ ${th})`,
        8000,
      );
    }
    void vscode.commands.executeCommand('rnnDebugger.units.focus').then(undefined, () => undefined);
  }
}
