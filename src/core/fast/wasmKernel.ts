// The WebAssembly SIMD kernel (dist/fused-kernel.wasm, built from wasm/sgemm.c, wasm/lstm-step.c
// and wasm/gru-step.c by wasm/build.mjs): the portable fast path every package carries — a GEMM
// and the LSTM's and the GRU's per-timestep elementwise maths. Operands are copied into the module's memory,
// computed there and the outputs copied back; a copy costs a few percent at the fused kernel's
// shapes, far less than what SIMD gains over JavaScript.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDistDir } from '../installDir';
import type { Sgemm } from './gemm';

/** File name of the kernel in dist/ (the build writes it, every package ships it). */
export const WASM_KERNEL_FILE = 'fused-kernel.wasm';

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
  lstm_forward_step(Z: number, cPrev: number, cOut: number, acOut: number, hOut: number, B: number, H: number, reluCell: number, reluCand: number): void;
  lstm_backward_step(Z: number, ac: number, cPrev: number, cCur: number, dHin: number, dhNext: number, dcNext: number,
    B: number, H: number, reluCell: number, reluCand: number): void;
  gru_gates_step(Z: number, hPrev: number, rh: number, B: number, H: number): void;
  gru_state_step(Z: number, hPrev: number, hOut: number, B: number, H: number): void;
  gru_backward_update(Z: number, hPrev: number, dHin: number, dhNext: number, B: number, H: number): void;
  gru_backward_reset(Z: number, hPrev: number, dRH: number, dhNext: number, B: number, H: number): void;
}

/** A [rows·width] slice of a Float32Array starting at `offset`. */
export interface Slice {
  a: Float32Array;
  o: number;
}

/** The LSTM's per-timestep elementwise maths for B rows of H units (see wasm/lstm-step.c). */
export interface LstmStep {
  /** Z: [B, 4H] pre-activations → gates in place; writes c, act(c), h ([B, H] each). */
  forward(Z: Slice, cPrev: Slice, cOut: Slice, acOut: Slice, hOut: Slice, B: number, H: number, reluCell: boolean, reluCand: boolean): void;
  /** Z: gates → ∂L/∂z in place; dcNext: ∂L/∂c_{t+1}·f_{t+1} in, ∂L/∂c_t·f_t out. */
  backward(Z: Slice, ac: Slice, cPrev: Slice, cCur: Slice, dHin: Slice, dhNext: Slice, dcNext: Slice, B: number, H: number, reluCell: boolean, reluCand: boolean): void;
}

/** The GRU's per-timestep elementwise maths for B rows of H units, Z [B, 3H] blocks z, r, n (see wasm/gru-step.c). */
export interface GruStep {
  /** z̄, r̄ → z, r in place; rh = r ⊙ h_{t-1} [B, H]. */
  gates(Z: Slice, hPrev: Slice, rh: Slice, B: number, H: number): void;
  /** n̄ → n in place; hOut = n + z ⊙ (h_{t-1} − n). */
  state(Z: Slice, hPrev: Slice, hOut: Slice, B: number, H: number): void;
  /** dh = dHin + dhNext; z, n blocks → ∂L/∂z̄, ∂L/∂n̄; dhNext ← dh ⊙ z. */
  backwardUpdate(Z: Slice, hPrev: Slice, dHin: Slice, dhNext: Slice, B: number, H: number): void;
  /** r block → ∂L/∂r̄ = dRH ⊙ h_{t-1} ⊙ r(1 − r); dhNext += dRH ⊙ r. */
  backwardReset(Z: Slice, hPrev: Slice, dRH: Slice, dhNext: Slice, B: number, H: number): void;
}

export interface WasmKernel {
  sgemm: Sgemm;
  lstmStep: LstmStep;
  gruStep: GruStep;
}

/** Floats a row-major view of `rows` rows of `cols` used columns with leading dimension `ld` spans. */
const span = (rows: number, cols: number, ld: number): number => (rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0);
const align16 = (bytes: number): number => (bytes + 15) & ~15;

