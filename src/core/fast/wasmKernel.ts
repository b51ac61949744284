// The WebAssembly SIMD kernel (dist/fused-kernel.wasm, built from wasm/*.c by wasm/build.mjs):
// the portable fast path every package carries — a GEMM and the LSTM's, the GRU's and the vanilla
// RNN's per-timestep elementwise maths. Its memory is a shared WebAssembly.Memory: a worker thread
// (dist/fused-kernel-worker.cjs, from the same folder) runs the same module on it and takes half
// of each large GEMM's columns (wasm/threads.c: Atomics wait/notify, no messages per call).
// Arrays that live in that memory (WasmHeap.alloc: the fused kernels' work buffers) are used in
// place; any other operand is copied in and the outputs copied back.

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { installDistDir } from '../installDir';
import type { Sgemm } from './gemm';
import { WasmHeap, type WasmMemory } from './wasmHeap';

/** File name of the kernel in dist/ (the build writes it, every package ships it). */
export const WASM_KERNEL_FILE = 'fused-kernel.wasm';
/** The worker thread's script, beside the kernel (the build copies it, every package ships it). */
export const WASM_WORKER_FILE = 'fused-kernel-worker.cjs';

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  __heap_base: { value: number };
  sgemm_mt(job: number, ta: number, tb: number, M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number,
    beta: number, C: number, ldc: number, scratch: number): void;
  sgemm_scratch_floats(tb: number, M: number, N: number, K: number): number;
  job_bytes(): number;
  job_quit(job: number): void;
  sgemm_set_split_threshold(work: number): void;
  lstm_forward_step(Z: number, cPrev: number, cOut: number, acOut: number, hOut: number, B: number, H: number, reluCell: number, reluCand: number): void;
  lstm_backward_step(Z: number, ac: number, cPrev: number, cCur: number, dHin: number, dhNext: number, dcNext: number,
    B: number, H: number, reluCell: number, reluCand: number): void;
  gru_gates_step(Z: number, hPrev: number, rh: number, B: number, H: number): void;
  gru_state_step(Z: number, hPrev: number, hOut: number, B: number, H: number): void;
  gru_backward_update(Z: number, hPrev: number, dHin: number, dhNext: number, B: number, H: number): void;
  gru_backward_reset(Z: number, hPrev: number, dRH: number, dhNext: number, B: number, H: number): void;
  rnn_forward_step(A: number, hOut: number, B: number, H: number, relu: number): void;
  rnn_backward_step(A: number, hCur: number, dHin: number, dhNext: number, B: number, H: number, relu: number): void;
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

/** The vanilla RNN's per-timestep elementwise maths for B rows of H units, [B, H] each (see wasm/rnn-step.c). */
export interface RnnStep {
  /** hOut = act(A): tanh, or relu when `relu`. */
  forward(A: Slice, hOut: Slice, B: number, H: number, relu: boolean): void;
  /** A (a_t) → ∂L/∂a_t = (dHin + dhNext) ⊙ act'(a_t) in place; hCur is h_t (tanh' = 1 − h_t²). */
  backward(A: Slice, hCur: Slice, dHin: Slice, dhNext: Slice, B: number, H: number, relu: boolean): void;
}

export interface WasmKernel {
  sgemm: Sgemm;
  lstmStep: LstmStep;
  gruStep: GruStep;
  rnnStep: RnnStep;
  /** Blocks of the kernel's memory, used in place by sgemm and the steps. */
  heap: WasmHeap;
  /** Threads the GEMM runs on: 2 with the worker running, else 1. */
  threads: number;
  /** Why the GEMM runs on one thread only (worker not started, or failed and why), or null. */
  threadProblem: string | null;
  /** GEMM shares the worker thread has computed so far (0 on one thread). */
  workerShares(): number;
  /** Stops the worker thread (the kernel goes on on one thread). */
  close(): void;
}

export interface WasmKernelOptions {
  /** 1 or 2 (default: 2 when the machine has two cores or more and RNN_DEBUGGER_WASM_THREADS is not 1). */
  threads?: number;
  /**
   * Products of fewer multiply-adds (M·N·K) than this stay on one thread (default 65536: below
   * it waking the worker costs more than it saves); 0 splits every product (tests).
   */
  splitThreshold?: number;
}

/** Floats a row-major view of `rows` rows of `cols` used columns with leading dimension `ld` spans. */
const span = (rows: number, cols: number, ld: number): number => (rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0);
const align16 = (bytes: number): number => (bytes + 15) & ~15;

/** Byte offsets of job_t's `ready` and `jobs` (wasm/threads.h). */
const JOB_READY = 8, JOB_JOBS = 20;
/** How long loading waits for the worker's loop to start before going on with one thread. */
const WORKER_START_MS = 5_000;
const WORKER_STACK_BYTES = 64 * 1024;

/** Threads by default: two where there are two cores (main + 1 worker), unless the environment asks for one. */
export function defaultWasmThreads(): number {
  if (process.env.RNN_DEBUGGER_WASM_THREADS === '1') return 1;
  return availableParallelism() >= 2 ? 2 : 1;
}

