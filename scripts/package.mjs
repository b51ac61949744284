// Packages the extension as .vsix files: a production build (everything bundled; the tfjs wasm
// binaries and the fused kernels' wasm SIMD GEMM in dist/), then `vsce package`, and lists what
// each package holds with its size.
//   universal (default): the portable pieces only (wasm kernels everywhere).
//   --target <platform>|all: linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64,
//     universal. A platform package carries the native pieces (dist/*.node) only when it is the
//     platform they were built on (this machine's); otherwise it equals the universal one plus
//     the platform tag, so the Marketplace can serve one per platform.
// Usage: node scripts/package.mjs [--out <file.vsix>] [--target <platform>|all] [--no-build] [--ls]
//        [--with-dependencies]   (platform packages that ship node_modules, e.g. tfjs-node: see README)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyDawn } from './dawn.mjs';
import { readZip } from './install-vsix.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
export const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'universal'];
const hostTarget = `${process.platform}-${process.arch}`;
const targetArg = opt('--target');
const targets = targetArg === 'all' ? TARGETS : [targetArg ?? 'universal'];
for (const t of targets) if (!TARGETS.includes(t)) {
  console.error(`package: unknown --target ${t} (one of ${TARGETS.join(', ')}, all)`);
  process.exit(2);
}
if (opt('--out') && targets.length > 1) {
  console.error('package: --out names one file; use it with one --target');
  process.exit(2);
}
// vsce is a dev dependency; call its JS entry with this Node so no shell or .cmd shim is involved.
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

function run(cmd, argv) {
  const res = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`package: ${[cmd, ...argv].join(' ')} failed (${res.status ?? res.signal})`);
    process.exit(res.status || 1);
  }
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

if (!args.includes('--no-build')) run(process.execPath, [join(root, 'esbuild.mjs'), '--production']);
if (!existsSync(join(root, 'dist', 'fused-kernel.wasm'))) console.log('package: dist/fused-kernel.wasm is missing (see the build line above): this package trains the LSTM on the JavaScript GEMM');
// No repository field on purpose (private project); --allow-missing-repository keeps vsce from
// prompting, which would hang a non-interactive run.
if (args.includes('--ls')) run(process.execPath, [vsce, 'ls', '--no-dependencies']);

// Native pieces are whatever dist/*.node the build made here (fastblas.node, a GPU binding…):
// built for this machine's platform, so shipped only in that platform's package.
const nativePieces = readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.node')).map((f) => `dist/${f}`);
const baseIgnore = readFileSync(join(root, '.vscodeignore'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'rnn-package-'));
const made = [];
try {
  for (const target of targets) {
    const platform = target !== 'universal';
    const file = resolve(opt('--out') ?? join(root, `${pkg.name}-${pkg.version}${platform ? `-${target}` : ''}.vsix`));
    const natives = platform && target === hostTarget ? [...nativePieces] : [];
    // Dawn's binding is prebuilt for every platform: each platform package carries its own; the
    // universal package carries none (it trains on the CPU, and says why).
    const dawn = platform ? copyDawn(root, target) : null;
    if (dawn) natives.push(`${dawn}/**`, 'dist/webgpu/LICENSE.md');
    const ignoreFile = join(scratch, `${target}.vscodeignore`);
    writeFileSync(ignoreFile, baseIgnore + natives.map((f) => `!${f}\n`).join(''));
    // The universal package needs nothing from node_modules (all bundled); a platform package
    // ships node_modules only when asked (the tfjs-node route of the README).
    const deps = platform && args.includes('--with-dependencies') ? [] : ['--no-dependencies'];
    run(process.execPath, [vsce, 'package', ...(platform ? ['--target', target] : []), ...deps, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--no-rewrite-relative-links', '--out', file]);
    const entries = [...readZip(readFileSync(file))].filter(([n]) => n.startsWith('extension/'));
    console.log(`\n${target}: ${file} (${mib(statSync(file).size)}, ${statSync(file).size} bytes)`);
    for (const [n, b] of entries.sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${n.slice('extension/'.length).padEnd(44)} ${String(b.length).padStart(10)} B`);
    const kinds = [
      entries.some(([n]) => n === 'extension/dist/fused-kernel.wasm')
        ? `wasm SIMD GEMM${entries.some(([n]) => n === 'extension/dist/fused-kernel-worker.cjs') ? ' (+ its worker thread)' : ' (NO worker thread: one thread only)'}`
        : 'NO wasm GEMM (JavaScript GEMM only)',
      ...entries.filter(([n]) => n.endsWith('.node')).map(([n]) => `native ${n.slice('extension/dist/'.length)} (${hostTarget})`),
    ];
    console.log(`  fused-kernel pieces: ${kinds.join(', ')}`);
    made.push({ target, file, bytes: statSync(file).size, pieces: kinds });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (made.length > 1) {
  console.log('\n| target | size | pieces |\n|---|---|---|');
  for (const m of made) console.log(`| ${m.target} | ${mib(m.bytes)} | ${m.pieces.join(', ')} |`);
}
for (const m of made) console.log(`packaged ${m.file} (${mib(m.bytes)}, ${m.bytes} bytes)`);
