// Status bar item: the most recent live run's progress (step, loss, backend), or how the last
// run ended; clicking it shows the panel. Updates are throttled to a few per second.

import * as vscode from 'vscode';
import { DisposableStore } from './events';
import type { RunStore } from './runStore';
import { statusBarText } from './statusText';

export function registerStatusBar(context: vscode.ExtensionContext, store: RunStore): void {
  const item = vscode.window.createStatusBarItem('rnnDebugger.progress', vscode.StatusBarAlignment.Left, 50);
  item.name = 'RNN Debugger Training';
  item.command = 'rnnDebugger.showPanel';
  const ds = new DisposableStore();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastRunId: string | undefined;

  const render = () => {
    timer = undefined;
    const live = store.liveRuns();
    const s = live.at(-1) ?? (lastRunId ? store.status(lastRunId) : undefined);
    if (!s) {
      item.hide();
      return;
    }
    const { text, tooltip } = statusBarText(s, store.lastMetrics(s.id), live.length);
    item.text = text;
    item.tooltip = tooltip;
    item.backgroundColor = s.state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.show();
  };
  const schedule = () => {
    timer ??= setTimeout(render, 250);
  };
  ds.add(store.onDidChangeRun((e) => {
    if (e.kind !== 'removed') lastRunId = e.runId;
    // State changes show at once; step/loss updates are throttled.
    if (e.kind !== 'changed' || e.status.state !== 'running') render();
    else schedule();
  }));
  ds.add(store.onDidAddMetrics(schedule));
  context.subscriptions.push(item, ds, { dispose: () => timer && clearTimeout(timer) });
}