/** Instantiates the kernel from `file` (synchronous: the module is a few KB; a worker takes tens of ms to start). */
export function instantiateWasmKernel(file: string, options: WasmKernelOptions = {}): WasmKernel {
  const mod = new WA.Module(readFileSync(file));
  const memory = new WA.Memory({ initial: 16, maximum: 32768, shared: true });
  const ex = new WA.Instance(mod, { env: { memory } }).exports as Exports;
  // A kernel built from older sources lacks later entry points: refuse it whole, with the name.
  for (const name of ['sgemm_mt', 'job_bytes', 'lstm_forward_step', 'gru_gates_step', 'gru_backward_reset', 'rnn_forward_step', 'rnn_backward_step'] as const) {
    if (typeof ex[name] !== 'function') throw new Error(`${file} has no export ${name} (built from older sources: run npm run build)`);
  }
  const heap = new WasmHeap(memory, Number(ex.__heap_base.value));
  const job = heap.reserve(Math.ceil(ex.job_bytes() / 4)).byteOffset;
  if (options.splitThreshold !== undefined) ex.sgemm_set_split_threshold(options.splitThreshold);

  // Operands not in the heap are copied into one staging block, grown as needed.
  let staging = heap.alloc(0);
  const stage = (floats: number): number => {
    if (staging.length < floats) {
      heap.free(staging);
      staging = heap.alloc(Math.ceil(floats * 1.25));
      if (!heap.owns(staging)) throw new Error(`the wasm kernel's memory cannot hold ${floats} more floats`);
    }
    return staging.byteOffset;
  };
  let f32 = new Float32Array(heap.buffer());
  const view = (): Float32Array => {
    const b = heap.buffer();
    if (f32.buffer !== b) f32 = new Float32Array(b);
    return f32;
  };

  const threadInfo = startWorker(mod, memory, heap, job, join(dirname(file), WASM_WORKER_FILE), options.threads ?? defaultWasmThreads());

  const sgemm: Sgemm = (transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc) => {
    if (M <= 0 || N <= 0) return;
    const nA = transA ? span(K, M, lda) : span(M, K, lda);
    const nB = transB ? span(N, K, ldb) : span(K, N, ldb);
    const nC = span(M, N, ldc);
    const inA = heap.owns(A), inB = heap.owns(B), inC = heap.owns(C);
    const sA = inA ? 0 : align16(4 * nA), sB = inB ? 0 : align16(4 * nB), sC = inC ? 0 : align16(4 * nC);
    const base = stage((sA + sB + sC) / 4 + ex.sgemm_scratch_floats(transB ? 1 : 0, M, N, K));
    const pA = inA ? A.byteOffset : base, pB = inB ? B.byteOffset : base + sA, pC = inC ? C.byteOffset : base + sA + sB;
    const m = view();
    if (!inA && nA) m.set(A.subarray(0, nA), pA >> 2);
    if (!inB && nB) m.set(B.subarray(0, nB), pB >> 2);
    // C is read only when beta ≠ 0; the rows' gaps (ldc > N) round-trip unchanged.
    if (!inC && (beta !== 0 || ldc !== N)) m.set(C.subarray(0, nC), pC >> 2);
    ex.sgemm_mt(job, transA ? 1 : 0, transB ? 1 : 0, M, N, K, pA, lda, pB, ldb, beta, pC, ldc, base + sA + sB + sC);
    if (!inC) C.set(view().subarray(pC >> 2, (pC >> 2) + nC));
  };

  /** Byte offsets of `n`-float slices: in place when in the heap, else staged (and copied in when `input`). */
  const place = (slices: Slice[], sizes: number[], inputs: boolean[]): number[] => {
    let need = 0;
    for (let k = 0; k < slices.length; k++) if (!heap.owns(slices[k].a)) need += align16(4 * sizes[k]);
    let p = need ? stage(need / 4) : 0;
    const m = view();
    return slices.map((s, k) => {
      if (heap.owns(s.a)) return s.a.byteOffset + 4 * s.o;
      const at = p;
      p += align16(4 * sizes[k]);
      if (inputs[k]) m.set(s.a.subarray(s.o, s.o + sizes[k]), at >> 2);
      return at;
    });
  };
  const out = (s: Slice, at: number, n: number): void => {
    if (!heap.owns(s.a)) s.a.set(view().subarray(at >> 2, (at >> 2) + n), s.o);
  };

  const lstmStep: LstmStep = {
    forward(Z, cPrev, cOut, acOut, hOut, B, H, reluCell, reluCand) {
      const bh = B * H, bg = 4 * bh;
      const [z, cp, c, ac, h] = place([Z, cPrev, cOut, acOut, hOut], [bg, bh, bh, bh, bh], [true, true, false, false, false]);
      ex.lstm_forward_step(z, cp, c, ac, h, B, H, reluCell ? 1 : 0, reluCand ? 1 : 0);
      out(Z, z, bg);
      out(cOut, c, bh);
      out(acOut, ac, bh);
      out(hOut, h, bh);
    },
    backward(Z, ac, cPrev, cCur, dHin, dhNext, dcNext, B, H, reluCell, reluCand) {
      const bh = B * H, bg = 4 * bh;
      const at = place([Z, ac, cPrev, cCur, dHin, dhNext, dcNext], [bg, bh, bh, bh, bh, bh, bh], [true, true, true, true, true, true, true]);
      ex.lstm_backward_step(at[0], at[1], at[2], at[3], at[4], at[5], at[6], B, H, reluCell ? 1 : 0, reluCand ? 1 : 0);
      out(Z, at[0], bg);
      out(dcNext, at[6], bh);
    },
  };
  const gruStep: GruStep = {
    gates(Z, hPrev, rh, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, o] = place([Z, hPrev, rh], [bg, bh, bh], [true, true, false]);
      ex.gru_gates_step(z, hp, o, B, H);
      out(Z, z, bg);
      out(rh, o, bh);
    },
    state(Z, hPrev, hOut, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, o] = place([Z, hPrev, hOut], [bg, bh, bh], [true, true, false]);
      ex.gru_state_step(z, hp, o, B, H);
      out(Z, z, bg);
      out(hOut, o, bh);
    },
    backwardUpdate(Z, hPrev, dHin, dhNext, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, d, n] = place([Z, hPrev, dHin, dhNext], [bg, bh, bh, bh], [true, true, true, true]);
      ex.gru_backward_update(z, hp, d, n, B, H);
      out(Z, z, bg);
      out(dhNext, n, bh);
    },
    backwardReset(Z, hPrev, dRH, dhNext, B, H) {
      const bh = B * H, bg = 3 * bh;
      const [z, hp, d, n] = place([Z, hPrev, dRH, dhNext], [bg, bh, bh, bh], [true, true, true, true]);
      ex.gru_backward_reset(z, hp, d, n, B, H);
      out(Z, z, bg);
      out(dhNext, n, bh);
    },
  };

  const rnnStep: RnnStep = {
    forward(A, hOut, B, H, relu) {
      const bh = B * H;
      const [a, h] = place([A, hOut], [bh, bh], [true, false]);
      ex.rnn_forward_step(a, h, B, H, relu ? 1 : 0);
      out(hOut, h, bh);
    },
    backward(A, hCur, dHin, dhNext, B, H, relu) {
      const bh = B * H;
      const [a, h, d, n] = place([A, hCur, dHin, dhNext], [bh, bh, bh, bh], [true, true, true, true]);
      ex.rnn_backward_step(a, h, d, n, B, H, relu ? 1 : 0);
      out(A, a, bh);
    },
  };

  const close = (): void => {
    if (!threadInfo.worker) return;
    ex.job_quit(job);
    void threadInfo.worker.terminate();
    threadInfo.worker = null;
    kernel.threads = 1;
    kernel.threadProblem = 'the worker thread was stopped';
  };
  const workerShares = (): number => Atomics.load(new Int32Array(heap.buffer(), job + JOB_JOBS, 1), 0);
  const kernel: WasmKernel = { sgemm, lstmStep, gruStep, rnnStep, heap, threads: threadInfo.worker ? 2 : 1, threadProblem: threadInfo.problem, workerShares, close };
  return kernel;
}

