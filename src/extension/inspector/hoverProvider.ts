// The editor side of the inspector's hover: over an inspected document, the character's values in
// the run's evaluation of it; over a training text while a debug session holds its run, the values
// in the paused step's traced sample. The Markdown itself comes from hover.ts.

import * as vscode from 'vscode';
import { buildTextMap } from '../../protocol/textMap';
import type { RunStore } from '../runStore';
import { matchesDataPath } from './dataPath';
import { sampleHoverAt } from './hover';
import type { InspectSession, ViewChoice } from './session';

/** Register the hover for every language; `sessionOf` finds a document's inspect session by its uri. */
export function registerHoverProvider(
  store: RunStore,
  sessionOf: (key: string) => InspectSession | undefined,
  viewOf: (runId: string) => ViewChoice,
): vscode.Disposable {
  /** While a debug session holds a run on this training text: the character's values in the paused step's traced sample. */
  const pausedHover = (doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined => {
    const stop = store.debugStop;
    if (!stop?.snapshot || !stop.dataFile || doc.uri.scheme !== 'file' || !matchesDataPath(doc.uri.fsPath, stop.dataFile)) return undefined;
    const text = doc.getText();
    const s = sessionOf(doc.uri.toString());
    const map = s && s.text === text ? s.map : buildTextMap(text);
    const v = viewOf(stop.runId);
    const hit = sampleHoverAt({ step: stop.step, snapshot: stop.snapshot, t: stop.t }, { text, map, offset: doc.offsetAt(pos) }, { ...v, runName: store.status(stop.runId)?.name });
    return hit ? markdownHover(doc, hit.markdown, ...hit.range) : undefined;
  };

  const provideHover = (doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined => {
    const paused = pausedHover(doc, pos);
    if (paused) return paused;
    const s = sessionOf(doc.uri.toString());
    if (!s) return undefined;
    const md = s.hoverAt(doc.offsetAt(pos), viewOf(s.runId), store.status(s.runId)?.name);
    if (!md) return undefined;
    const t = s.map.stepAt[Math.min(doc.offsetAt(pos), s.map.length - 1)];
    return markdownHover(doc, md, s.map.starts[t], s.map.starts[t + 1]);
  };

  return vscode.languages.registerHoverProvider('*', { provideHover });
}

/** A hover of plain Markdown over the document range [a, b): no HTML, no command links, no theme icons (the text is the user's file). */
function markdownHover(doc: vscode.TextDocument, md: string, a: number, b: number): vscode.Hover {
  const ms = new vscode.MarkdownString(md);
  ms.isTrusted = false;
  ms.supportHtml = false;
  return new vscode.Hover(ms, new vscode.Range(doc.positionAt(a), doc.positionAt(b)));
}
