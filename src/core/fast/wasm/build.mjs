// Builds the WebAssembly SIMD kernel (sgemm.c: GEMM; lstm-step.c, gru-step.c: the LSTM's and the GRU's elementwise steps)
// into dist/fused-kernel.wasm with clang targeting wasm32 and wasm-ld (Debian: clang lld). Run
// by esbuild.mjs, so `npm run build` and every package carry it. Never fails the build: without the tools it says so in one line and the fused
// kernel uses its JavaScript GEMM.
// Usage: node src/core/fast/wasm/build.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const out = join(root, 'dist', 'fused-kernel.wasm');
const cc = process.env.WASM_CC || 'clang';
const args = [
  '--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-nostdlib',
  '-Wl,--no-entry', '-Wl,--export=__heap_base', `-Wl,--initial-memory=${1 << 20}`,
  '-o', `${out}.${process.pid}.tmp`, join(here, 'sgemm.c'), join(here, 'lstm-step.c'), join(here, 'gru-step.c'),
];
mkdirSync(dirname(out), { recursive: true });
const res = spawnSync(cc, args, { encoding: 'utf8' });
if (res.status !== 0) {
  rmSync(`${out}.${process.pid}.tmp`, { force: true });
  rmSync(out, { force: true }); // never ship a stale kernel beside newer sources
  const why = res.error ? `${cc} not found` : (res.stderr || '').trim().split('\n')[0];
  console.log(`wasm kernel: not built (${why}); install clang and lld (Debian: apt-get install clang lld); the JavaScript GEMM is used.`);
} else {
  // Renamed into place whole: a process loading the kernel meanwhile never reads half a file.
  renameSync(`${out}.${process.pid}.tmp`, out);
  console.log(`wasm kernel: built ${out}`);
}