/**
 * Starts the worker thread on the shared memory and waits (blocking, up to WORKER_START_MS) until
 * its loop runs. Unref'd: it never keeps a process alive, and ends with it.
 */
function startWorker(mod: object, memory: WasmMemory, heap: WasmHeap, job: number, script: string, threads: number):
  { worker: Worker | null; problem: string | null } {
  if (threads < 2) return { worker: null, problem: process.env.RNN_DEBUGGER_WASM_THREADS === '1' ? 'RNN_DEBUGGER_WASM_THREADS=1' : 'one thread asked for or one core' };
  if (!existsSync(script)) return { worker: null, problem: `${script} is not in this package` };
  const stack = heap.reserve(WORKER_STACK_BYTES / 4);
  if (!heap.owns(stack)) return { worker: null, problem: 'no memory left for the worker thread' };
  let worker: Worker;
  let error = '';
  try {
    worker = new Worker(script, { workerData: { wasmModule: mod, memory, job, stackTop: stack.byteOffset + stack.byteLength } });
  } catch (e) {
    return { worker: null, problem: `the worker thread did not start: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
  }
  worker.on('error', (e) => {
    error = String((e as Error)?.message ?? e).split('\n')[0];
  });
  worker.unref();
  const ready = new Int32Array(heap.buffer(), job + JOB_READY, 1);
  const t0 = Date.now();
  while (Atomics.load(ready, 0) === 0 && Date.now() - t0 < WORKER_START_MS) Atomics.wait(ready, 0, 0, 50);
  if (Atomics.load(ready, 0) === 1) return { worker, problem: null };
  void worker.terminate();
  return { worker: null, problem: `the worker thread did not start${error ? `: ${error}` : ` within ${WORKER_START_MS / 1000} s`}` };
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
