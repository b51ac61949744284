// The palette commands of the host: Train RNN (interactive, from a file, from a spec file, or
// non-interactive with a spec object for tests and scripts), Stop / Pause / Resume, Show Panel,
// Open Run…, Compare Runs, Export Run, Write Report.

import * as vscode from 'vscode';
import { cpSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { resolveSpec, SpecError } from '../core/spec';
import type { RunStatus } from '../protocol/trace';
import type { Host } from './host';
import { reportFromRunFolder } from '../report/report';
import { revealPath } from './revealPath';
import { listRunFolders } from './runsRoot';
import { isActiveState } from './runStore';
import { RunsFolderError } from './runManager';
import { readSettings } from './settings';
import { checkSpecDocument } from './specDiagnostics';
import { dataSpecForFile, initialSpec, isSpecFile } from './trainDefaults';
import { runTrainFlow } from './trainFlow';

/** Command ids (titles in package.json; e2e drives them by title, so keep titles stable). */
export const Command = {
  Train: 'rnnDebugger.train',
  Stop: 'rnnDebugger.stop',
  Pause: 'rnnDebugger.pause',
  Resume: 'rnnDebugger.resume',
  ShowPanel: 'rnnDebugger.showPanel',
  OpenRun: 'rnnDebugger.openRun',
  CompareRuns: 'rnnDebugger.compareRuns',
  ExportRun: 'rnnDebugger.exportRun',
  WriteReport: 'rnnDebugger.writeReport',
} as const;

/** Non-interactive Train RNN argument: a spec object (possibly partial) and where its paths resolve. */
export interface TrainArgs {
  spec: unknown;
  baseDir?: string;
  /** Open the panel on the run (default true). */
  showPanel?: boolean;
}

function workspaceDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Sets `rnnDebugger.runsFolder` where it can be written: the workspace, else the user settings. */
async function setRunsFolder(dir: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('rnnDebugger');
  try {
    await config.update('runsFolder', dir, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  } catch {
    // A machine-scoped setting is not written per workspace.
    await config.update('runsFolder', dir, vscode.ConfigurationTarget.Global);
  }
}

/** The file of the active editor tab, when it is a file on disk. */
function activeTabFile(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText && input.uri.scheme === 'file' ? input.uri.fsPath : undefined;
}

function errorText(e: unknown): string {
  if (e instanceof SpecError) return e.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return e instanceof Error ? e.message : String(e);
}

export function registerCommands(context: vscode.ExtensionContext, host: Host): void {
  const { store, runs, panel } = host;
  /** The panel bundle the report inlines, from the extension's own install folder. */
  const webviewJs = join(context.extensionPath, 'dist', 'webview.js');

  /**
   * Starts a resolved spec; returns the run id (the command's result, for tests and scripts).
   * When the runs folder cannot be written the run does not start silently unsaved: the user
   * picks another folder (the setting is updated) or trains knowingly without saving.
   */
  const startRun = async (spec: unknown, baseDir: string | undefined, showPanel = true): Promise<string | undefined> => {
    let unsaved = false;
    for (;;) {
      try {
        return runs.start(resolveSpec(spec, { baseDir }), { baseDir, showPanel, unsaved });
      } catch (e) {
        if (!(e instanceof RunsFolderError)) {
          void vscode.window.showErrorMessage(`RNN Debugger: cannot train: ${errorText(e)}`);
          return undefined;
        }
        const choose = 'Choose Another Folder…';
        const without = 'Train Without Saving';
        const pick = await vscode.window.showErrorMessage(`RNN Debugger: runs cannot be saved: ${e.problem}.`, choose, without);
        if (pick === without) unsaved = true;
        else if (pick === choose) {
          const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Save Runs Here', title: 'RNN Debugger: folder for run folders' });
          if (!uris?.[0]) return undefined;
          await setRunsFolder(uris[0].fsPath);
        } else return undefined;
      }
    }
  };

  const trainFromSpecFile = async (uri: vscode.Uri): Promise<string | undefined> => {
    const doc = await vscode.workspace.openTextDocument(uri);
    const result = checkSpecDocument(doc);
    if (!result.spec) {
      const n = result.problems.length;
      void vscode.window
        .showErrorMessage(`RNN Debugger: ${basename(uri.fsPath)} has ${n} problem${n === 1 ? '' : 's'}: ${result.problems[0]?.message ?? ''}`, 'Show Problems')
        .then((pick) => pick && vscode.commands.executeCommand('workbench.actions.view.problems'));
      return undefined;
    }
    return startRun(result.spec, dirname(uri.fsPath));
  };

  const train = async (arg?: unknown): Promise<string | undefined> => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('RNN Debugger: training is disabled in an untrusted workspace. Trust the workspace to train; saved runs can still be opened.');
      return undefined;
    }
    // Explorer / editor context menus pass the file's URI.
    if (arg instanceof vscode.Uri) {
      if (isSpecFile(arg.path)) return trainFromSpecFile(arg);
      const flow = await runTrainFlow(initialSpec(arg.fsPath, { snapshotEvery: readSettings().snapshotEvery }), dirname(arg.fsPath));
      return flow ? startRun(flow.spec, flow.baseDir) : undefined;
    }
    // Scripts and tests: { spec, baseDir? } or a spec object itself; no UI.
    if (arg && typeof arg === 'object') {
      const a = arg as Partial<TrainArgs>;
      const isArgs = 'spec' in a;
      return startRun(isArgs ? a.spec : arg, (isArgs ? a.baseDir : undefined) ?? workspaceDir(), isArgs ? a.showPanel !== false : true);
    }
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && doc.uri.scheme === 'file' && isSpecFile(doc.uri.path)) return trainFromSpecFile(doc.uri);
    // A binary or very large file has a tab but no text editor (VS Code shows a placeholder):
    // it is still the file the user means, and the data check says why it cannot be used.
    const activeFile = doc && doc.uri.scheme === 'file' && !doc.isUntitled ? doc.uri.fsPath : activeTabFile();
    if (activeFile && !dataSpecForFile(activeFile)) {
      // Never swap the user's file for a built-in task silently.
      void vscode.window.showWarningMessage(`RNN Debugger: ${basename(activeFile)} is not training data (its file type is not text); Train RNN starts from a built-in task: pick "Data" to choose a file.`);
    }
    const flow = await runTrainFlow(
      initialSpec(activeFile, { snapshotEvery: readSettings().snapshotEvery }),
      activeFile ? dirname(activeFile) : workspaceDir(),
    );
    return flow ? startRun(flow.spec, flow.baseDir) : undefined;
  };

  /** The run a command applies to: the given id, the only candidate, or the user's pick. */
  const pickRun = async (arg: unknown, candidates: RunStatus[], what: string): Promise<string | undefined> => {
    if (typeof arg === 'string' && candidates.some((c) => c.id === arg)) return arg;
    const id = (arg as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' && candidates.some((c) => c.id === id)) return id;
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`RNN Debugger: no run to ${what}.`);
      return undefined;
    }
    if (candidates.length === 1) return candidates[0].id;
    const pick = await vscode.window.showQuickPick(
      candidates.map((s) => ({ label: s.name, description: `${s.state} · step ${s.step}`, detail: s.id, id: s.id })),
      { title: `RNN Debugger: which run to ${what}?` },
    );
    return pick?.id;
  };

  /** Runs on disk (not yet loaded) and in memory, for Open Run / Compare / Export. */
  const knownRuns = (): { id: string; name: string; state: string; step: number; dir: string | null; loaded: boolean }[] => {
    const out = store.runs().map((s) => ({ id: s.id, name: s.name, state: s.state, step: s.step, dir: store.runDir(s.id), loaded: true }));
    for (const f of listRunFolders(runs.runsRoot())) {
      if (!store.has(f.status.id)) out.push({ id: f.status.id, name: f.status.name, state: f.status.state, step: f.status.step, dir: f.dir, loaded: false });
    }
    return out;
  };
  const ensureLoaded = (r: { id: string; dir: string | null; loaded: boolean }): string => (r.loaded || !r.dir ? r.id : store.loadRun(r.dir).id);

  const openRun = async (arg?: unknown): Promise<string | undefined> => {
    let dir: string | undefined = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
    if (!dir) {
      const onDisk = listRunFolders(runs.runsRoot());
      type Item = vscode.QuickPickItem & { dir?: string };
      const items: Item[] = [
        ...onDisk.map((f) => ({ label: f.status.name, description: `${f.status.state} · step ${f.status.step}`, detail: f.dir, dir: f.dir })),
        { label: '$(folder-opened) Browse for a run folder…' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: 'RNN Debugger: Open Run', placeHolder: onDisk.length ? 'a run of this workspace' : `no runs in ${runs.runsRoot()} yet` });
      if (!pick) return undefined;
      dir = pick.dir;
      if (!dir) {
        const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Open Run' });
        dir = uris?.[0]?.fsPath;
      }
    }
    if (!dir) return undefined;
    try {
      const status = store.loadRun(dir);
      panel.show([status.id]);
      return status.id;
    } catch (e) {
      void vscode.window.showErrorMessage(`RNN Debugger: cannot open ${dir}: ${errorText(e)}`);
      return undefined;
    }
  };

  const compareRuns = async (a?: unknown, b?: unknown): Promise<string[] | undefined> => {
    const all = knownRuns();
    let chosen = [a, b].filter((x): x is string => typeof x === 'string').map((id) => all.find((r) => r.id === id)).filter((r) => !!r);
    if (chosen.length < 2) {
      if (all.length < 2) {
        void vscode.window.showInformationMessage('RNN Debugger: Compare Runs needs two runs; train or open another one first.');
        return undefined;
      }
      const picks = await vscode.window.showQuickPick(
        all.map((r) => ({ label: r.name, description: `${r.state} · step ${r.step}`, detail: r.dir ?? r.id, picked: chosen.some((c) => c.id === r.id), run: r })),
        // ignoreFocusOut: a panel opening for a starting run took the focus and closed the picker at once.
        { title: 'RNN Debugger: Compare Runs — pick two', canPickMany: true, ignoreFocusOut: true },
      );
      if (!picks) return undefined;
      if (picks.length !== 2) {
        void vscode.window.showWarningMessage(`RNN Debugger: pick exactly two runs to compare (you picked ${picks.length}).`);
        return undefined;
      }
      chosen = picks.map((p) => p.run);
    }
    try {
      const ids = chosen.slice(0, 2).map(ensureLoaded);
      panel.show(ids);
      return ids;
    } catch (e) {
      void vscode.window.showErrorMessage(`RNN Debugger: cannot compare: ${errorText(e)}`);
      return undefined;
    }
  };

  /** The run (with a folder on disk) a command applies to; says so when the chosen one has none. */
  const pickRunFolder = async (arg: unknown, what: string): Promise<{ id: string; name: string; dir: string } | undefined> => {
    const all = knownRuns().filter((r) => r.dir && existsSync(r.dir));
    const id = await pickRun(arg, all.map((r) => ({ id: r.id, name: r.name, state: r.state, step: r.step }) as RunStatus), what);
    const run = all.find((r) => r.id === id);
    if (!run?.dir) {
      if (id) void vscode.window.showErrorMessage(`RNN Debugger: this run has no run folder to ${what} (its folder could not be written).`);
      return undefined;
    }
    return { id: run.id, name: run.name, dir: run.dir };
  };

  const exportRun = async (arg?: unknown, target?: unknown): Promise<string | undefined> => {
    const run = await pickRunFolder(arg, 'export');
    if (!run) return undefined;
    let destRoot = target instanceof vscode.Uri ? target.fsPath : typeof target === 'string' ? target : undefined;
    if (!destRoot) {
      const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export here', title: `RNN Debugger: Export ${run.name}` });
      destRoot = uris?.[0]?.fsPath;
    }
    if (!destRoot) return undefined;
    const dest = join(destRoot, basename(run.dir));
    try {
      if (existsSync(dest)) throw new Error(`${dest} already exists`);
      cpSync(run.dir, dest, { recursive: true, filter: (src) => !/\.tmp(-\d+)?$|\.\d+\.tmp$/.test(src) });
    } catch (e) {
      void vscode.window.showErrorMessage(`RNN Debugger: export failed: ${errorText(e)}`);
      return undefined;
    }
    // The export carries its report, viewable without VS Code.
    let report = '';
    try {
      await reportFromRunFolder(dest, join(dest, 'report.html'), webviewJs);
      report = ' with report.html';
    } catch (e) {
      void vscode.window.showWarningMessage(`RNN Debugger: exported ${run.name}, but its report could not be written: ${errorText(e)}`);
    }
    const live = isActiveState((store.status(run.id) ?? { state: 'completed' }).state) ? ' (as of now; the run is still training)' : '';
    void vscode.window.showInformationMessage(`RNN Debugger: exported ${run.name}${report} to ${dest}${live}.`, 'Reveal').then((pick) => {
      if (pick) void revealPath(vscode.Uri.file(dest));
    });
    return dest;
  };

  /** Writes report.html into a run's folder (the same report the command line writes); returns its path. */
  const writeReport = async (arg?: unknown): Promise<string | undefined> => {
    const run = await pickRunFolder(arg, 'write a report of');
    if (!run) return undefined;
    const out = join(run.dir, 'report.html');
    try {
      await reportFromRunFolder(run.dir, out, webviewJs);
    } catch (e) {
      void vscode.window.showErrorMessage(`RNN Debugger: could not write the report of ${run.name}: ${errorText(e)}`);
      return undefined;
    }
    const live = isActiveState((store.status(run.id) ?? { state: 'completed' }).state) ? ' (as of now; the run is still training)' : '';
    void vscode.window.showInformationMessage(`RNN Debugger: wrote the report of ${run.name} to ${out}${live}.`, 'Reveal').then((pick) => {
      if (pick) void revealPath(vscode.Uri.file(out));
    });
    return out;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(Command.Train, train),
    vscode.commands.registerCommand(Command.Stop, async (arg?: unknown) => {
      const id = await pickRun(arg, store.liveRuns(), 'stop');
      if (id) await runs.stop(id);
    }),
    vscode.commands.registerCommand(Command.Pause, async (arg?: unknown) => {
      const id = await pickRun(arg, store.liveRuns().filter((s) => s.state !== 'paused'), 'pause');
      if (id) runs.pause(id);
    }),
    vscode.commands.registerCommand(Command.Resume, async (arg?: unknown) => {
      const id = await pickRun(arg, store.liveRuns().filter((s) => s.state === 'paused'), 'resume');
      if (id) runs.resume(id);
    }),
    vscode.commands.registerCommand(Command.ShowPanel, (arg?: unknown) => {
      const id = typeof arg === 'string' ? arg : (arg as { id?: string } | undefined)?.id;
      if (id && store.has(id)) return panel.show([id]);
      if (panel.shownRunIds.length || !store.runIds().length) return panel.show();
      panel.show([store.liveRuns().at(-1)?.id ?? store.runIds().at(-1)!]);
    }),
    vscode.commands.registerCommand(Command.OpenRun, openRun),
    vscode.commands.registerCommand(Command.CompareRuns, compareRuns),
    vscode.commands.registerCommand(Command.ExportRun, exportRun),
    vscode.commands.registerCommand(Command.WriteReport, writeReport),
  );
}
