// The WebAssembly SIMD GEMM (dist/fused-sgemm.wasm, built from wasm/sgemm.c by
// wasm/build.mjs): the portable fast path every package carries. Operands are copied into the
// module's memory, multiplied there and C copied back; a copy costs a few percent of the
// product at the fused kernel's shapes, far less than the 5–8× the SIMD kernel gains over JS.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDistDir } from '../installDir';
import type { Sgemm } from './gemm';

/** File name of the kernel in dist/ (the build writes it, the package ships it). */
export const WASM_GEMM_FILE = 'fused-sgemm.wasm';

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  __heap_base: { value: number };
  sgemm(ta: number, tb: number, M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number,
    beta: number, C: number, ldc: number, scratch: number): void;
  sgemm_scratch_floats(tb: number, M: number, N: number, K: number): number;
}

/** Floats a row-major view of `rows` rows of `cols` used columns with leading dimension `ld` spans. */
const span = (rows: number, cols: number, ld: number): number => (rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0);
const align16 = (bytes: number): number => (bytes + 15) & ~15;

/** Instantiates the kernel from `file` (synchronous: the module is a few KB). */
export function instantiateWasmGemm(file: string): Sgemm {
  const mod = new WA.Module(readFileSync(file));
  const ex = new WA.Instance(mod, {}).exports as Exports;
  const mem = ex.memory;
  const base = align16(Number(ex.__heap_base.value));
  let f32 = new Float32Array(mem.buffer);
  const ensure = (bytes: number): void => {
    if (bytes <= mem.buffer.byteLength) return;
    mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    f32 = new Float32Array(mem.buffer); // growing detaches the old view
  };
  return (transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc) => {
    if (M <= 0 || N <= 0) return;
    const nA = transA ? span(K, M, lda) : span(M, K, lda);
    const nB = transB ? span(N, K, ldb) : span(K, N, ldb);
    const nC = span(M, N, ldc);
    const pA = base, pB = align16(pA + 4 * nA), pC = align16(pB + 4 * nB), pS = align16(pC + 4 * nC);
    ensure(pS + 4 * ex.sgemm_scratch_floats(transB ? 1 : 0, M, N, K));
    if (nA) f32.set(A.subarray(0, nA), pA >> 2);
    if (nB) f32.set(B.subarray(0, nB), pB >> 2);
    // C is read only when beta ≠ 0; the rows' gaps (ldc > N) round-trip unchanged.
    if (beta !== 0 || ldc !== N) f32.set(C.subarray(0, nC), pC >> 2);
    ex.sgemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, pA, lda, pB, ldb, beta, pC, ldc, pS);
    C.set(f32.subarray(pC >> 2, (pC >> 2) + nC));
  };
}

let cache: { sgemm: Sgemm | null; problem: string | null } | undefined;

/** The install folder's wasm kernel, or null with the reason (missing file, failed to instantiate). */
export function loadWasmGemm(): { sgemm: Sgemm | null; problem: string | null } {
  if (cache) return cache;
  const file = join(installDistDir(), WASM_GEMM_FILE);
  if (!existsSync(file)) cache = { sgemm: null, problem: `${file} is not built (npm run build needs clang and lld)` };
  else {
    try {
      cache = { sgemm: instantiateWasmGemm(file), problem: null };
    } catch (e) {
      cache = { sgemm: null, problem: `${file} failed to load: ${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 240)}` };
    }
  }
  return cache;
}
