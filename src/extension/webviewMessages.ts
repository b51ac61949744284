// Checks every message the panel's webview sends before the host acts on it. The webview runs the
// extension's own script, but what it posts crosses a process boundary and may come from a page
// that misbehaves: nothing is trusted for its declared type alone.

import type { FromWebviewMessage, Selection } from '../protocol/webview';

/** Longest run id and error text accepted (run ids are short; errors are logged, not shown). */
const MAX_ID = 256;
const MAX_ERROR = 4000;

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 1e9;

function selectionOf(x: unknown): Selection | string {
  if (!x || typeof x !== 'object') return 'selection is not an object';
  const s = x as Record<string, unknown>;
  if (!isIndex(s.layer)) return 'selection.layer is not a non-negative integer';
  if (!isIndex(s.unit)) return 'selection.unit is not a non-negative integer';
  if (s.step !== null && !isIndex(s.step)) return 'selection.step is neither null nor a non-negative integer';
  return { layer: s.layer, unit: s.unit, step: s.step as number | null };
}

/**
 * The message as its type says, rebuilt from the checked fields only, or a one-line reason to
 * drop it.
 */
export function parseWebviewMessage(m: unknown): { message: FromWebviewMessage } | { error: string } {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return { error: `not an object (${m === null ? 'null' : typeof m})` };
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return { message: { type: 'ready' } };
    case 'select': {
      if (typeof o.runId !== 'string' || !o.runId || o.runId.length > MAX_ID) return { error: "'select' without a valid runId" };
      const selection = selectionOf(o.selection);
      if (typeof selection === 'string') return { error: `'select': ${selection}` };
      return { message: { type: 'select', runId: o.runId, selection } };
    }
    case 'drawn':
      if (!isIndex(o.id)) return { error: "'drawn' without a frame id" };
      return { message: { type: 'drawn', id: o.id } };
    case 'error':
      if (typeof o.message !== 'string') return { error: "'error' without a message string" };
      return { message: { type: 'error', message: o.message.slice(0, MAX_ERROR) } };
    default:
      return { error: `unknown type ${JSON.stringify(String(o.type)).slice(0, 80)}` };
  }
}
