// Backend selection on this machine: the native packages are absent (a normal case), so 'auto'
// lands on wasm and says why the others were skipped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { defaultWasmDir, selectBackend } from '../../../src/core/backend';

const wasmDir = defaultWasmDir();
const nativeInstalled = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

test('auto picks wasm here, with tensorflow and tensorflow-gpu skipped as not installed', { skip: nativeInstalled && 'tfjs-node is installed on this machine' }, async () => {
  const c = await selectBackend('auto', { wasmDir });
  assert.equal(c.backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(c.skipped, { 'tensorflow-gpu': 'not installed', tensorflow: 'not installed' });
  assert.equal(c.versions['tfjs-backend-wasm'], '4.22.0');
  assert.ok(c.versions.tfjs);
  // wasm really computes.
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
  assert.equal(y, 11);
});

test("'cpu' gives cpu; an explicit backend that cannot load is an error naming why", async () => {
  const c = await selectBackend('cpu', { wasmDir });
  assert.equal(c.backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(c.skipped, {});
  if (!nativeInstalled) await assert.rejects(selectBackend('tensorflow', { wasmDir }), /backend 'tensorflow' is not available: not installed/);
});
