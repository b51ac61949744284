// The extension's shared services, created once in activate() and handed to every register…()
// function (commands, panel, status bar, inspector, sidebar): the RunStore, the run manager,
// the panel host and the "RNN Debugger" Output channel.

import * as vscode from 'vscode';
import { readRun } from '../core/runFolder';
import { PanelHost } from './panel';
import { listRunFolders, settleInterrupted } from './runsRoot';
import { RunManager } from './runManager';
import { RunStore } from './runStore';
import { readSettings } from './settings';
import { writeStatusFile } from './trainerClient';

export interface Host {
  /** Every run this window knows: live ones and reopened run folders. Events + getters. */
  readonly store: RunStore;
  /** Start / pause / resume / stop training runs. */
  readonly runs: RunManager;
  /** The "RNN Debugger" webview panel: show(runIds), reveal(selection, chart). */
  readonly panel: PanelHost;
  /** The "RNN Debugger" Output channel (trainer logs, crash reports, panel errors). */
  readonly output: vscode.OutputChannel;
}

export function createHost(context: vscode.ExtensionContext): Host {
  const s = readSettings();
  const output = vscode.window.createOutputChannel('RNN Debugger');
  const store = new RunStore(
    { maxMetrics: 100_000, maxSnapshots: Math.max(1, s.maxSnapshots), snapshotBytes: Math.max(1, s.snapshotMegabytes) * 1024 * 1024 },
    (dir) => {
      const run = readRun(dir);
      if (run.unreadable.length) {
        const n = run.unreadable.length;
        output.appendLine(`${dir}: ${n} file${n === 1 ? '' : 's'} could not be read and ${n === 1 ? 'is' : 'are'} left out: ${run.unreadable.join(', ')}`);
        void vscode.window.showWarningMessage(`RNN Debugger: ${n} damaged file${n === 1 ? '' : 's'} in ${dir} left out; the rest of the run is shown.`);
      }
      return run;
    },
  );
  const panel = new PanelHost(context, store, output);
  const runs = new RunManager(context, store, output, (ids) => panel.show(ids, true));
  // Every run of the runs folder is listed from the start (read when first shown); one left
  // "running" by a window that went away is settled as interrupted (not in restricted mode,
  // which writes nothing into the workspace).
  const write = vscode.workspace.isTrusted ? writeStatusFile : () => undefined;
  for (const f of listRunFolders(runs.runsRoot()).reverse()) store.addSavedRun(settleInterrupted(f, write), f.dir);
  // Disposed in reverse: runs (kills trainers) before the panel and the store.
  context.subscriptions.push(output, { dispose: () => store.dispose() }, panel, runs);
  return { store, runs, panel, output };
}
