// Extension entry point: creates the shared services (run store, run manager, panel host,
// Output channel) and registers each part. Keep activate() a flat list of register…() calls.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerDebugAdapter } from './debug/register';
import { createHost, type Host } from './host';
import { registerInspector } from './inspector/inspector';
import { PanelHost } from './panel';
import { registerSidebar } from './sidebar/sidebar';
import { registerSpecDiagnostics } from './specDiagnostics';
import { registerStatusBar } from './statusBar';

/** The returned Host is the extension's API (vscode.extensions.getExtension(…).exports), used by tests. */
export function activate(context: vscode.ExtensionContext): Host {
  const host = createHost(context);
  context.subscriptions.push(PanelHost.registerSerializer(host.panel));
  registerCommands(context, host);
  registerSpecDiagnostics(context);
  registerDebugAdapter(context, host);
  registerStatusBar(context, host.store);
  const inspector = registerInspector(context, host.store);
  registerSidebar(context, host.store, inspector, {
    showRuns: (ids) => host.panel.show(ids),
    reveal: (runId, selection, chart) => {
      if (!host.panel.shownRunIds.includes(runId)) host.panel.show([runId], true);
      host.panel.reveal(selection, chart);
    },
    stop: (runId) => host.runs.stop(runId),
  });
  return host;
}

export function deactivate(): void {}
