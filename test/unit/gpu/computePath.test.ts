// The words every view shows for where a run computes: the compute path from the model's path,
// the status bar and Runs view using it, and the backend name for runs saved before it existed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePathLabel } from '../../../src/core/computePath';
import { backendText, skippedText } from '../../../src/protocol/backendText';
import { statusBarText } from '../../../src/extension/statusText';
import { runItem } from '../../../src/extension/sidebar/items';
import { resolveSpec } from '../../../src/core/spec';
import type { RunStatus } from '../../../src/protocol/trace';

test('computePathLabel names the engine, the device and the library that does the work', () => {
  assert.equal(computePathLabel('gpu:GPU · llvmpipe (software) · OpenGL (WebGPU)', 'wasm'), 'GPU · llvmpipe (software) · OpenGL (WebGPU)');
  assert.equal(computePathLabel('fused:native:libopenblas.so.0', 'wasm'), 'CPU · fused LSTM · libopenblas.so.0');
  assert.equal(computePathLabel('fused:js', 'cpu'), 'CPU · fused LSTM · JavaScript GEMM');
  assert.equal(computePathLabel('fused:wasm-simd', 'wasm', 'wasm SIMD (1 thread)', 'gru'), 'CPU · fused GRU · wasm SIMD (1 thread)');
  assert.equal(computePathLabel('fused:native:libopenblas.so.0', 'wasm', 'OpenBLAS libopenblas.so.0 + wasm SIMD gates', 'gru'), 'CPU · fused GRU · OpenBLAS libopenblas.so.0 + wasm SIMD gates');
  assert.equal(computePathLabel('fused:native:libopenblas.so.0', 'wasm', 'OpenBLAS libopenblas.so.0 + wasm SIMD gates', 'rnn'), 'CPU · fused RNN · OpenBLAS libopenblas.so.0');
  assert.equal(computePathLabel("op-by-op: the fused kernel covers the plain LSTM, the GRU and the vanilla RNN only (cell 'lstm-forget-only')", 'wasm'), 'CPU · op-by-op · wasm');
});

const status = (over: Partial<RunStatus>): RunStatus => ({
  id: 'r', name: 'run', state: 'running', step: 3, startedAt: 0, updatedAt: 0,
  spec: resolveSpec({ data: { kind: 'adding', length: 8 } }), ...over,
});

test('the status bar and the Runs view show the compute path and why faster paths were skipped', () => {
  const s = status({ backend: 'wasm', computePath: 'CPU · fused LSTM · libopenblas.so.0', backendSkipped: { webgpu: 'llvmpipe (software, not chosen automatically)' } });
  const bar = statusBarText(s, undefined);
  assert.match(bar.text, /· CPU · fused LSTM · libopenblas\.so\.0$/);
  assert.match(bar.tooltip, /backend CPU · fused LSTM · libopenblas\.so\.0 \(skipped webgpu: llvmpipe \(software, not chosen automatically\)\)/);
  const item = runItem(s);
  assert.match(item.tooltip as string, /backend: CPU · fused LSTM · libopenblas\.so\.0\nskipped: webgpu: llvmpipe/);
});

test('a run saved before the compute path existed still shows its backend', () => {
  assert.equal(backendText({ backend: 'wasm' }), 'wasm');
  assert.equal(backendText({}), undefined);
  assert.equal(skippedText({}), '');
});
