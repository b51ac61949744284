// The WebAssembly SIMD GEMM against a float64 product: every transpose combination, beta 0 / 1 /
// other, leading dimensions wider than the matrix, tile edges (M mod 4, N mod 8), the packed
// path (M ≥ 16) and k-blocking (K > 256). Built from the current sources before the tests. A
// corrupted kernel, or one built from older sources, is refused with the reason.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiateWasmKernel, loadWasmGemm, WASM_KERNEL_FILE } from '../../../src/core/fast/wasmKernel';
import { installDistDir } from '../../../src/core/installDir';
import type { Sgemm } from '../../../src/core/fast/gemm';
import { Rng } from '../../../src/core/init';

let sgemm: Sgemm;

before(() => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../../src/core/fast/wasm/build.mjs')], { encoding: 'utf8' });
  const file = join(installDistDir(), WASM_KERNEL_FILE);
  assert.ok(existsSync(file), `the wasm kernel was not built: ${r.stdout}${r.stderr}`);
  const loaded = loadWasmGemm();
  assert.ok(loaded.sgemm, loaded.problem ?? '');
  sgemm = loaded.sgemm;
});

function check(ta: boolean, tb: boolean, M: number, N: number, K: number, beta: number, pad = 0, seed = 1): void {
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
  sgemm(ta, tb, M, N, K, A, lda, B, ldb, beta, got, ldc);
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

test('leading dimensions wider than the matrices (views into larger buffers)', () => {
  for (const ta of [false, true]) for (const tb of [false, true]) check(ta, tb, 18, 21, 13, 1, 5, 3);
});

test('a second, larger call after a small one (memory growth) still agrees', () => {
  check(false, false, 2, 3, 4, 0);
  check(true, false, 64, 1024, 600, 0, 0, 9); // 64·600 + 600·1024 + 64·1024 floats: grows the memory
  check(false, false, 2, 3, 4, 1);
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
  const r = spawnSync(process.env.WASM_CC || 'clang', ['--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-nostdlib', '-Wl,--no-entry', '-Wl,--export=__heap_base',
    '-o', old, join(src, 'sgemm.c'), join(src, 'lstm-step.c')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `clang failed: ${r.error?.message ?? r.stderr}`);
  assert.throws(() => instantiateWasmKernel(old), /has no export gru_gates_step \(built from older sources/);
});
