// Drives the built panel (dist/webview.js) in headless Chromium in the HTML the extension serves
// (panelHtml, with its CSP), plus a stub acquireVsCodeApi that records what the panel posts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeRunJson } from '../../src/protocol/runDataCodec';
import { panelHtml } from '../../src/extension/panelQueue';
import type { ToWebviewMessage } from '../../src/protocol/webview';

export const ROOT = join(import.meta.dirname, '..', '..');
export const ORIGIN = 'https://panel.test';
const NONCE = 'bm9uY2UtZm9yLXRlc3Rz';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * The page the extension serves (panelHtml, production CSP and all) with cspSource = ORIGIN. In
 * VS Code, acquireVsCodeApi comes from the webview host; here a stub carrying the page's nonce is
 * inserted before the bundle, and `inject` (test markup) at the end of the body.
 */
function pageHtml(inject = ''): string {
  const html = panelHtml({ cspSource: ORIGIN, nonce: NONCE, scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/media/panel.css`, title: 'RNN Debugger' });
  const bundle = `<script nonce="${NONCE}" src="${ORIGIN}/dist/webview.js"></script>`;
  if (!html.includes(bundle)) throw new Error('panelHtml no longer loads the bundle as the harness expects');
  const stub = `<script nonce="${NONCE}">
window.__posted = []; window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });
</script>
`;
  return html.replace(bundle, stub + bundle + inject);
}

export interface PanelPage {
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  send(msg: ToWebviewMessage): Promise<void>;
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  cspViolations(): Promise<string[]>;
  /** Waits until the panel has drawn everything it was sent. */
  settle(): Promise<void>;
}

/** Opens the panel in a new page of `browser`. */
export async function openPanel(browser: Browser, viewport = { width: 1100, height: 900 }, deviceScaleFactor = 1, inject = ''): Promise<PanelPage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/index.html') return route.fulfill({ body: pageHtml(inject), contentType: 'text/html' });
    if (url.pathname === '/dist/webview.js') return route.fulfill({ body: readFileSync(join(ROOT, 'dist', 'webview.js')), contentType: 'text/javascript' });
    if (url.pathname === '/media/panel.css') return route.fulfill({ body: readFileSync(join(ROOT, 'media', 'panel.css')), contentType: 'text/css' });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => (window as unknown as { rnnDebugger?: unknown }).rnnDebugger !== undefined);
  return {
    page, errors,
    // Typed arrays travel as base64 and are rebuilt in the page by an independent decoder, so
    // the panel receives real Float32Array/Int32Array as from VS Code's binary postMessage.
    send: (msg) => page.evaluate((text) => {
      const kinds: Record<string, new (b: ArrayBuffer) => ArrayBufferView> = { Float32Array, Int32Array, Float64Array, Uint8Array };
      const m = JSON.parse(text, (_k, v) => {
        if (v && typeof v === 'object' && typeof v.$num === 'string') return Number(v.$num);
        if (v && typeof v === 'object' && typeof v.$typed === 'string') return new kinds[v.$typed](Uint8Array.from(atob(v.base64), (ch) => ch.charCodeAt(0)).buffer);
        return v;
      });
      window.postMessage(m, '*');
    }, encodeRunJson(msg)),
    posted: () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    settle: async () => {
      await page.evaluate(() => new Promise<void>((resolve) => setTimeout(() => requestAnimationFrame(() => resolve()), 0)));
      await page.evaluate(() => (window as unknown as { rnnDebugger: { panel: { renderNow(): void } } }).rnnDebugger.panel.renderNow());
    },
  };
}

/** Chart.js data of the chart in section[data-chart=id]: dataset label → points. */
export async function chartData(page: Page, id: string): Promise<Record<string, { x: number; y: number }[]>> {
  return page.evaluate((chartId) => {
    const w = window as unknown as { rnnDebugger: { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } } | undefined } } };
    const canvas = document.querySelector<HTMLCanvasElement>(`section[data-chart="${chartId}"] canvas`);
    const chart = canvas ? w.rnnDebugger.Chart.getChart(canvas) : undefined;
    if (!chart) throw new Error(`no chart ${chartId}`);
    return Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data.map((p) => ({ x: p.x, y: p.y }))]));
  }, id);
}

/** Client coordinates of cell (t, unit) of heatmap `name` of the shown run at `runIndex`. */
export async function cellCenter(page: Page, runIndex: number, name: string, t: number, unit: number): Promise<{ x: number; y: number }> {
  const p = await page.evaluate(([r, n, tt, u]) => {
    const w = window as unknown as { rnnDebugger: { panel: { heatmap(r: number, n: string): { canvas: HTMLCanvasElement; cellCenter(t: number, u: number): { x: number; y: number } | null } | undefined } } };
    const h = w.rnnDebugger.panel.heatmap(r as number, n as string);
    if (!h) return null;
    h.canvas.scrollIntoView({ block: 'center' });
    return h.cellCenter(tt as number, u as number);
  }, [runIndex, name, t, unit] as const);
  if (!p) throw new Error(`no cell ${name}[${t}, ${unit}]`);
  return p;
}

/** RGBA of the heatmap canvas pixel under client point (x, y). */
export async function pixelAt(page: Page, runIndex: number, name: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(([r, n, cx, cy]) => {
    const w = window as unknown as { rnnDebugger: { panel: { heatmap(r: number, n: string): { canvas: HTMLCanvasElement } | undefined } } };
    const c = w.rnnDebugger.panel.heatmap(r as number, n as string)!.canvas;
    const b = c.getBoundingClientRect();
    const sx = c.width / b.width, sy = c.height / b.height;
    const d = c.getContext('2d')!.getImageData(Math.floor(((cx as number) - b.left) * sx), Math.floor(((cy as number) - b.top) * sy), 1, 1).data;
    return [...d];
  }, [runIndex, name, x, y] as const);
}
