// How every view names where a run computes: the compute path when the trainer reported one
// ("GPU · llvmpipe (software) · OpenGL (WebGPU)", "CPU · fused LSTM · OpenBLAS"), else the backend
// name (runs saved before the compute path existed), and why faster paths were skipped.

import type { RunStatus } from './trace';

export function backendText(s: Pick<RunStatus, 'backend' | 'computePath'>): string | undefined {
  return s.computePath ?? s.backend;
}

/** "webgpu: no usable WebGPU adapter (…); tensorflow-gpu: not installed", or '' when nothing was skipped. */
export function skippedText(s: Pick<RunStatus, 'backendSkipped'>): string {
  return Object.entries(s.backendSkipped ?? {}).map(([k, v]) => `${k}: ${v}`).join('; ');
}
