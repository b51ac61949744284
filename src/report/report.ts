// The standalone HTML report: one self-contained file with the panel's script and CSS inlined and
// the run data embedded as JSON (typed arrays in base64), viewable in any browser from file://.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeRunJson, escapeForScriptTag } from '../protocol/runDataCodec';
import type { RunData } from '../protocol/webview';
import { typedBytes, type TraceSnapshot } from '../protocol/trace';

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The report has no VS Code theme: it follows the viewer's light or dark preference with the
 * colours of VS Code's Light+ and Dark Modern themes (the panel reads the same variables).
 */
export const REPORT_THEME_CSS = `
:root { --vscode-editor-background: #1f1f1f; --vscode-editor-foreground: #cccccc; --vscode-foreground: #cccccc;
  --vscode-descriptionForeground: #9d9d9d; --vscode-charts-lines: rgba(204, 204, 204, 0.35); --vscode-charts-blue: #3794ff;
  --vscode-charts-red: #f14c4c; --vscode-charts-green: #89d185; --vscode-charts-orange: #d18616; --vscode-charts-purple: #b180d7;
  --vscode-charts-yellow: #cca700; --vscode-errorForeground: #f85149; }
@media (prefers-color-scheme: light) {
  :root { --vscode-editor-background: #ffffff; --vscode-editor-foreground: #000000; --vscode-foreground: #000000;
    --vscode-descriptionForeground: #717171; --vscode-charts-lines: rgba(0, 0, 0, 0.25); --vscode-charts-blue: #1a85ff;
    --vscode-charts-red: #e51400; --vscode-charts-green: #388a34; --vscode-charts-orange: #d18616; --vscode-charts-purple: #652d90;
    --vscode-charts-yellow: #bf8803; --vscode-errorForeground: #a1260d; }
}
`;

/**
 * The report's HTML. The CSP allows exactly the inlined script and stylesheet (by hash), images
 * from data: URLs, and nothing from the network.
 */
export function reportHtml(runs: RunData | RunData[], webviewJs: string, css: string): string {
  const list = Array.isArray(runs) ? runs : [runs];
  css = `${css}\n${REPORT_THEME_CSS}`;
  // "</script" or "<!--" inside the inlined bundle would end or corrupt the script element.
  if (/<\/script|<!--/i.test(webviewJs)) throw new Error('the webview bundle contains "</script" or "<!--" and cannot be inlined');
  const data = escapeForScriptTag(encodeRunJson({ runs: list }));
  const csp = `default-src 'none'; img-src data:; font-src data:; style-src ${sha256(css)}; script-src ${sha256(webviewJs)};`;
  const title = `RNN Debugger report: ${list.map((r) => r.status.name).join(' vs ')}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${css}</style>`,
    '</head><body><div id="app"></div>',
    `<script type="application/json" id="run-data">${data}</script>`,
    `<script>${webviewJs}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/**
 * Writes the report of one run (or two, compared) to `outFile`. `webviewJsPath` is the built
 * panel bundle (dist/webview.js); the stylesheet is media/panel.css next to dist/.
 */
export function writeReport(run: RunData | RunData[], outFile: string, webviewJsPath: string): void {
  const js = readFileSync(webviewJsPath, 'utf8');
  const cssFile = join(dirname(webviewJsPath), '..', 'media', 'panel.css');
  const css = existsSync(cssFile) ? readFileSync(cssFile, 'utf8') : '';
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, reportHtml(run, js, css));
}

/**
 * At most `max` snapshots, evenly spaced over the run and always with the first and the last, and
 * at most ~`budget` bytes of arrays: the report is one HTML file (a JSON string), and a run at
 * T = 1000, H = 256 records ~8 MB per snapshot (V8 strings end near 512 M characters).
 */
export function spreadSnapshots(snapshots: TraceSnapshot[], max = 32, budget = 160 * 1024 * 1024): TraceSnapshot[] {
  const per = snapshots.length ? Math.max(1, typedBytes(snapshots[snapshots.length - 1])) : 1;
  const n = Math.max(1, Math.min(max, Math.floor(budget / per)));
  if (snapshots.length <= n) return snapshots;
  if (n === 1) return [snapshots[snapshots.length - 1]];
  const picked = new Set<number>();
  for (let k = 0; k < n; k++) picked.add(Math.round((k * (snapshots.length - 1)) / (n - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => snapshots[i]);
}

/** One snapshot per step (the first traced sample): the panel shows one sample per step. */
function firstSamplePerStep(snapshots: TraceSnapshot[]): TraceSnapshot[] {
  const seen = new Set<number>();
  return snapshots.filter((s) => (seen.has(s.step) ? false : (seen.add(s.step), true)));
}

/**
 * Writes the report of a run folder (as the CLI and the trainer leave it). `webviewJsPath`
 * defaults to dist/webview.js next to the running bundle.
 */
export async function reportFromRunFolder(runDir: string, outFile: string, webviewJsPath?: string): Promise<void> {
  const { readRun } = await import('../core/runFolder');
  const loaded = readRun(runDir);
  const run: RunData = { status: { ...loaded.status, spec: loaded.spec }, metrics: loaded.metrics, snapshots: spreadSnapshots(firstSamplePerStep(loaded.snapshots)) };
  writeReport(run, outFile, webviewJsPath ?? defaultWebviewJs());
}

/** dist/webview.js beside the running bundle (dist/cli.js), or in the repository when run from source. */
export function defaultWebviewJs(): string {
  const candidates = [join(__dirname, 'webview.js'), join(__dirname, '..', '..', 'dist', 'webview.js'), join(process.cwd(), 'dist', 'webview.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`dist/webview.js not found (looked in ${candidates.join(', ')}); run npm run build`);
  return found;
}
