// Problems panel for `*.rnn.json` experiment files: every syntax error and every invalid field,
// underlined where it is, updated as the file is edited. Training from a file with problems is
// refused with a pointer to them, never a crash.

import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { notReportedElsewhere } from './problemOverlap';
import { checkSpecText, type SpecFileResult } from './specFile';
import { isSpecFile } from './trainDefaults';

let collection: vscode.DiagnosticCollection | undefined;

function baseDirOf(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd());
}

const SOURCE = 'RNN Debugger';
/** Our full list per document, before dropping what another source already reports. */
const ours = new Map<string, vscode.Diagnostic[]>();

/** Checks a spec document and publishes its problems; returns the result (spec when valid). */
export function checkSpecDocument(doc: vscode.TextDocument): SpecFileResult {
  const result = checkSpecText(doc.getText(), baseDirOf(doc));
  ours.set(
    doc.uri.toString(),
    result.problems.map((p) => {
      const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
      d.source = SOURCE;
      d.code = p.path || 'syntax';
      return d;
    }),
  );
  publish(doc.uri);
  return result;
}

/** Publishes our problems of a document minus those VS Code's JSON validation already lists. */
function publish(uri: vscode.Uri): void {
  const mine = ours.get(uri.toString());
  if (!mine || !collection) return;
  const span = (r: vscode.Range) => ({ startLine: r.start.line, endLine: r.end.line });
  const others = vscode.languages.getDiagnostics(uri).filter((d) => d.source !== SOURCE).map((d) => span(d.range));
  const keep = notReportedElsewhere(mine.map((d) => ({ d, ...span(d.range) })), others).map((x) => x.d);
  // Setting fires onDidChangeDiagnostics again: set only when the list changes.
  const key = (ds: readonly vscode.Diagnostic[]) => ds.map((d) => `${d.range.start.line}:${d.range.start.character}:${d.message}`).join('\n');
  if (key(collection.get(uri) ?? []) !== key(keep)) collection.set(uri, keep);
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
    vscode.workspace.onDidCloseTextDocument((doc) => { collection?.delete(doc.uri); ours.delete(doc.uri.toString()); }),
    // The JSON language reports after us (and again on each edit): re-filter when it does.
    vscode.languages.onDidChangeDiagnostics((e) => { for (const uri of e.uris) if (isSpecFile(uri.path)) publish(uri); }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  vscode.workspace.textDocuments.forEach(check);
}
