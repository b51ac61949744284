// Webview panel entry: connects to the host (or the report's embedded data), says `ready`,
// then applies every host message to the panel. Errors go to the host's Output channel.

import type { ToWebviewMessage } from '../src/protocol/webview';
import { Chart } from './charts';
import { Panel } from './panel';
import { connectHost, type PanelHost } from './vscodeApi';

let host: PanelHost | undefined;

function reportError(e: unknown): void {
  const message = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  console.error(message);
  try { host?.postMessage({ type: 'error', message }); } catch { /* nowhere left to report */ }
}

window.addEventListener('error', (e) => reportError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => reportError(e.reason));

function start(): void {
  host = connectHost();
  const root = document.getElementById('app') ?? document.body;
  const panel = new Panel(root, host);
  // Tests read charts through Chart.getChart(canvas) and heatmaps through the panel.
  (window as unknown as { rnnDebugger: unknown }).rnnDebugger = { Chart, panel };
  window.addEventListener('message', (e: MessageEvent<ToWebviewMessage>) => {
    const msg = e.data;
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    try { panel.handle(msg); } catch (err) { reportError(err); }
  });
  if (host.embedded) {
    panel.handle(host.embedded);
    panel.renderNow();
  } else host.postMessage({ type: 'ready' });
}

try { start(); } catch (e) { reportError(e); }
