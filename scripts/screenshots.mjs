// Screenshots for the README: runs the end-to-end UI test (code-server + Chromium; it saves the
// panel in Dark Modern and Light+ and a comparison under test-artifacts/e2e/), then
// copies those PNGs into media/screenshots/. Usage: node scripts/screenshots.mjs [--no-run]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The inspector's own screenshot stays an artefact: headless Chromium leaves the editor's text unpainted after a long scroll.
const shots = ['panel-dark-modern', 'panel-light-plus', 'compare-dark-modern'];

if (!process.argv.includes('--no-run')) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/e2e/ui.test.ts'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) { console.error(`screenshots: the e2e UI test failed (${res.status ?? res.signal})`); process.exit(res.status || 1); }
}
const out = join(root, 'media', 'screenshots');
mkdirSync(out, { recursive: true });
let missing = 0;
for (const name of shots) {
  const src = join(root, 'test-artifacts', 'e2e', `ui-${name}.png`);
  if (!existsSync(src)) { console.error(`screenshots: ${src} is missing`); missing++; continue; }
  copyFileSync(src, join(out, `${name}.png`));
  console.log(`media/screenshots/${name}.png (${Math.round(statSync(src).size / 1024)} KiB)`);
}
process.exit(missing ? 1 : 0);
