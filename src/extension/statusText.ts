// The status bar's words for a run, as a pure function (tested without vscode): state icon,
// step of steps, latest loss and backend, e.g. "$(sync~spin) RNN 120/1000 · loss 0.1234 · wasm".

import { backendText, skippedText } from '../protocol/backendText';
import type { MetricsRecord, RunStatus } from '../protocol/trace';

export function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(2) : x.toPrecision(4);
}

export function statusBarText(s: RunStatus, last: MetricsRecord | undefined, liveCount = 1): { text: string; tooltip: string } {
  const icon =
    s.state === 'starting' ? '$(loading~spin)' :
    s.state === 'running' ? '$(sync~spin)' :
    s.state === 'paused' ? '$(debug-pause)' :
    s.state === 'completed' ? '$(check)' :
    s.state === 'stopped' ? '$(debug-stop)' :
    s.state === 'interrupted' ? '$(debug-disconnect)' : '$(error)';
  const parts = [`${icon} RNN ${s.state === 'starting' ? 'starting' : `${s.step}/${s.spec.train.steps}`}`];
  if (last) parts.push(`loss ${formatLoss(last.loss)}`);
  if (s.backend) parts.push(backendText(s)!);
  if (liveCount > 1) parts.push(`+${liveCount - 1} more`);
  const tooltip = [
    `${s.name} — ${s.state}${s.reason ? `: ${s.reason}` : ''}`,
    `step ${s.step} of ${s.spec.train.steps}${last ? `, loss ${formatLoss(last.loss)}${last.valLoss !== undefined ? `, validation ${formatLoss(last.valLoss)}` : ''}` : ''}`,
    s.backend ? `backend ${backendText(s)}${skippedText(s) ? ` (skipped ${skippedText(s)})` : ''}` : 'choosing a backend…',
    'Click to show the RNN Debugger panel',
  ].join('\n');
  return { text: parts.join(' · '), tooltip };
}
