// Builds the WebAssembly SIMD kernel (SOURCES below: the GEMM, the LSTM's, the GRU's and the
// vanilla RNN's elementwise steps and the worker thread's loop) into one module, dist/fused-kernel.wasm, with
// clang targeting wasm32 and wasm-ld (Debian: clang lld), and copies the worker thread's script
// beside it (dist/fused-kernel-worker.cjs). The module imports a shared memory (atomics, bulk memory) so
// that a worker thread can run the same code on the same memory. Run by esbuild.mjs, so `npm run
// build` and every package carry both files. Never fails the build: without the tools it says so
// in one line and the fused kernel uses its JavaScript GEMM.
// Usage: node src/core/fast/wasm/build.mjs
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C files of the module, each one job (a new kernel adds its file here). */
const SOURCES = ['sgemm.c', 'threads.c', 'lstm-step.c', 'gru-step.c', 'rnn-step.c'];
/** Upper bound of the shared memory (wasm32 addresses 4 GiB; the work buffers of H = 256, T = 1000 take ≈ 0.3 GiB). */
const MAX_MEMORY = 2 ** 31;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const out = join(root, 'dist', 'fused-kernel.wasm');
const worker = join(root, 'dist', 'fused-kernel-worker.cjs');
const cc = process.env.WASM_CC || 'clang';
const args = [
  '--target=wasm32', '-O3', '-msimd128', '-matomics', '-mbulk-memory', '-mmutable-globals', '-nostdlib',
  '-Wl,--no-entry', '-Wl,--export=__heap_base', '-Wl,--export=__stack_pointer',
  '-Wl,--import-memory', '-Wl,--shared-memory', `-Wl,--initial-memory=${1 << 20}`, `-Wl,--max-memory=${MAX_MEMORY}`,
  '-o', `${out}.${process.pid}.tmp`, ...SOURCES.map((f) => join(here, f)),
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
  copyFileSync(join(here, 'worker.cjs'), `${worker}.${process.pid}.tmp`);
  renameSync(`${worker}.${process.pid}.tmp`, worker);
  renameSync(`${out}.${process.pid}.tmp`, out);
  console.log(`wasm kernel: built ${out} (+ ${worker})`);
}
