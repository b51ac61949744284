// Packages the extension as a .vsix: a production build (everything bundled, tfjs wasm binaries
// copied into dist/), then `vsce package --no-dependencies`, and prints what it made and its size.
// Usage: node scripts/package.mjs [--out <file.vsix>] [--target <platform>] [--no-build] [--ls]
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const target = opt('--target');
const out = resolve(opt('--out') ?? join(root, `${pkg.name}-${pkg.version}${target ? `-${target}` : ''}.vsix`));
// vsce is a dev dependency; call its JS entry with this Node so no shell or .cmd shim is involved.
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

function run(cmd, argv) {
  const res = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`package: ${[cmd, ...argv].join(' ')} failed (${res.status ?? res.signal})`);
    process.exit(res.status || 1);
  }
}

if (!args.includes('--no-build')) run(process.execPath, [join(root, 'esbuild.mjs'), '--production']);
// No repository field on purpose (private project); --allow-missing-repository keeps vsce from
// prompting, which would hang a non-interactive run.
if (args.includes('--ls')) run(process.execPath, [vsce, 'ls', '--no-dependencies']);
// The universal package needs nothing from node_modules (all bundled). A platform package
// (--target) exists to carry the native tfjs-node addon, which is loaded from node_modules: it is
// packaged WITH dependencies, and .vscodeignore must allow-list the addon (README "Packaging").
run(process.execPath, [vsce, 'package', ...(target ? ['--target', target] : ['--no-dependencies']), '--allow-missing-repository', '--out', out]);

const bytes = statSync(out).size;
console.log(`packaged ${out} (${(bytes / 1024 / 1024).toFixed(2)} MiB, ${bytes} bytes)`);
