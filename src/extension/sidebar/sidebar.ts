// The debug sidebar (activity bar container "RNN Debugger"): the Runs, Diagnostics and Units
// trees over the RunStore. Items are built by the pure functions of items.ts; clicking reveals
// the run, the evidence chart or the unit in the panel and the inspector. While a debug session
// holds a run they follow it: Diagnostics up to the paused step plus the selected frame's
// timestep, Units of the paused step's sample (ranked at that timestep).

import * as vscode from 'vscode';
import { diagnose, type Diagnostic } from '../../core/analysis/diagnostics';
import type { Selection } from '../../protocol/webview';
import type { InspectorApi } from '../inspector/inspector';
import { tokenLabel } from '../debug/frames';
import type { RunStore } from '../runStore';
import {
  RANK_MODES,
  diagnosticItem,
  runIdOf,
  runItem,
  pausedText,
  sortRuns,
  timestepItem,
  unitItems,
  type ItemSpec,
  type RevealArgs,
  type UnitArgs,
  type UnitRankMode,
} from './items';

/** What the sidebar asks of the panel host; each falls back to the host's public command. */
export interface SidebarHooks {
  /** Show the panel on these runs (one, or two to compare). */
  showRuns(runIds: string[]): unknown;
  /** Post a `reveal` to the panel (after showing it on the run). */
  reveal(runId: string, selection: Partial<Selection>, chart?: string): unknown;
  /** Stop a live run. */
  stop(runId: string): unknown;
}

/** Refresh at most this often while a run streams metrics (a tree refresh re-renders every row). */
const REFRESH_MS = 500;

function toTreeItem(s: ItemSpec): vscode.TreeItem {
  const item = new vscode.TreeItem(s.label, vscode.TreeItemCollapsibleState.None);
  item.id = s.id;
  item.description = s.description;
  item.tooltip = s.tooltip;
  item.contextValue = s.contextValue;
  if (s.icon) item.iconPath = new vscode.ThemeIcon(s.icon.id, s.icon.color ? new vscode.ThemeColor(s.icon.color) : undefined);
  if (s.command) item.command = s.command;
  return item;
}

/** A flat tree whose rows are recomputed from the store on refresh (throttled). */
class FlatTree implements vscode.TreeDataProvider<ItemSpec> {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFire = 0;

  constructor(private readonly rows: () => ItemSpec[]) {}

  getTreeItem(e: ItemSpec): vscode.TreeItem {
    return toTreeItem(e);
  }

  getChildren(e?: ItemSpec): ItemSpec[] {
    return e ? [] : this.rows();
  }

  /** Refresh now if the last one was long enough ago, else once at the end of the interval. */
  refresh(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFire + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFire = Date.now();
      this.emitter.fire();
    }, wait);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.emitter.dispose();
  }
}

