// The WebAssembly SIMD GEMM against a float64 product: every transpose combination, beta 0 / 1 /
// other, leading dimensions wider than the matrix, tile edges (M mod 4, N mod 8), the packed
// path (M ≥ 16) and k-blocking (K > 256); on one thread with copied operands, and on two threads
// (every product split between the caller and the worker) with operands in the kernel's memory.
// The kernel's memory blocks (WasmHeap). Built from the current sources before the tests. A
// corrupted kernel, or one built from older sources, is refused with the reason.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiateWasmKernel, loadWasmGemm, WASM_KERNEL_FILE, type WasmKernel } from '../../../src/core/fast/wasmKernel';
import { WasmHeap } from '../../../src/core/fast/wasmHeap';
import { installDistDir } from '../../../src/core/installDir';
import type { Sgemm } from '../../../src/core/fast/gemm';
import { Rng } from '../../../src/core/init';

let sgemm: Sgemm;
/** Two threads, every product split (threshold 0). */
let threaded: WasmKernel;

before(() => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../../src/core/fast/wasm/build.mjs')], { encoding: 'utf8' });
  const file = join(installDistDir(), WASM_KERNEL_FILE);
  assert.ok(existsSync(file), `the wasm kernel was not built: ${r.stdout}${r.stderr}`);
  const loaded = loadWasmGemm();
  assert.ok(loaded.sgemm, loaded.problem ?? '');
  sgemm = loaded.sgemm;
  threaded = instantiateWasmKernel(file, { threads: 2, splitThreshold: 0 });
  assert.equal(threaded.threads, 2, threaded.threadProblem ?? '');
});
after(() => threaded.close());

/** The threaded kernel's GEMM with A, B and C first moved into its memory (used in place there). */
const inPlace: Sgemm = (ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc) => {
  const h = threaded.heap;
  const put = (a: Float32Array): Float32Array => {
    const v = h.alloc(a.length);
    v.set(a);
    return v;
  };
  const a = put(A), b = put(B), c = put(C);
  threaded.sgemm(ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc);
  C.set(c);
  for (const v of [a, b, c]) h.free(v);
};

function check(ta: boolean, tb: boolean, M: number, N: number, K: number, beta: number, pad = 0, seed = 1, gemm: Sgemm = sgemm): void {
  const rng = new Rng(seed);
  const rows = (r: number, ld: number): Float32Array => Float32Array.from({ length: r * ld }, () => rng.uniform(-1, 1));
  const lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  const A = rows(ta ? K : M, lda), B = rows(tb ? N : K, ldb), C = rows(M, ldc);
  const want = new Float64Array(C.length);
  for (let i = 0; i < C.length; i++) want[i] = C[i];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      want[i * ldc + j] = s + (beta === 0 ? 0 : beta * C[i * ldc + j]);
    }
  const got = C.slice();
  gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, got, ldc);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < ldc; j++) {
      const k = i * ldc + j;
      if (j >= N) assert.equal(got[k], C[k], `padding of C changed at ${i},${j}`);
      else assert.ok(Math.abs(got[k] - want[k]) <= 1e-5 * Math.sqrt(K) * (1 + Math.abs(want[k])), `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${M}×${N}×${K} β=${beta}: C[${i},${j}] ${got[k]} vs ${want[k]}`);
    }
}

const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 2], [4, 8, 7], [5, 9, 3], [17, 23, 19], [32, 256, 64], [20, 40, 300], [1, 64, 256]];
for (const [M, N, K] of shapes) {
  test(`${M}×${N}×${K}: all transposes and betas agree with float64`, () => {
    for (const ta of [false, true]) for (const tb of [false, true]) for (const beta of [0, 1, 0.5]) check(ta, tb, M, N, K, beta);
  });
}

for (const [M, N, K] of shapes) {
  test(`${M}×${N}×${K} on two threads, operands in the kernel's memory: all transposes and betas agree with float64`, () => {
    const before = threaded.workerShares();
    for (const ta of [false, true]) for (const tb of [false, true]) for (const beta of [0, 1, 0.5]) check(ta, tb, M, N, K, beta, 0, 1, inPlace);
    // N > 8: the worker computed the columns from the split on.
    if (N > 8) assert.equal(threaded.workerShares() - before, 12, 'every product was split');
  });
}

test('two threads, copied operands and leading dimensions wider than the matrices', () => {
  for (const ta of [false, true]) for (const tb of [false, true]) check(ta, tb, 18, 21, 13, 1, 5, 3, threaded.sgemm);
  check(true, true, 64, 1024, 600, 0.5, 3, 9, threaded.sgemm); // grows the memory mid-run
});

