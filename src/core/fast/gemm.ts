// Row-major single-precision GEMM for the fused recurrent kernel: the system BLAS through the
// optional native bridge (dist/fastblas.node of the install folder only, OpenBLAS when installed),
// the WebAssembly SIMD kernel (wasmKernel.ts) or a JavaScript fallback.
// C[M,N] = op(A)·op(B) + beta·C, every matrix a Float32Array view with a leading dimension.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installDistDir, nativeAllowed } from '../installDir';
import { loadWasmKernel, type GruStep, type LstmStep, type RnnStep, type WasmKernel } from './wasmKernel';
import type { WasmHeap } from './wasmHeap';

/** C = op(A)·op(B) + beta·C; op transposes when the flag is set (row-major, like cblas). */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  beta: number,
  C: Float32Array,
  ldc: number,
) => void;

export interface GemmProvider {
  /** 'native:<library>', 'wasm-simd' or 'js'. */
  name: string;
  sgemm: Sgemm;
  /** For people: e.g. "wasm SIMD (2 threads)", "OpenBLAS libopenblas.so.0", "JavaScript (1 thread)". */
  label?: string;
  /** Why each faster GEMM was not used (file and reason), for the Output channel. */
  skipped?: string[];
  /** The LSTM's per-timestep elementwise maths in wasm SIMD, when the kernel loaded (any GEMM). */
  lstmStep?: LstmStep;
  /** The GRU's per-timestep elementwise maths in wasm SIMD, when the kernel loaded (any GEMM). */
  gruStep?: GruStep;
  /** The vanilla RNN's per-timestep elementwise maths in wasm SIMD, when the kernel loaded (any GEMM). */
  rnnStep?: RnnStep;
  /** The wasm kernel's memory, for work buffers its GEMM and steps use in place (wasm GEMM only). */
  heap?: WasmHeap;
}

/** The wasm kernel as a GEMM provider: its GEMM on the threads it runs, its gate maths and its memory. */
export function wasmGemm(kernel: WasmKernel, skipped: string[] = []): GemmProvider {
  const threads = kernel.threads === 1 ? '1 thread' : `${kernel.threads} threads`;
  return {
    name: 'wasm-simd',
    label: `wasm SIMD (${threads})`,
    skipped: kernel.threadProblem ? [...skipped, `wasm threads: one thread (${kernel.threadProblem})`] : skipped,
    sgemm: kernel.sgemm,
    lstmStep: kernel.lstmStep,
    gruStep: kernel.gruStep,
    rnnStep: kernel.rnnStep,
    heap: kernel.heap,
  };
}

interface NativeBlas {
  available: boolean;
  library: string;
  sgemm(
    ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
  ): void;
}

/**
 * JavaScript GEMM: four rows of C at a time so each row of B is read once per four output rows
 * (≈2–3 GFLOP/s here); the transposed forms are handled by loop order, no copies.
 */
export const jsSgemm: Sgemm = (transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc) => {
  for (let i = 0; i < M; i++) {
    const ci = i * ldc;
    if (beta === 0) C.fill(0, ci, ci + N);
    else if (beta !== 1) for (let j = 0; j < N; j++) C[ci + j] *= beta;
  }
  if (transB) {
    // C[i,j] += Σ_k A[i,k]·B[j,k]: dot products over contiguous rows of op(A) and B.
    for (let i = 0; i < M; i++) {
      const ci = i * ldc;
      for (let j = 0; j < N; j++) {
        const bj = j * ldb;
        let s = 0;
        if (transA) for (let k = 0; k < K; k++) s += A[k * lda + i] * B[bj + k];
        else {
          const ai = i * lda;
          for (let k = 0; k < K; k++) s += A[ai + k] * B[bj + k];
        }
        C[ci + j] += s;
      }
    }
    return;
  }
  if (transA) {
    // C[i,:] += A[k,i]·B[k,:] with k outermost: A and B are both read row by row.
    for (let k = 0; k < K; k++) {
      const ak = k * lda;
      const bk = k * ldb;
      for (let i = 0; i < M; i++) {
        const a = A[ak + i];
        if (a === 0) continue; // one-hot and masked rows are mostly zeros
        const ci = i * ldc;
        for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
      }
    }
    return;
  }
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const c0 = i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    const a0 = i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (let k = 0; k < K; k++) {
      const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
      const bk = k * ldb;
      for (let j = 0; j < N; j++) {
        const b = B[bk + j];
        C[c0 + j] += x0 * b;
        C[c1 + j] += x1 * b;
        C[c2 + j] += x2 * b;
        C[c3 + j] += x3 * b;
      }
    }
  }
  for (; i < M; i++) {
    const ci = i * ldc, ai = i * lda;
    for (let k = 0; k < K; k++) {
      const x = A[ai + k];
      const bk = k * ldb;
      for (let j = 0; j < N; j++) C[ci + j] += x * B[bk + j];
    }
  }
};

