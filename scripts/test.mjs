// The whole test suite, as CI runs it: lint, type check, build, then the unit tests (node:test
// under tsx), the webview tests in headless Chromium and the end-to-end tests in a real VS Code
// workbench (code-server). Usage: node scripts/test.mjs [stage ...]
// Stages: lint typecheck build unit webview e2e (default: all, in that order).
// On a fresh clone it first installs what the stages need and is missing: the npm dependencies
// (npm ci), Debian's chromium for the webview and e2e stages (as root with apt, otherwise it says
// what to install), and code-server for the e2e stage (scripts/ensure-code-server.sh, cached).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const ALL = ['lint', 'typecheck', 'build', 'unit', 'webview', 'e2e'];
const stages = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
for (const s of stages) if (!ALL.includes(s)) { console.error(`unknown stage ${s}; one of ${ALL.join(', ')}`); process.exit(2); }

function findTests(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const npmBin = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let passed = 0, failed = 0, skipped = 0;
const failures = [];

function run(label, cmd, args, { tap = false, env = {} } = {}) {
  console.log(`\n=== ${label} ===`);
  const res = spawnSync(cmd, args, { stdio: tap ? ['ignore', 'pipe', 'inherit'] : 'inherit', env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  if (tap) {
    const text = res.stdout.toString();
    process.stdout.write(text);
    const num = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) || [])[1] || 0);
    passed += num('pass'); failed += num('fail'); skipped += num('skipped') + num('todo');
  }
  if (res.status !== 0) failures.push(`${label} (exit ${res.status ?? res.signal})`);
  return res.status === 0;
}

/** node_modules is missing or differs from the lock file (npm ci records what it installed). */
function dependenciesStale() {
  try {
    const want = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
    const have = JSON.parse(readFileSync(join(root, 'node_modules', '.package-lock.json'), 'utf8')).packages ?? {};
    return Object.entries(want).some(([k, v]) => k !== '' && !v.optional && have[k]?.version !== v.version);
  } catch { return true; }
}

/** One set-up command, its output shown; true when it succeeded. */
function setupStep(label, cmd, argv) {
  console.log(`\n=== setup: ${label} ===`);
  return spawnSync(cmd, argv, { stdio: 'inherit' }).status === 0;
}

/** Installs what the chosen stages need; the label of what failed, or null. */
function setUp() {
  if (dependenciesStale()) {
    let ok = false;
    for (let i = 1; i <= 3 && !ok; i++) ok = setupStep(`npm ci (attempt ${i} of 3)`, npmBin, ['ci', '--no-audit', '--no-fund']);
    if (!ok) return 'npm ci';
  }
  const ensureDebian = (why, pkgs) => setupStep(`Debian ${pkgs.join(' ')} (${why})`, 'bash', [join(root, 'scripts', 'ensure-debian-packages.sh'), why, ...pkgs]);
  // The build compiles the fused kernels' wasm SIMD GEMM with clang + lld; the GPU engine's tests
  // need a WebGPU adapter, which without a GPU is Mesa's llvmpipe through EGL. Elsewhere than CI
  // a machine without them still tests the rest (the GPU tests skip, saying why; the wasm kernel's
  // tests fail, saying the build did not make it); in CI both must be there.
  const optional = (label, ok) => {
    if (ok) return null;
    if (process.env.CI) return label;
    console.log(`setup: going on without ${label}`);
    return null;
  };
  let missing = null;
  if (stages.includes('build')) missing ??= optional('clang and lld', ensureDebian('the wasm kernel build', ['clang', 'lld']));
  if (stages.includes('unit') || stages.includes('e2e')) {
    missing ??= optional('Mesa EGL', ensureDebian('a software WebGPU adapter for the GPU tests', ['libegl1', 'libegl-mesa0', 'libgl1-mesa-dri', 'libegl-dev']));
  }
  if (missing) return missing;
  const browser = stages.includes('webview') || stages.includes('e2e');
  if (browser && !process.env.CHROMIUM_PATH && !existsSync('/usr/bin/chromium') && !ensureDebian('the webview and end-to-end tests', ['chromium'])) return 'chromium';
  if (stages.includes('e2e') && !setupStep('code-server (the VS Code workbench of the e2e tests)', 'bash', [join(root, 'scripts', 'ensure-code-server.sh')])) return 'code-server';
  return null;
}

const testStages = { unit: 'test/unit', webview: 'test/webview', e2e: 'test/e2e' };
const setupFailed = setUp();
if (setupFailed) {
  console.log(`\n=== summary ===\nset-up failed: ${setupFailed} (output above)`);
  process.exit(1);
}
for (const stage of stages) {
  if (stage === 'lint') run('lint', npmBin, ['run', '-s', 'lint']);
  else if (stage === 'typecheck') run('typecheck', npmBin, ['run', '-s', 'typecheck']);
  else if (stage === 'build') { if (!run('build', npmBin, ['run', '-s', 'build'])) break; }
  else {
    const files = findTests(testStages[stage]);
    if (!files.length) { console.log(`\n=== ${stage}: no test files ===`); continue; }
    run(`${stage} tests (${files.length} files)`, process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', ...(stage === 'unit' ? [] : ['--test-concurrency=1']), ...files],
      { tap: true });
  }
}

console.log('\n=== summary ===');
if (failures.length) console.log(`failed stages: ${failures.join(', ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failures.length || failed ? 1 : 0);
