// The tint of inspected documents: one decoration type per palette colour, and the colour runs of
// a session set on the visible lines (plus a margin) of each editor that shows its document.

import * as vscode from 'vscode';
import type { RunStore } from '../runStore';
import { PALETTE } from './quantities';
import type { InspectSession, ViewChoice } from './session';
import { visibleOffsetRanges } from './visibleText';

export class Decorations implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly scrollTimers = new Map<vscode.TextEditor, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: RunStore,
    private readonly viewOf: (runId: string) => ViewChoice,
  ) {
    // The palette is fixed: one decoration type per (hue, level), created once for the session.
    this.types = PALETTE.map((p) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(p.colorId),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
  }

  /** Decorate every visible editor of the session's document. */
  redecorate(s: InspectSession): void {
    for (const ed of vscode.window.visibleTextEditors) if (ed.document.uri.toString() === s.uri) this.decorateEditor(ed, s);
  }

  /** Remove the tint from every visible editor of a document. */
  clear(key: string): void {
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === key) for (const t of this.types) e.setDecorations(t, []);
  }

  /** An editor scrolled: decorate it once scrolling pauses, then call `then`. */
  scrolled(editor: vscode.TextEditor, s: InspectSession, then: () => void): void {
    const prev = this.scrollTimers.get(editor);
    if (prev) clearTimeout(prev);
    this.scrollTimers.set(
      editor,
      setTimeout(() => {
        this.scrollTimers.delete(editor);
        this.decorateEditor(editor, s);
        then();
      }, 30),
    );
  }

  /** Decorate the visible lines (plus a margin) of one editor; every palette type is set, so stale colours clear. */
  private decorateEditor(editor: vscode.TextEditor, s: InspectSession): void {
    const doc = editor.document;
    const model = this.store.status(s.runId)?.spec.model;
    const perSlot: vscode.Range[][] = this.types.map(() => []);
    for (const [a, b] of visibleOffsetRanges(editor)) {
      for (const { slot, offsets } of s.decorations(this.viewOf(s.runId), model, a, b)) {
        const out = perSlot[slot];
        for (let k = 0; k < offsets.length; k += 2) out.push(new vscode.Range(doc.positionAt(offsets[k]), doc.positionAt(offsets[k + 1])));
      }
    }
    this.types.forEach((t, i) => editor.setDecorations(t, perSlot[i]));
  }

  dispose(): void {
    for (const t of this.scrollTimers.values()) clearTimeout(t);
    for (const t of this.types) t.dispose();
  }
}
