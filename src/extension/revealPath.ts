// Shows a file or folder to the user wherever the workbench runs: the OS file manager on the
// desktop; in the browser workbench (or a remote window) the OS cannot be reached, so the
// Explorer reveals it when it lies in the workspace, and otherwise its path is copied.

import * as vscode from 'vscode';

export async function revealPath(uri: vscode.Uri): Promise<void> {
  const desktop = vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined;
  if (desktop) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return;
  }
  if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return;
  }
  await vscode.env.clipboard.writeText(uri.fsPath);
  void vscode.window.showInformationMessage(`RNN Debugger: ${uri.fsPath} is outside the workspace; its path is copied to the clipboard.`);
}
