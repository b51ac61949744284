// One header per shown run: name, cell and size, state, step, compute path, and why it ended or
// what went wrong without stopping it.

import { backendText } from '../../src/protocol/backendText';
import type { RunData } from '../../src/protocol/webview';
import { div, span } from '../dom';

export function renderRunHeaders(into: HTMLElement, runs: RunData[]): void {
  into.replaceChildren();
  if (!runs.length) {
    const p = div('empty');
    p.textContent = 'No run yet. Start one with “RNN Debugger: Train RNN”.';
    into.append(p);
    return;
  }
  runs.forEach((run, k) => {
    const s = run.status;
    const h = div(`run-header state-${s.state}`);
    h.dataset.runId = s.id;
    const name = span('run-name'); name.textContent = `${runs.length > 1 ? (k === 0 ? '━ ' : '┅ ') : ''}${s.name}`;
    const facts = span('run-facts');
    const m = s.spec.model;
    facts.textContent = [
      `${m.cell} ${m.layers}×${m.hiddenSize}`,
      s.state,
      `step ${s.step}/${s.spec.train.steps}`,
      `backend ${backendText(s) ?? '—'}`,
    ].join(' · ');
    h.append(name, facts);
    if (s.reason && (s.state === 'failed' || s.state === 'stopped' || s.state === 'interrupted')) {
      const r = div('run-reason'); r.textContent = s.reason; h.append(r);
    }
    // E.g. a run folder that cannot be written: the run is not saved, and the header says so.
    for (const w of s.warnings ?? []) {
      const r = div('run-warning'); r.textContent = `⚠ ${w}`; h.append(r);
    }
    into.append(h);
  });
}
