// Problems panel for `*.rnn.json` experiment files: every syntax error and every invalid field,
// underlined where it is, updated as the file is edited. Training from a file with problems is
// refused with a pointer to them, never a crash.

import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { checkSpecText, type SpecFileResult } from './specFile';
import { isSpecFile } from './trainDefaults';

let collection: vscode.DiagnosticCollection | undefined;

function baseDirOf(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd());
}

/** Checks a spec document and publishes its problems; returns the result (spec when valid). */
export function checkSpecDocument(doc: vscode.TextDocument): SpecFileResult {
  const result = checkSpecText(doc.getText(), baseDirOf(doc));
  collection?.set(
    doc.uri,
    result.problems.map((p) => {
      const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
      d.source = 'RNN Debugger';
      d.code = p.path || 'syntax';
      return d;
    }),
  );
  return result;
}

export function registerSpecDiagnostics(context: vscode.ExtensionContext): void {
  collection = vscode.languages.createDiagnosticCollection('rnnDebugger.spec');
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const check = (doc: vscode.TextDocument) => {
    if (isSpecFile(doc.uri.path)) checkSpecDocument(doc);
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidSaveTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!isSpecFile(e.document.uri.path)) return;
      const key = e.document.uri.toString();
      clearTimeout(timers.get(key));
      // Re-check after a pause in typing, not on every keystroke.
      timers.set(key, setTimeout(() => (timers.delete(key), check(e.document)), 300));
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => collection?.delete(doc.uri)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  vscode.workspace.textDocuments.forEach(check);
}