test('the kernel memory\'s blocks: zeroed, disjoint, reused once freed, coalesced, recognised as its own', () => {
  let bytes = 1 << 16;
  const memory = { get buffer() { return this.sab; }, sab: new SharedArrayBuffer(bytes), grow(pages: number) {
    const old = new Uint8Array(this.sab);
    bytes += pages << 16;
    this.sab = new SharedArrayBuffer(bytes);
    new Uint8Array(this.sab).set(old);
    return old.length >> 16;
  } };
  const h = new WasmHeap(memory, 100);
  const a = h.alloc(10), b = h.alloc(3), c = h.alloc(20000); // c grows the memory
  assert.ok(h.owns(a) && h.owns(b) && h.owns(c) && !h.owns(new Float32Array(3)));
  assert.equal(a.byteOffset, 112, 'from the aligned heap base');
  assert.ok(a.byteOffset + 40 <= b.byteOffset && b.byteOffset + 12 <= c.byteOffset, 'disjoint');
  assert.ok([a, b, c].every((v) => v.every((x) => x === 0) && v.byteOffset % 16 === 0));
  a.fill(7);
  h.free(a);
  h.free(b);
  const d = h.alloc(12); // fits in a's and b's coalesced space
  assert.equal(d.byteOffset, 112);
  assert.ok(d.every((x) => x === 0), 'zeroed again');
  h.free(c);
  h.free(d);
  assert.equal(h.usedBytes(), 0);
  assert.equal(h.alloc(1).byteOffset, 112, 'everything given back');
});

test('leading dimensions wider than the matrices (views into larger buffers)', () => {
  for (const ta of [false, true]) for (const tb of [false, true]) check(ta, tb, 18, 21, 13, 1, 5, 3);
});

test('a second, larger call after a small one (memory growth) still agrees', () => {
  check(false, false, 2, 3, 4, 0);
  check(true, false, 64, 1024, 600, 0, 0, 9); // 64·600 + 600·1024 + 64·1024 floats: grows the memory
  check(false, false, 2, 3, 4, 1);
});

// The worker thread is unref'd: a process that used the kernel and never stopped its worker
// ends by itself when its work is done (no process.exit), like a trainer that finishes.
test('a process whose wasm worker thread is alive exits by itself when its work is done', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-exit-'));
  const script = join(dir, 'uses-kernel.ts');
  writeFileSync(script, `import { loadWasmKernel } from ${JSON.stringify(join(import.meta.dirname, '../../../src/core/fast/wasmKernel.ts'))};
const k = loadWasmKernel().kernel!;
const A = new Float32Array(32 * 256).fill(1), B = new Float32Array(256 * 512).fill(1), C = new Float32Array(32 * 512);
k.sgemm(false, false, 32, 512, 256, A, 256, B, 512, 0, C, 512);
console.log('threads', k.threads, 'worker shares', k.workerShares(), 'C', C[0]);
`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: join(import.meta.dirname, '../../..'), timeout: 60_000 });
  assert.equal(r.signal, null, `the process did not exit by itself:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /threads 2 worker shares 1 C 256/, 'the worker was alive and had computed its share');
});

test('a corrupted kernel file fails to instantiate with an error, not a crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-bad-'));
  const bad = join(dir, WASM_KERNEL_FILE);
  writeFileSync(bad, Buffer.from('\0asm\x01\0\0\0garbage'));
  assert.throws(() => instantiateWasmKernel(bad), /WebAssembly|section|magic|length|expected|unexpected/i);
});

test('a kernel built from older sources (no GRU steps) is refused whole, naming the missing export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-wasm-old-'));
  const old = join(dir, WASM_KERNEL_FILE);
  const src = join(import.meta.dirname, '../../../src/core/fast/wasm');
  // The two-thread module as it was before gru-step.c joined build.mjs's SOURCES.
  const r = spawnSync(process.env.WASM_CC || 'clang', ['--target=wasm32', '-O3', '-msimd128', '-matomics', '-mbulk-memory', '-mmutable-globals', '-nostdlib',
    '-Wl,--no-entry', '-Wl,--export=__heap_base', '-Wl,--export=__stack_pointer', '-Wl,--import-memory', '-Wl,--shared-memory', `-Wl,--max-memory=${2 ** 31}`,
    '-o', old, join(src, 'sgemm.c'), join(src, 'threads.c'), join(src, 'lstm-step.c')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `clang failed: ${r.error?.message ?? r.stderr}`);
  assert.throws(() => instantiateWasmKernel(old), /has no export gru_gates_step \(built from older sources/);
});