export class Sidebar implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private mode: UnitRankMode = 'variance';
  private readonly runs: FlatTree;
  private readonly diagnostics: FlatTree;
  private readonly units: FlatTree;
  private readonly unitsView: vscode.TreeView<ItemSpec>;
  private readonly diagnosticsView: vscode.TreeView<ItemSpec>;
  private diagCache: { runId: string; key: string; items: Diagnostic[] } | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly inspector: InspectorApi | undefined,
    private readonly hooks: Partial<SidebarHooks>,
  ) {
    this.runs = new FlatTree(() => this.runRows());
    this.diagnostics = new FlatTree(() => this.diagnosticRows());
    this.units = new FlatTree(() => this.unitRows());
    const runsView = vscode.window.createTreeView('rnnDebugger.runs', { treeDataProvider: this.runs });
    this.diagnosticsView = vscode.window.createTreeView('rnnDebugger.diagnostics', { treeDataProvider: this.diagnostics });
    this.unitsView = vscode.window.createTreeView('rnnDebugger.units', { treeDataProvider: this.units });
    this.disposables.push(this.runs, this.diagnostics, this.units, runsView, this.diagnosticsView, this.unitsView);

    const all = (): void => {
      this.runs.refresh();
      this.diagnostics.refresh();
      this.units.refresh();
    };
    this.disposables.push(
      store.onDidChangeRun(all),
      store.onDidAddMetrics(() => {
        this.runs.refresh();
        this.diagnostics.refresh();
      }),
      store.onDidAddSnapshot(() => {
        this.diagnostics.refresh();
        this.units.refresh();
      }),
      store.onDidChangeSelection(all),
      store.onDidChangeDebugStop(all),
    );
    if (inspector) {
      this.disposables.push(
        inspector.onDidRankUnits(() => {
          this.mode = 'relevance';
          this.units.refresh();
        }),
        inspector.onDidChangeView(() => this.units.refresh()),
      );
    }
    this.registerCommands();
  }

  /** The run the Diagnostics and Units views describe: the selected one, else the newest. */
  private currentRunId(): string | undefined {
    const sel = this.store.selection.runId;
    if (sel && this.store.has(sel)) return sel;
    return sortRuns(this.store.runs())[0]?.id;
  }

  private runRows(): ItemSpec[] {
    const current = this.currentRunId();
    return sortRuns(this.store.runs()).map((s) => runItem(s, this.store.lastMetrics(s.id), s.id === current, this.store.debugStopOf(s.id)));
  }

  private diagnosticRows(): ItemSpec[] {
    const runId = this.currentRunId();
    const status = runId ? this.store.status(runId) : undefined;
    if (!runId || !status) {
      this.diagnosticsView.description = undefined;
      return [];
    }
    // Under the debugger: the findings as of the paused step (the trainer is held there).
    const stop = this.store.debugStopOf(runId);
    const upTo = <T extends { step: number }>(xs: T[]): T[] => (stop ? xs.filter((x) => x.step <= stop.step) : xs);
    const metrics = upTo(this.store.metrics(runId));
    const snapshots = upTo(this.store.snapshots(runId));
    // diagnose() walks every metric: recompute only when the run has moved on.
    const key = `${status.state}:${status.step}:${metrics.length}:${snapshots[snapshots.length - 1]?.step ?? -1}`;
    if (this.diagCache?.runId !== runId || this.diagCache.key !== key) {
      this.diagCache = { runId, key, items: diagnose({ status, metrics, snapshots }) };
    }
    this.diagnosticsView.description = stop ? `${status.name} · debugger: ${pausedText(stop)}` : status.name;
    const items = this.diagCache.items.map((d) => diagnosticItem(runId, d));
    // The selected Call Stack frame's timestep first: how much gradient reaches it.
    const frame = stop?.snapshot && stop.t !== null
      ? timestepItem(runId, { ...stop, snapshot: stop.snapshot }, this.store.selectionOf(runId).layer, tokenLabel(stop.snapshot, stop.t, status.vocabulary))
      : undefined;
    if (frame) items.unshift(frame);
    this.diagnosticsView.message = items.length ? undefined : `No findings yet for ${status.name} (step ${stop?.step ?? status.step}).`;
    return items;
  }

  private unitRows(): ItemSpec[] {
    const runId = this.currentRunId();
    if (!runId) {
      this.unitsView.message = undefined;
      return [];
    }
    const sel = this.store.selectionOf(runId);
    const stop = this.store.debugStopOf(runId);
    const { items, message } = unitItems({
      mode: this.mode,
      runId,
      layer: sel.layer,
      quantity: this.inspector?.quantity ?? 'c',
      snapshot: stop?.snapshot ?? this.store.latestSnapshot(runId),
      relevance: this.inspector?.lastRanking,
      selectedUnit: sel.unit,
      paused: stop?.snapshot ? stop : undefined,
    });
    this.unitsView.message = message;
    this.unitsView.description = RANK_MODES.find((m) => m.mode === this.mode)?.label;
    return items;
  }

  private registerCommands(): void {
    const reg = (id: string, fn: (...args: never[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, fn));
    };
    reg('rnnDebugger.runs.showPanel', (arg?: unknown) => {
      const runId = runIdOf(arg) ?? this.currentRunId();
      if (!runId) return;
      this.selectRun(runId);
      return this.showRuns([runId]);
    });
    reg('rnnDebugger.runs.stop', (arg?: unknown) => {
      const runId = runIdOf(arg);
      if (!runId) return;
      return this.hooks.stop ? this.hooks.stop(runId) : vscode.commands.executeCommand('rnnDebugger.stop', runId);
    });
    reg('rnnDebugger.runs.compare', async (arg?: unknown) => {
      const runId = runIdOf(arg) ?? this.currentRunId();
      // No run to start from, or none loaded beside it: the palette's Compare Runs picks among
      // every run, saved ones too (this used to return silently: "Compare opened no picker").
      const others = sortRuns(this.store.runs()).filter((r) => r.id !== runId);
      if (!runId || !others.length) return vscode.commands.executeCommand('rnnDebugger.compareRuns', ...(runId ? [runId] : []));
      const pick = await vscode.window.showQuickPick(
        others.map((r) => ({ label: r.name, description: `${r.spec.model.cell} · ${r.state} · step ${r.step}`, id: r.id })),
        { placeHolder: `Compare ${this.store.status(runId)?.name ?? runId} with…`, ignoreFocusOut: true },
      );
      if (pick) return this.showRuns([runId, pick.id]);
    });
    reg('rnnDebugger.diagnostics.reveal', (arg?: RevealArgs) => {
      if (!arg?.runId) return;
      const sel: Partial<Selection> = {};
      if (arg.layer !== undefined) sel.layer = arg.layer;
      if (arg.unit !== undefined) sel.unit = arg.unit;
      if (sel.layer !== undefined || sel.unit !== undefined) {
        this.store.setSelection(arg.runId, { ...this.store.selectionOf(arg.runId), ...sel });
      }
      return this.reveal(arg.runId, sel, arg.chart);
    });
    reg('rnnDebugger.units.select', (arg?: UnitArgs) => {
      if (!arg) return;
      if (this.inspector) this.inspector.selectUnit(arg.runId, arg.layer, arg.unit);
      else this.store.setSelection(arg.runId, { ...this.store.selectionOf(arg.runId), layer: arg.layer, unit: arg.unit });
      return this.reveal(arg.runId, { layer: arg.layer, unit: arg.unit });
    });
    reg('rnnDebugger.units.rankBy', async () => {
      const pick = await vscode.window.showQuickPick(
        RANK_MODES.map((m) => ({ label: `${m.mode === this.mode ? '$(check) ' : ''}${m.label}`, detail: m.detail, mode: m.mode })),
        { placeHolder: 'Rank the units of the selected run by…' },
      );
      if (pick) {
        this.mode = pick.mode;
        this.units.refresh();
      }
    });
  }

  private selectRun(runId: string): void {
    if (this.store.selection.runId !== runId) this.store.setSelection(runId, this.store.selectionOf(runId));
  }

  private showRuns(runIds: string[]): unknown {
    if (this.hooks.showRuns) return this.hooks.showRuns(runIds);
    return vscode.commands.executeCommand(runIds.length > 1 ? 'rnnDebugger.compare' : 'rnnDebugger.showPanel', ...runIds);
  }

  private reveal(runId: string, selection: Partial<Selection>, chart?: string): unknown {
    if (this.hooks.reveal) return this.hooks.reveal(runId, selection, chart);
    return vscode.commands.executeCommand('rnnDebugger.reveal', runId, selection, chart);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * Wire the sidebar into the extension (call once from activate, after registerInspector). `hooks`
 * connect it to the panel host; without them it calls the host's commands rnnDebugger.showPanel,
 * rnnDebugger.compare, rnnDebugger.reveal and rnnDebugger.stop with the run id(s).
 */
export function registerSidebar(
  context: vscode.ExtensionContext,
  store: RunStore,
  inspector?: InspectorApi,
  hooks: Partial<SidebarHooks> = {},
): Sidebar {
  const sidebar = new Sidebar(store, inspector, hooks);
  context.subscriptions.push(sidebar);
  return sidebar;
}
