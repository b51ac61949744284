// The whole test suite, as CI runs it: lint, type check, build, then the unit tests (node:test
// under tsx), the webview tests in headless Chromium and the end-to-end tests in a real VS Code
// workbench (code-server). Usage: node scripts/test.mjs [stage ...]
// Stages: lint typecheck build unit webview e2e (default: all, in that order).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

const testStages = { unit: 'test/unit', webview: 'test/webview', e2e: 'test/e2e' };
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
