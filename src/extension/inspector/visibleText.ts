// Which part of an inspected document an editor shows: the offset ranges to tint (the visible
// lines plus a margin) and the document steps to evaluate (the visible lines).

import * as vscode from 'vscode';
import { stepsInRange, type TextMap } from '../../protocol/textMap';

/** Lines decorated above and below the visible ones, so small scrolls show colour at once. */
const MARGIN_LINES = 30;

/** Offset ranges of the visible lines of an editor plus a margin, merged where they overlap. */
export function visibleOffsetRanges(editor: vscode.TextEditor): [number, number][] {
  const doc = editor.document;
  const out: [number, number][] = [];
  for (const r of editor.visibleRanges) {
    const a = doc.offsetAt(new vscode.Position(Math.max(0, r.start.line - MARGIN_LINES), 0));
    const endLine = r.end.line + MARGIN_LINES + 1;
    const b = endLine >= doc.lineCount ? doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end) : doc.offsetAt(new vscode.Position(endLine, 0));
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * Document steps [v0, v1) of the visible lines of a document (all visible ranges of its first
 * visible editor; [0, 0] when none shows it). visibleRanges leaves out a line cut by the bottom
 * edge: one line more is taken, so the last line on screen is evaluated.
 */
export function visibleSteps(uri: string, map: TextMap): [number, number] {
  const ed = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
  const rs = ed?.visibleRanges;
  if (!ed || !rs?.length) return [0, 0];
  const doc = ed.document;
  const a = doc.offsetAt(new vscode.Position(rs[0].start.line, 0));
  const b = doc.offsetAt(doc.lineAt(Math.min(doc.lineCount - 1, rs[rs.length - 1].end.line + 1)).rangeIncludingLineBreak.end);
  return stepsInRange(map, a, b);
}