/** Instantiates the kernel from `file` (synchronous: the module is a few KB). */
export function instantiateWasmKernel(file: string): WasmKernel {
  const mod = new WA.Module(readFileSync(file));
  const ex = new WA.Instance(mod, {}).exports as Exports;
  // A kernel built from older sources lacks later entry points: refuse it whole, with the name.
  for (const name of ['sgemm', 'lstm_forward_step', 'gru_gates_step', 'gru_backward_reset'] as const) {
    if (typeof ex[name] !== 'function') throw new Error(`${file} has no export ${name} (built from older sources: run npm run build)`);
  }
  const mem = ex.memory;
  const base = align16(Number(ex.__heap_base.value));
  let f32 = new Float32Array(mem.buffer);
  const ensure = (bytes: number): void => {
    if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (f32.buffer !== mem.buffer || f32.length * 4 !== mem.buffer.byteLength) f32 = new Float32Array(mem.buffer); // growing detaches the old view
  };

  const sgemm: Sgemm = (transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc) => {
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

  /** Lays out `n`-float blocks from `base`; copies the inputs in; returns their byte offsets. */
  const place = (sizes: number[], inputs: (Slice | null)[]): number[] => {
    const at: number[] = [];
    let p = base;
    for (const n of sizes) {
      at.push(p);
      p = align16(p + 4 * n);
    }
    ensure(p);
    inputs.forEach((s, k) => {
      if (s) f32.set(s.a.subarray(s.o, s.o + sizes[k]), at[k] >> 2);
    });
    return at;
  };
  const out = (s: Slice, at: number, n: number): void => s.a.set(f32.subarray(at >> 2, (at >> 2) + n), s.o);

  const lstmStep: LstmStep = {
    forward(Z, cPrev, cOut, acOut, hOut, B, H, reluCell, reluCand) {
      const bh = B * H, bg = 4 * bh;
      const [z, cp, c, ac, h] = place([bg, bh, bh, bh, bh], [Z, cPrev, null, null, null]);
      ex.lstm_forward_step(z, cp, c, ac, h, B, H, reluCell ? 1 : 0, reluCand ? 1 : 0);
      out(Z, z, bg);
      out(cOut, c, bh);
      out(acOut, ac, bh);
      out(hOut, h, bh);
    },
    backward(Z, ac, cPrev, cCur, dHin, dhNext, dcNext, B, H, reluCell, reluCand) {
      const bh = B * H, bg = 4 * bh;
      const at = place([bg, bh, bh, bh, bh, bh, bh], [Z, ac, cPrev, cCur, dHin, dhNext, dcNext]);
      ex.lstm_backward_step(at[0], at[1], at[2], at[3], at[4], at[5], at[6], B, H, reluCell ? 1 : 0, reluCand ? 1 : 0);
      out(Z, at[0], bg);
      out(dcNext, at[6], bh);
    },
  };
  const gruStep: GruStep = {
    gates(Z, hPrev, rh, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, o] = place([bg, bh, bh], [Z, hPrev, null]);
      ex.gru_gates_step(z, hp, o, B, H);
      out(Z, z, bg);
      out(rh, o, bh);
    },
    state(Z, hPrev, hOut, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, o] = place([bg, bh, bh], [Z, hPrev, null]);
      ex.gru_state_step(z, hp, o, B, H);
      out(Z, z, bg);
      out(hOut, o, bh);
    },
    backwardUpdate(Z, hPrev, dHin, dhNext, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, d, n] = place([bg, bh, bh, bh], [Z, hPrev, dHin, dhNext]);
      ex.gru_backward_update(z, hp, d, n, B, H);
      out(Z, z, bg);
      out(dhNext, n, bh);
    },
    backwardReset(Z, hPrev, dRH, dhNext, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, d, n] = place([bg, bh, bh, bh], [Z, hPrev, dRH, dhNext]);
      ex.gru_backward_reset(z, hp, d, n, B, H);
      out(Z, z, bg);
      out(dhNext, n, bh);
    },
  };
  return { sgemm, lstmStep, gruStep };
}

let cache: { kernel: WasmKernel | null; problem: string | null } | undefined;

/** The install folder's wasm kernel, or null with the reason (missing file, failed to instantiate). */
export function loadWasmKernel(): { kernel: WasmKernel | null; problem: string | null } {
  if (cache) return cache;
  const file = join(installDistDir(), WASM_KERNEL_FILE);
  if (!existsSync(file)) cache = { kernel: null, problem: `${file} is not built (npm run build needs clang and lld)` };
  else {
    try {
      cache = { kernel: instantiateWasmKernel(file), problem: null };
    } catch (e) {
      cache = { kernel: null, problem: `${file} failed to load: ${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 240)}` };
    }
  }
  return cache;
}

/** The wasm GEMM alone (loadWasmKernel().kernel.sgemm), for callers that need only it. */
export function loadWasmGemm(): { sgemm: Sgemm | null; problem: string | null } {
  const k = loadWasmKernel();
  return { sgemm: k.kernel?.sgemm ?? null, problem: k.problem };
}
