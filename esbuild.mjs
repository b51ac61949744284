// The one build script: a bundle per runtime (extension host, trainer process, CLI, webview)
// plus the tfjs wasm binaries the wasm backend loads at run time, the fused kernels' wasm SIMD
// GEMM (src/core/fast/wasm/build.mjs) and Dawn's WebGPU binding.
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyDawn } from './scripts/dawn.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Native or optional modules loaded at run time from node_modules, never bundled. */
const nodeExternals = ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu',
  // Only resolved when running from source (tsx); the bundles find the wasm binaries copied next to them.
  '@tensorflow/tfjs-backend-wasm/dist/*.wasm'];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  // Prefer packages' ES module builds: the UMD build of jsonc-parser require()s its parts by
  // relative path at run time, which a bundle cannot resolve ("Cannot find module './impl/format'").
  mainFields: ['module', 'main'],
};

const builds = [
  { ...common, entryPoints: { extension: 'src/extension/extension.ts' }, platform: 'node', format: 'cjs', target: 'node20', outdir: 'dist', external: nodeExternals },
  { ...common, entryPoints: { trainer: 'src/trainer/main.ts' }, platform: 'node', format: 'cjs', target: 'node20', outdir: 'dist', external: nodeExternals },
  { ...common, entryPoints: { cli: 'src/cli.ts' }, platform: 'node', format: 'cjs', target: 'node20', outdir: 'dist', external: nodeExternals, banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: { webview: 'webview/main.ts' }, platform: 'browser', format: 'iife', target: 'chrome114', outdir: 'dist' },
];

function copyWasm() {
  const from = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
  mkdirSync('dist', { recursive: true });
  for (const f of readdirSync(from)) if (f.endsWith('.wasm')) copyFileSync(join(from, f), join('dist', f));
}

copyWasm();
spawnSync(process.execPath, ['src/core/fast/wasm/build.mjs'], { stdio: 'inherit' });
// Dawn's WebGPU binding for this machine (npm start, tests); packages carry their own platform's.
copyDawn(process.cwd(), process.env.RNN_DEBUGGER_TARGET ?? `${process.platform}-${process.arch}`);
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
