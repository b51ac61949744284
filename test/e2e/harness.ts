// End-to-end harness: the packaged extension in a real VS Code workbench (code-server) driven by
// headless Chromium. Each workbench gets its own port, profile, extensions dir and a copy of the
// sample workspace, and everything it starts is killed on close, on test failure and on exit.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type Frame, type Locator, type Page, chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

export const ROOT = resolve(__dirname, '..', '..');
/** Screenshots, code-server logs and extension-host logs of failed and passed runs land here. */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
export const SAMPLE_WORKSPACE = join(ROOT, 'samples', 'workspace');
export const EXTENSION_ID = 'rnn-debugger.rnn-debugger';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// #region waiting
/**
 * Polls `probe` until it returns something other than undefined/false/null, or fails after
 * `timeoutMs` with `message` (and the last error the probe threw, if any). The only way this
 * harness waits: every wait is a condition with a deadline.
 */
export async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  message: string, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) { lastError = e; }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s: ${message}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
// #endregion

// #region installs
/** The code-server launcher, installing it first if this machine has not yet (cached under ~/.cache). */
export function codeServer(): string {
  const res = spawnSync('bash', [join(ROOT, 'scripts', 'ensure-code-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = res.stdout.trim().split('\n').pop() ?? '';
  if (res.status !== 0 || !existsSync(last)) throw new Error(`scripts/ensure-code-server.sh failed (exit ${res.status}); see its output above`);
  return last;
}

/**
 * The .vsix under test (this platform's package), built once per test run: `node --test` runs each file in its own process,
 * all children of one runner, so the runner's pid keys the package (override: RNN_E2E_VSIX).
 */
export function packagedExtension(): string {
  if (process.env.RNN_E2E_VSIX) return process.env.RNN_E2E_VSIX;
  const dir = join(tmpdir(), `rnn-debugger-e2e-vsix-${process.ppid}`);
  const vsix = join(dir, 'rnn-debugger-e2e.vsix');
  if (existsSync(vsix)) return vsix;
  mkdirSync(dir, { recursive: true });
  // The package the Marketplace serves this machine: its platform's (Dawn's binding included).
  const target = `${process.platform}-${process.arch}`;
  const res = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--target', target, '--out', vsix], { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0 || !existsSync(vsix)) throw new Error(`packaging the extension failed (exit ${res.status}):\n${res.stdout}\n${res.stderr}`);
  return vsix;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((ok) => {
    const req = httpGet(url, (res) => { res.resume(); ok(res.statusCode ?? 0); });
    req.on('error', () => ok(0));
    req.setTimeout(2000, () => { req.destroy(); ok(0); });
  });
}
// #endregion

// #region processes
const live = new Set<ChildProcess>();

/** Kills a detached child's whole process group (code-server, its extension host, the trainer). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

// Last resort: a crash or a killed test process must not leave code-server running.
process.on('exit', () => { for (const c of live) killGroup(c, 'SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { for (const c of live) killGroup(c, 'SIGKILL'); process.exit(130); });
}

/** Pids of processes whose command line contains `needle` (Linux /proc). */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  return out;
}
// #endregion

export interface LaunchOptions {
  /** Name for logs and screenshots. */
  name: string;
  /** Extra user settings (settings.json) for this workbench. */
  settings?: Record<string, unknown>;
  /** Extra files written into the workspace copy before the workbench opens it (name → content). */
  files?: Record<string, string | Uint8Array>;
}

/** A running workbench with the extension installed, and the page showing it. */
export class Workbench {
  private constructor(
    readonly name: string,
    readonly page: Page,
    readonly browser: Browser,
    private readonly server: ChildProcess,
    readonly url: string,
    /** Temporary root holding the workspace copy, profile and extensions. */
    readonly home: string,
    /** The copy of samples/workspace the workbench has open. */
    readonly workspace: string,
    readonly userDataDir: string,
    readonly extensionsDir: string,
  ) {}

  static async launch(opts: LaunchOptions): Promise<Workbench> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const launcher = codeServer();
    const vsix = packagedExtension();
    const home = mkdtempSync(join(tmpdir(), `rnn-e2e-${opts.name}-`));
    const workspace = join(home, 'workspace');
    const userDataDir = join(home, 'user-data');
    const extensionsDir = join(home, 'extensions');
    if (!existsSync(SAMPLE_WORKSPACE)) throw new Error(`sample workspace missing: ${SAMPLE_WORKSPACE}`);
    // The sample files only: run folders a previous `npm start` left in samples/workspace are not
    // this test's (each test finds its own runs by the ids it started).
    cpSync(SAMPLE_WORKSPACE, workspace, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.rnn-debugger') });
    for (const [name, content] of Object.entries(opts.files ?? {})) writeFileSync(join(workspace, name), content);
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'security.workspace.trust.enabled': false,
      'update.mode': 'none',
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      ...opts.settings,
    }, null, 2));
    const base = ['--config', join(home, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
    const inst = spawnSync(launcher, [...base, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
    if (inst.status !== 0 || !readdirSync(extensionsDir).some((d) => d.startsWith(EXTENSION_ID))) {
      throw new Error(`installing ${vsix} failed (exit ${inst.status}):\n${inst.stdout}\n${inst.stderr}`);
    }

    const port = await freePort();
    const log = createWriteStream(join(ARTIFACTS, `${opts.name}.code-server.log`));
    const server = spawn(launcher, [...base, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
      '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home } });
    live.add(server);
    server.stdout?.pipe(log);
    server.stderr?.pipe(log);
    let exited: string | undefined;
    server.once('exit', (code, sig) => { exited = `code-server exited (${code ?? sig})`; live.delete(server); });

    let browser: Browser | undefined;
    try {
      const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
      await waitFor(async () => {
        if (exited) throw new Error(exited);
        return (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200;
      }, `code-server to answer on port ${port} (log: ${opts.name}.code-server.log)`, 60_000);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const wb = new Workbench(opts.name, page, browser, server, url, home, workspace, userDataDir, extensionsDir);
      await page.goto(url, { timeout: 60_000 });
      await wb.waitForWorkbench();
      return wb;
    } catch (e) {
      await browser?.close().catch(() => undefined);
      await stopServer(server);
      throw e;
    }
  }

  /** Waits until the workbench has rendered and the workspace's files are listed in the explorer. */
  async waitForWorkbench(): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 })
      .catch(() => { throw new Error('the VS Code workbench did not render within 60 s'); });
    await waitFor(() => this.page.locator('.explorer-folders-view .monaco-list-row').count().then((n) => n > 0),
      'the explorer to list the sample workspace', 60_000);
  }

  /**
   * Runs a command from the command palette by its full title, e.g. "RNN Debugger: Train RNN".
   * Commands of extensions appear once the extension host has read their manifests, and the
   * palette computes its list when the text changes, so the title is typed again until it shows.
   */
  async runCommand(title: string, timeoutMs = 60_000): Promise<void> {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await waitFor(async () => {
      if (!(await input.isVisible())) {
        await page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => undefined);
        await page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 2_000 });
      }
      await input.fill('>');
      await input.fill(`>${title}`);
      await row.waitFor({ state: 'visible', timeout: 2_000 });
      const label = await row.getAttribute('aria-label', { timeout: 500 });
      return label !== null && label.toLowerCase().startsWith(title.toLowerCase());
    }, `the command "${title}" to be listed in the command palette`, timeoutMs, 500);
    await row.click();
  }

  /**
   * Accepts the default of every quick pick / input box that opens (Enter), one step at a time,
   * until `done` holds (e.g. the panel has appeared). Returns what each step showed.
   */
  async acceptQuickPicksUntil(done: () => Promise<boolean>, what: string, timeoutMs = 60_000, maxSteps = 12): Promise<string[]> {
    const widget = this.page.locator('.quick-input-widget');
    const seen: string[] = [];
    const signature = async (): Promise<string | null> => {
      if (!(await widget.isVisible())) return null;
      return widget.evaluate((w) => {
        const title = w.querySelector('.quick-input-title')?.textContent ?? '';
        const input = w.querySelector('input') as unknown as { placeholder?: string; value?: string } | null;
        const rows = [...w.querySelectorAll('.quick-input-list .monaco-list-row')].slice(0, 3).map((r) => r.getAttribute('aria-label'));
        return JSON.stringify([title, input?.placeholder ?? '', input?.value ?? '', rows]);
      });
    };
    await waitFor(async () => {
      if (await done()) return true;
      const before = await signature();
      if (before === null) return false;
      if (seen.length >= maxSteps) throw new Error(`still asking after ${maxSteps} steps: ${seen.join(' → ')}`);
      seen.push(before);
      await this.page.keyboard.press('Enter');
      await waitFor(async () => (await signature()) !== before, `quick pick step ${seen.length} to move on after Enter (${before})`, 15_000);
      return false;
    }, `${what} after accepting the defaults`, timeoutMs, 300).catch((e: Error) => {
      throw new Error(`${e.message}; quick pick steps accepted: ${seen.join(' → ') || 'none'}`);
    });
    return seen;
  }

  /**
   * Train RNN from the palette with the summary pick's defaults except the step count: a test
   * that acts on a live run asks for more steps than it can ever reach, so the run is still
   * training whatever the machine's speed, and ends only when the test stops it. Returns the id
   * of the run it started (the run folder that appeared).
   */
  async train(opts: { steps: number }): Promise<string> {
    const before = new Set(this.runIds());
    const page = this.page;
    const widget = page.locator('.quick-input-widget');
    const title = widget.locator('.quick-input-title');
    await this.runCommand('RNN Debugger: Train RNN');
    await waitFor(async () => /Train RNN/.test(await title.innerText({ timeout: 500 }).catch(() => '')), 'the Train RNN summary pick to open', 30_000);
    // Pick the Steps row until its input box shows (a click while the list re-filters can miss).
    await waitFor(async () => {
      if (/Steps/.test(await title.innerText({ timeout: 500 }).catch(() => ''))) return true;
      await widget.locator('input').fill('Steps');
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: /^Steps/ }).first().click({ timeout: 2_000 }).catch(() => undefined);
      return undefined;
    }, 'the Steps input box to open', 30_000, 500);
    await widget.locator('input').fill(String(opts.steps));
    await page.keyboard.press('Enter');
    // Back on the summary, whose Train row now says the step count: Enter trains.
    const trainRow = widget.locator('.quick-input-list .monaco-list-row', { hasText: `${opts.steps} steps` }).first();
    await trainRow.waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Enter');
    return waitFor(() => this.runIds().find((id) => !before.has(id)), 'a run folder for the new run to appear', 60_000);
  }

  /** The run folders of the workspace's runs folder (their names are the run ids). */
  runIds(): string[] {
    const dir = join(this.workspace, '.rnn-debugger', 'runs');
    return existsSync(dir) ? readdirSync(dir) : [];
  }

  /** The run folder of a run. */
  runDir(runId: string): string {
    return join(this.workspace, '.rnn-debugger', 'runs', runId);
  }

  /** The state its status.json records ('starting', 'running', 'stopped', …), or undefined before it exists. */
  runState(runId: string): string | undefined {
    try { return (JSON.parse(readFileSync(join(this.runDir(runId), 'status.json'), 'utf8')) as { state?: string }).state; } catch { return undefined; }
  }

  /** Labels of the rows the quick pick / palette currently shows (empty when it is closed). */
  async quickPickLabels(): Promise<string[]> {
    if (!(await this.page.locator('.quick-input-widget').isVisible())) return [];
    return this.page.locator('.quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  }

  /** Texts of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
  }

  /**
   * The frame holding a webview's content: VS Code nests the extension's document in an iframe
   * inside the webview's own iframe, so this searches every frame for `selector`.
   */
  async webviewFrame(selector: string, what: string, timeoutMs = 30_000): Promise<Frame> {
    return waitFor(async () => {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        const hit = await f.$(selector).catch(() => null);
        if (hit) return f;
      }
      return undefined;
    }, `${what} (a webview frame containing "${selector}")`, timeoutMs);
  }

  /**
   * Opens a file of the workspace from the explorer and waits for its editor tab to be active,
   * and for its text unless `textEditor` is false (a binary file gets a placeholder instead).
   */
  async openFile(name: string, { textEditor = true } = {}): Promise<void> {
    const row = this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
    // Another view container (e.g. RNN Debugger's) may have replaced the explorer in the side bar.
    if (!(await row.isVisible())) await this.runCommand('View: Show Explorer');
    await row.click();
    await waitFor(() => this.page.locator(`.tabs-container .tab.active[aria-label*="${name}"]`).count().then((n) => n > 0),
      `the editor of ${name} to open`, 30_000);
    if (textEditor) await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
  }

  /** Rows (their aria-labels) of a view of the side bar, e.g. "Runs"; empty when it shows none. */
  async viewRows(viewTitle: string): Promise<string[]> {
    const pane = this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: viewTitle }) }).first();
    if (!(await pane.isVisible())) return [];
    return pane.locator('.pane-body .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  }

  /** The editor's hover when one shows (not a workbench tooltip such as a toolbar button's title). */
  private editorHover(): Locator {
    return this.page.locator('.monaco-hover:not(.workbench-hover):visible, .monaco-resizable-hover:visible').first();
  }

  /**
   * The editor's hover, once its text passes `accept`: over the point `at()` returns, or at the
   * cursor ('cursor': Show Hover, Ctrl+K Ctrl+I). The hover is asked for only while no editor
   * hover shows: asking again restarts a hover that is still loading, so on a busy machine a slow
   * answer would never be seen. Workbench tooltips (a toolbar button's title, class
   * workbench-hover) are not the editor's hover and are ignored.
   */
  async hoverUntil(at: 'cursor' | (() => Promise<{ x: number; y: number } | null>), accept: (text: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    return waitFor(async () => {
      const text = await this.editorHover().innerText({ timeout: 1_500 }).catch(() => '');
      if (accept(text)) return text;
      if (text.trim()) return undefined;
      if (at === 'cursor') {
        await this.page.keyboard.press('Control+K');
        await this.page.keyboard.press('Control+I');
        return undefined;
      }
      const p = await at();
      if (p) {
        await this.page.mouse.move(p.x, p.y - 1);
        await this.page.mouse.move(p.x, p.y);
      }
      return undefined;
    }, what, timeoutMs, 500);
  }

  /** The status bar's text, item by item. */
  async statusBarTexts(): Promise<string[]> {
    return this.page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  }

  /** Saves a screenshot as test-artifacts/e2e/<name>-<label>.png. */
  async screenshot(label: string): Promise<string> {
    const file = join(ARTIFACTS, `${this.name}-${label}.png`);
    await this.page.screenshot({ path: file, timeout: 10_000 }).catch(() => undefined);
    return file;
  }

  /** Everything the extension hosts have logged so far (activation, errors, our log channel). */
  extensionHostLog(): string {
    const parts: string[] = [];
    const walk = (dir: string): void => {
      let entries: string[] = [];
      try { entries = readdirSync(dir); } catch { return; }
      for (const e of entries) {
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/exthost.*\.log$/i.test(e) || /rnn/i.test(e)) parts.push(`--- ${p}\n${readFileSync(p, 'utf8')}`);
      }
    };
    walk(join(this.userDataDir, 'logs'));
    return parts.join('\n');
  }

  /** Pids of trainer processes started from this workbench's installed extension. */
  trainerProcesses(): number[] {
    return processesMatching(join(this.extensionsDir)).filter((pid) => {
      try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('trainer'); } catch { return false; }
    });
  }

  /** Reloads the browser window (VS Code's "Reload Window") and waits for the workbench again. */
  async reload(): Promise<void> {
    // The workbench's own "Reload Window" saves its state (open editors, the extension's
    // workspaceState) before it reloads; a bare page reload may cut those writes short, and
    // what is restored would then depend on how long ago the workbench last saved.
    const reloaded = this.page.waitForEvent('load', { timeout: 60_000 });
    await this.runCommand('Developer: Reload Window');
    await reloaded;
    await this.waitForWorkbench();
  }

  /**
   * Closes Chromium and kills code-server's process group (its extension host and any trainer
   * with it), keeping the logs in test-artifacts/e2e/. Safe to call twice.
   */
  async close(): Promise<void> {
    try { writeFileSync(join(ARTIFACTS, `${this.name}.exthost.log`), this.extensionHostLog()); } catch { /* best effort */ }
    await Promise.race([this.browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    await stopServer(this.server);
    // The run folders the tests wrote (small: short runs), to read when a test about them fails.
    try {
      const runs = join(this.workspace, '.rnn-debugger', 'runs');
      if (existsSync(runs)) cpSync(runs, join(ARTIFACTS, `${this.name}-runs`), { recursive: true });
    } catch { /* best effort */ }
    rmSync(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) { killGroup(server, 'SIGKILL'); return; }
  const gone = new Promise<void>((r) => server.once('exit', () => r()));
  killGroup(server, 'SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000));
  if ((await Promise.race([gone, timer])) === 'timeout') killGroup(server, 'SIGKILL');
  // Whatever was left in the group (an extension host or trainer that ignored SIGTERM) goes too.
  killGroup(server, 'SIGKILL');
  live.delete(server);
}

/**
 * One workbench for the tests of a file, launched before them and closed after them (also on
 * failure). Returns `step(label, body)`: runs body on it, saving `<label>-failure.png` if it throws.
 */
export function sharedWorkbench(name: string, opts: Omit<LaunchOptions, 'name'> = {}): (label: string, body: (w: Workbench) => Promise<void>) => Promise<void> {
  let wb: Workbench | undefined;
  before(async () => { wb = await Workbench.launch({ name, ...opts }); }, { timeout: 180_000 });
  after(async () => { await wb?.close(); }, { timeout: 60_000 });
  return async (label, body) => {
    const w = wb;
    assert.ok(w, 'the workbench did not start');
    try { await body(w); } catch (e) { await w.screenshot(`${label}-failure`); throw e; }
  };
}
