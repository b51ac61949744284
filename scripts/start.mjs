// `npm start`: builds the extension and opens it on samples/workspace. With VS Code's `code` on
// PATH that is an Extension Development Host; otherwise a local code-server (installed once into
// ~/.cache/rnn-debugger) serves the real workbench at a printed http://127.0.0.1 URL until Ctrl-C.
// Usage: node scripts/start.mjs [--code-server] [--port N] [--vsix] [--no-build] [--watch]
//   --code-server  use code-server even when `code` is on PATH
//   --vsix         install the packaged .vsix instead of linking the repo (what users get)
//   --watch        keep esbuild watching; "Developer: Reload Window" then picks up changes
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const extId = `${pkg.publisher}.${pkg.name}`;
const workspace = join(root, 'samples', 'workspace');
const state = join(root, '.rnn-debugger', 'code-server');
const children = [];

function fail(msg) { console.error(`start: ${msg}`); process.exit(1); }
function run(cmd, argv, opts = {}) {
  const res = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (res.status !== 0) fail(`${[cmd, ...argv].join(' ')} failed (${res.status ?? res.signal})`);
  return res;
}
function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}
function freePort() {
  return new Promise((ok, no) => {
    const srv = createServer().once('error', no);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => ok(port)); });
  });
}
/** Kills each started child's process group (code-server takes its extension host and trainers with it). */
function stopAll(signal = 'SIGTERM') {
  for (const c of children) { try { process.kill(-c.pid, signal); } catch { /* gone */ } }
}

if (!flag('--no-build')) {
  run(process.execPath, [join(root, 'esbuild.mjs')]);
  // The optional native BLAS bridge of the fused LSTM kernel (never fails; skipped without a C compiler).
  run(process.execPath, [join(root, 'src', 'core', 'fast', 'native', 'build.mjs')]);
}

if (onPath('code') && !flag('--code-server')) {
  console.log('start: opening an Extension Development Host with `code`');
  run('code', [`--extensionDevelopmentPath=${root}`, workspace]);
  process.exit(0);
}

// code-server: install once (cached), then give it its own profile and extensions folder.
const ensure = spawnSync('bash', [join(root, 'scripts', 'ensure-code-server.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const launcher = ensure.stdout.trim().split('\n').pop();
if (ensure.status !== 0 || !launcher || !existsSync(launcher)) fail('installing code-server failed (scripts/ensure-code-server.sh, output above)');
const userDataDir = join(state, 'user-data');
const extensionsDir = join(state, 'extensions');
mkdirSync(join(userDataDir, 'User'), { recursive: true });
mkdirSync(extensionsDir, { recursive: true });
const settings = join(userDataDir, 'User', 'settings.json');
if (!existsSync(settings)) {
  writeFileSync(settings, JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'update.mode': 'none',
    'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden' }, null, 2));
}
const common = ['--config', join(state, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

// Remove whatever a previous start left (a link or an installed copy), then link or install afresh.
for (const d of readdirSync(extensionsDir)) {
  if (d.toLowerCase().startsWith(extId.toLowerCase())) rmSync(join(extensionsDir, d), { recursive: true, force: true });
}
rmSync(join(extensionsDir, 'extensions.json'), { force: true });
if (flag('--vsix')) {
  const vsix = join(state, `${pkg.name}-${pkg.version}.vsix`);
  run(process.execPath, [join(root, 'scripts', 'package.mjs'), '--out', vsix]);
  run(launcher, [...common, '--install-extension', vsix]);
} else {
  // A link to the repo: a rebuild plus "Developer: Reload Window" is all a change needs.
  const link = join(extensionsDir, `${extId}-${pkg.version}`);
  if (existsSync(link) || isLink(link)) rmSync(link, { force: true });
  symlinkSync(root, link, 'dir');
}

const port = opt('--port') ? Number(opt('--port')) : await freePort();
const server = spawn(launcher, [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
  // The sample workspace is this repo's own folder: trust it, or training stays disabled.
  '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace], { cwd: root, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
children.push(server);
if (flag('--watch')) {
  children.push(spawn(process.execPath, [join(root, 'esbuild.mjs'), '--watch'], { cwd: root, detached: true, stdio: 'inherit' }));
}

process.on('SIGINT', () => { console.log('\nstart: stopping code-server'); stopAll(); setTimeout(() => { stopAll('SIGKILL'); process.exit(0); }, 3000).unref(); });
process.on('SIGTERM', () => { stopAll(); process.exit(0); });
process.on('exit', () => stopAll('SIGKILL'));
server.on('exit', (code, sig) => { console.log(`start: code-server exited (${code ?? sig})`); stopAll('SIGKILL'); process.exit(code ?? 0); });

const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
// Print the URL once code-server answers, so a click right away does not hit a closed port.
for (let i = 0; i < 600; i++) {
  try { if ((await globalThis.fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`\nRNN Debugger is running in VS Code (code-server). Open:\n\n  ${url}\n\nthen run "RNN Debugger: Train RNN" from the command palette (F1). Ctrl-C stops it.\n`);

function isLink(p) { try { return lstatSync(p).isSymbolicLink(); } catch { return false; } }
