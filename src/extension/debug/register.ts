// Wires the `rnn` debug adapter into VS Code: the adapter runs inline in the extension host
// (DebugAdapterInlineImplementation) and starts its runs through the run manager, so a run
// under the debugger shows in the Runs view and the panel like any other; F5 on an open spec or
// text file works without a launch.json (DebugConfigurationProvider).

import * as vscode from 'vscode';
import type { Host } from '../host';
import { readSettings } from '../settings';
import { dataSpecForFile, isSpecFile } from '../trainDefaults';
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

export function registerDebugAdapter(context: vscode.ExtensionContext, host: Host): void {
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider('rnn', new ConfigurationProvider()),
    vscode.debug.registerDebugAdapterDescriptorFactory('rnn', {
      createDebugAdapterDescriptor: () =>
        new vscode.DebugAdapterInlineImplementation(
          new RnnDebugSession({
            trainers: managerTrainers(host),
            stopTimeoutMs: readSettings().stopTimeoutSeconds * 1000,
            // The panel's scrubber and the Diagnostics / Units views show the paused step's trace.
            onStopped: ({ runId, step, snapshot }) => {
              if (snapshot) host.store.setSelection(runId, { ...host.store.selection.selection, step });
            },
          }) as unknown as vscode.DebugAdapter,
        ),
    }),
  );
}