let nativeCache: NativeBlas | null | undefined;
/** Why the native bridge is not in use (missing, refused, failed to load and why), or null. */
let nativeProblem: string | null = null;

/** The one file the native bridge may come from: fastblas.node in the extension's own dist/. */
export function nativeBlasPath(): string {
  return join(installDistDir(), 'fastblas.node');
}

/**
 * The native BLAS bridge if it is built, allowed and found a BLAS, else null (nativeBlasProblem()
 * says why). Only the install folder's dist/fastblas.node is considered.
 */
export function loadNativeBlas(): NativeBlas | null {
  if (nativeCache !== undefined) return nativeCache;
  nativeCache = null;
  if (!nativeAllowed()) {
    nativeProblem = 'native code is disabled in this process (untrusted workspace or RNN_DEBUGGER_NATIVE=off)';
    return null;
  }
  const file = nativeBlasPath();
  if (!existsSync(file)) {
    nativeProblem = `${file} is not in this package`;
    return null;
  }
  try {
    const mod = { exports: {} as NativeBlas };
    process.dlopen(mod, file);
    if (mod.exports.available) nativeCache = mod.exports;
    else nativeProblem = `${file} loaded but found no system BLAS (libopenblas / libblas.so.3)`;
  } catch (e) {
    // Wrong platform, glibc or Node ABI, a truncated or corrupted file: fall back, say which file and why.
    nativeProblem = `${file} failed to load: ${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 240)}`;
  }
  return nativeCache;
}

/** Why the native BLAS bridge is not used (after loadNativeBlas()), or null when it is. */
export function nativeBlasProblem(): string | null {
  loadNativeBlas();
  return nativeCache ? null : nativeProblem;
}

/** The JavaScript GEMM as a provider. */
export const jsGemm: GemmProvider = { name: 'js', sgemm: jsSgemm, label: 'JavaScript (1 thread)' };

/**
 * The fastest GEMM available in this process: native OpenBLAS (only the install folder's
 * fastblas.node) > WebAssembly SIMD (the install folder's fused-kernel.wasm) > JavaScript. A
 * bridge that found only a generic libblas.so.3 (often the slow reference BLAS, ≈4 GFLOP/s) is
 * passed over for the wasm kernel (20–45 GFLOP/s on one core, its two threads more).
 */
export function defaultGemm(): GemmProvider {
  const skipped: string[] = [];
  const wasm = loadWasmKernel();
  const lstmStep = wasm.kernel?.lstmStep;
  const nat = loadNativeBlas();
  if (nat && /openblas/i.test(nat.library)) {
    const f = nat.sgemm;
    return {
      name: `native:${nat.library}`,
      label: `OpenBLAS ${nat.library}${lstmStep ? ' + wasm SIMD gates' : ''}`,
      skipped: lstmStep ? skipped : [`wasm SIMD gates: ${wasm.problem}`],
      ...(lstmStep ? { lstmStep, gruStep: wasm.kernel!.gruStep, rnnStep: wasm.kernel!.rnnStep } : {}),
      sgemm: (ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc) => f(ta, tb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc),
    };
  }
  skipped.push(`native BLAS: ${nat ? `found only ${nat.library}, not OpenBLAS` : nativeBlasProblem()}`);
  if (wasm.kernel) return wasmGemm(wasm.kernel, skipped);
  skipped.push(`wasm SIMD: ${wasm.problem}`);
  return { ...jsGemm, skipped };
}
