// Wires the `rnn` debug adapter into VS Code: the adapter runs inline in the extension host
// (DebugAdapterInlineImplementation) and starts its runs through the run manager, so a run
// under the debugger shows in the Runs view and the panel like any other; F5 on an open spec or
// text file works without a launch.json (DebugConfigurationProvider). Where a session is paused
// — the step, and the timestep of the frame selected in the Call Stack — goes to the RunStore,
// which the panel, the Diagnostics and Units views and the inspector's hover follow.

import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { Host } from '../host';
import { readSettings } from '../settings';
import { dataSpecForFile, isSpecFile } from '../trainDefaults';
import { timestepOfFrame } from './frames';
import type { TrainerProvider } from './runtime';
import { RnnDebugSession } from './session';

/** Trainers of the run manager: launched runs start held; attach finds a run Train RNN started. */
function managerTrainers(host: Host): TrainerProvider {
  return {
    launch(spec, baseDir) {
      const runId = host.runs.start(spec, { baseDir, startPaused: true });
      const live = host.runs.liveRun(runId);
      if (!live) throw new Error(`the run ${runId} did not start`);
      return { client: live.client, runId, runDir: live.runDir, owned: true };
    },
    attach(runId) {
      const live = host.runs.liveRun(runId);
      return live && { client: live.client, runId, runDir: live.runDir, owned: false };
    },
  };
}

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: 'rnn', request: 'launch', name: 'Debug training', spec: '${file}', stopOnEntry: false }];
  }

  resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('RNN Debugger: training is disabled until the workspace is trusted.');
      return undefined;
    }
    // F5 without launch.json: debug the open spec or train on the open text / CSV file.
    if (!config.type && !config.request && !config.name) {
      const file = vscode.window.activeTextEditor?.document.uri;
      const path = file?.scheme === 'file' ? file.fsPath : undefined;
      if (path && isSpecFile(path)) config = { type: 'rnn', request: 'launch', name: 'Debug training', spec: path };
      else if (path && dataSpecForFile(path)) config = { type: 'rnn', request: 'launch', name: 'Debug training', data: path };
      else {
        void vscode.window.showErrorMessage('RNN Debugger: open a *.rnn.json spec, a text or a CSV file to debug its training (or add an "rnn" configuration to launch.json).');
        return undefined;
      }
    }
    if (config.request === 'launch' && config.cwd === undefined && folder) config.cwd = folder.uri.fsPath;
    return config;
  }
}

/**
 * In the training text the debugger's own hover would evaluate the word under the pointer as an
 * expression ("loss", "a", "h" are names of the expression language): no expression there, so
 * VS Code shows the editor hover instead, the inspector's values of the character (see Inspector).
 */
function noExpressionsIn(dataFile: string): vscode.Disposable {
  // The file's own name as a glob: its glob characters each in a class of one ([*] matches '*').
  const name = basename(dataFile).replace(/[*?[{}]/g, (c) => `[${c}]`);
  return vscode.languages.registerEvaluatableExpressionProvider({ scheme: 'file', pattern: new vscode.RelativePattern(vscode.Uri.file(dirname(dataFile)), name) }, {
    provideEvaluatableExpression: () => undefined,
  });
}

export function registerDebugAdapter(context: vscode.ExtensionContext, host: Host): void {
  const { store } = host;
  /** The live adapters, by VS Code's debug session id. */
  const adapters = new Map<string, RnnDebugSession>();
  const hoverGuards = new Map<string, vscode.Disposable>();
  const dropSession = (id: string): void => {
    adapters.delete(id);
    hoverGuards.get(id)?.dispose();
    hoverGuards.delete(id);
  };

  /** The Call Stack's selected frame of a paused rnn session: the views follow its timestep. */
  const followFrame = (item: vscode.DebugThread | vscode.DebugStackFrame | undefined): void => {
    if (!(item instanceof vscode.DebugStackFrame) || item.session.type !== 'rnn') return;
    const paused = adapters.get(item.session.id)?.paused;
    const stop = paused && store.debugStopOf(paused.runId);
    if (!stop || stop.step !== paused.step) return;
    store.setDebugStop({ ...stop, t: timestepOfFrame(item.frameId) });
  };

  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider('rnn', new ConfigurationProvider()),
    vscode.debug.registerDebugAdapterDescriptorFactory('rnn', {
      createDebugAdapterDescriptor: (session) => {
        const adapter = new RnnDebugSession({
          trainers: managerTrainers(host),
          stopTimeoutMs: readSettings().stopTimeoutSeconds * 1000,
          onStopped: (stop) => {
            // The panel's scrubber shows the paused step's trace; the views and the hover follow the stop.
            const sel = store.selectionOf(stop.runId);
            store.setSelection(stop.runId, { ...sel, step: stop.snapshot ? stop.step : sel.step });
            store.setDebugStop(stop);
            if (stop.dataFile && !hoverGuards.has(session.id)) hoverGuards.set(session.id, noExpressionsIn(stop.dataFile));
          },
          onResumed: (runId) => store.clearDebugStop(runId),
        });
        adapters.set(session.id, adapter);
        return new vscode.DebugAdapterInlineImplementation(adapter as unknown as vscode.DebugAdapter);
      },
    }),
    vscode.debug.onDidChangeActiveStackItem(followFrame),
    vscode.debug.onDidTerminateDebugSession((session) => {
      const runId = adapters.get(session.id)?.paused?.runId;
      if (runId) store.clearDebugStop(runId);
      dropSession(session.id);
    }),
    { dispose: () => { for (const id of [...adapters.keys()]) dropSession(id); } },
  );
}
