// The wasm kernel's worker thread (shipped as dist/fused-kernel-worker.cjs, started by
// wasmKernel.ts from the extension's own dist folder): instantiates the same module on the same
// shared memory, takes its own stack, and runs the module's worker_loop (threads.c) until the
// main thread asks it to quit. Plain CommonJS, no dependencies: it is copied, not bundled.
/* global require, WebAssembly */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose (copied as is)
const { workerData } = require('node:worker_threads');

const { wasmModule, memory, job, stackTop } = workerData;
try {
  const ex = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
  ex.__stack_pointer.value = stackTop; // the main thread's stack is its own
  ex.worker_loop(job);
} catch (e) {
  // The main thread waits on `ready` (job_t's third int): -1 says this worker will not run jobs.
  const ready = new Int32Array(memory.buffer, job + 8, 1);
  Atomics.store(ready, 0, -1);
  Atomics.notify(ready, 0);
  throw e;
}
