// Extension entry point: registers commands, views and providers. (Skeleton; filled by the host work.)
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('rnnDebugger.train', () => {
      void vscode.window.showInformationMessage('RNN Debugger: training is not wired yet.');
    }),
  );
}

export function deactivate(): void {}
