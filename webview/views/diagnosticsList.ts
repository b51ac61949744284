// The diagnostics of the shown runs in words, each with a "show" button that selects its layer
// and unit and reveals its chart.

import { diagnose, type Diagnostic } from '../../src/core/analysis/diagnostics';
import type { RunData } from '../../src/protocol/webview';
import { section, span } from '../dom';

export class DiagnosticsList {
  readonly element = section('diagnostics', 'Diagnostics');
  private readonly list = document.createElement('ul');

  constructor(private readonly onShow: (d: Diagnostic) => void) {
    this.list.className = 'diagnostics';
    this.element.append(this.list);
  }

  render(runs: RunData[]): void {
    this.list.replaceChildren();
    for (const run of runs) {
      for (const d of diagnose(run)) {
        const li = document.createElement('li');
        li.className = `diagnostic severity-${d.severity}`;
        li.dataset.id = d.id;
        const title = span('diagnostic-title');
        title.textContent = `${runs.length > 1 ? `${run.status.name}: ` : ''}${d.title}`;
        const detail = span('diagnostic-detail');
        detail.textContent = d.detail;
        li.append(title, detail);
        if (d.chart) {
          const b = document.createElement('button');
          b.textContent = 'show';
          b.addEventListener('click', () => this.onShow(d));
          li.append(b);
        }
        this.list.append(li);
      }
    }
    if (!this.list.children.length) {
      const li = document.createElement('li');
      li.className = 'diagnostic severity-none';
      li.textContent = 'Nothing to report yet.';
      this.list.append(li);
    }
  }
}
