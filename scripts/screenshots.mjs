// Screenshots for the README: runs the end-to-end tests that take them in the real workbench
// (code-server + Chromium) and copies those PNGs from test-artifacts/e2e/ into media/screenshots/:
// the panel in Dark Modern and Light+, Compare Runs (ui.test.ts), the inline inspector's hover and
// the RNN Debugger side bar (inspector.test.ts), the debugger paused on an exploding gradient and
// its hover over a character of the training text (debug.test.ts). Usage: node scripts/screenshots.mjs [--no-run]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** media/screenshots/<name>.png ← test-artifacts/e2e/<artifact>.png, by the test file that takes it. */
const shots = [
  { test: 'test/e2e/ui.test.ts', name: 'panel-dark-modern', artifact: 'ui-panel-dark-modern' },
  { test: 'test/e2e/ui.test.ts', name: 'panel-light-plus', artifact: 'ui-panel-light-plus' },
  { test: 'test/e2e/ui.test.ts', name: 'compare-dark-modern', artifact: 'ui-compare-dark-modern' },
  { test: 'test/e2e/inspector.test.ts', name: 'inspector-hover', artifact: 'inspector-inspector-hover' },
  { test: 'test/e2e/inspector.test.ts', name: 'sidebar', artifact: 'inspector-sidebar' },
  { test: 'test/e2e/debug.test.ts', name: 'debug-paused', artifact: 'debug-paused' },
  { test: 'test/e2e/debug.test.ts', name: 'debug-text-hover', artifact: 'debug-text-hover' },
];

if (!process.argv.includes('--no-run')) {
  const files = [...new Set(shots.map((s) => s.test))];
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) { console.error(`screenshots: the e2e tests failed (${res.status ?? res.signal})`); process.exit(res.status || 1); }
}
const out = join(root, 'media', 'screenshots');
mkdirSync(out, { recursive: true });
let missing = 0;
for (const { name, artifact } of shots) {
  const src = join(root, 'test-artifacts', 'e2e', `${artifact}.png`);
  if (!existsSync(src)) { console.error(`screenshots: ${src} is missing`); missing++; continue; }
  copyFileSync(src, join(out, `${name}.png`));
  console.log(`media/screenshots/${name}.png (${Math.round(statSync(src).size / 1024)} KiB)`);
}
process.exit(missing ? 1 : 0);
