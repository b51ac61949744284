// The standalone report: one HTML file, opened from file:// in Chromium without VS Code, draws
// the same charts and heatmaps from the embedded data under its own CSP.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { RunFolder } from '../../src/core/runFolder';
import { reportFromRunFolder, writeReport } from '../../src/report/report';
import { colourOf, scaleFor } from '../../webview/logic/colormap';
import { cellCenter, chartData, launch, pixelAt, ROOT } from './harness';
import { HTML_TOKEN, makeRun } from './runFixture';

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'rnn-report-'));
const webviewJs = join(ROOT, 'dist', 'webview.js');

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); rmSync(dir, { recursive: true, force: true }); });

async function open(file: string): Promise<{ page: Page; errors: string[]; csp: () => Promise<string[]> }> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.querySelectorAll('.heatmap canvas').length > 0);
  return { page, errors, csp: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

test('a report of one run opens from file:// and draws the charts and heatmaps of the data', async () => {
  const run = makeRun();
  const file = join(dir, 'one.html');
  writeReport(run, file, webviewJs);
  const html = readFileSync(file, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  assert.ok(!html.includes(HTML_TOKEN), 'the token is escaped inside the JSON');
  const { page, errors, csp } = await open(file);
  const loss = await chartData(page, 'loss');
  assert.deepEqual(loss.loss, run.metrics.map((m) => ({ x: m.step, y: m.loss })));
  const reach = await chartData(page, 'reach');
  assert.deepEqual(reach['c: below 1e-3 of peak at lag 10'].map((q) => q.x), [10, 10]);
  const layer = run.snapshots[run.snapshots.length - 1].layers[0];
  const at = await cellCenter(page, 0, 'c', 4, 3);
  assert.deepEqual(await pixelAt(page, 0, 'c', at.x, at.y), colourOf(layer.values.c[4 * 6 + 3], scaleFor('c', layer.values.c)));
  assert.match((await page.textContent('.run-name'))!, /LSTM on delayed recall/);
  assert.ok((await page.$$eval('ul.diagnostics li', (l) => l.length)) >= 3);
  assert.deepEqual(await csp(), []);
  assert.deepEqual(errors, []);
});

test('a report of a run folder (two samples per step) and a compared pair', async () => {
  const run = makeRun({ id: 'folder-run', name: 'from a run folder' });
  const runDir = join(dir, 'run');
  const folder = new RunFolder(runDir, (m) => assert.fail(m));
  folder.writeSpec(run.status.spec);
  folder.writeStatus(run.status);
  folder.appendMetrics(run.metrics);
  for (const s of run.snapshots) { folder.writeSnapshot(s); folder.writeSnapshot({ ...s, sample: 1 }); }
  const file = join(dir, 'folder.html');
  await reportFromRunFolder(runDir, file, webviewJs);
  const { page, errors } = await open(file);
  assert.match((await page.textContent('.step-label'))!, /step 60 \(3 snapshots\)/);
  assert.equal((await chartData(page, 'loss')).loss.length, 60);
  assert.deepEqual(errors, []);

  const pair = join(dir, 'pair.html');
  writeReport([run, makeRun({ id: 'b', name: 'twin', failedAt: 30 })], pair, webviewJs);
  const two = await open(pair);
  assert.equal(await two.page.$$eval('.heatmap-column', (c) => c.length), 2);
  assert.ok((await chartData(two.page, 'loss'))['twin · loss']);
  assert.deepEqual(two.errors, []);
});

test('the report follows the viewer\'s light or dark preference and has no "follow latest" box', async () => {
  const file = join(dir, 'themed.html');
  writeReport(makeRun(), file, webviewJs);
  for (const [scheme, background] of [['light', 'rgb(255, 255, 255)'], ['dark', 'rgb(31, 31, 31)']] as const) {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme: scheme })).newPage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => document.querySelectorAll('.heatmap canvas').length > 0);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), background, scheme);
    assert.equal(await page.$$eval('.controls input[type="checkbox"]', (c) => c.length), 0, 'no follow-latest box in a report');
    assert.match((await page.textContent('.step-label'))!, /step 60/);
    await page.context().close();
  }
});
