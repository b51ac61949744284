// The engine on the wasm backend (the default where tfjs-node is absent): every kernel its forward,
// backward and trace need must exist there (wasm has no UnsortedSegmentSum, which the embedding
// gradient would use), and the numbers must match the float64 reference.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { referenceForwardBackward } from '../../../src/core/float64Reference';
import type { ModelIO } from '../../../src/core/types';
import { makeBatch, makeSpec, relErr } from './helpers';

before(async () => {
  const require = createRequire(__filename);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(join(dist, '/'));
  assert.ok(await tf.setBackend('wasm'), 'wasm backend did not initialise');
  assert.equal(tf.getBackend(), 'wasm');
});

test('wasm: a 2-layer LSTM with an embedding trains a step with trace and matches the reference', () => {
  assert.equal(tf.getKernel('UnsortedSegmentSum', 'wasm'), undefined, 'the gather-gradient gap this test guards against');
  const spec = makeSpec('lstm', { hiddenSize: 4, layers: 2, embeddingSize: 3 });
  const io: ModelIO = { vocabSize: 6, inputSize: 0, outputSize: 6, loss: 'xent' };
  const model = createModel(spec, io, 3);
  const batch = makeBatch(io, 2, 5, 4);
  const before = tf.memory().numTensors;
  const r = model.forwardBackward(batch, null, { sample: 1, reachFrom: -1, jacobian: true });
  const ref = referenceForwardBackward(spec, io, model.exportWeights(), batch, { sample: 1, reachFrom: -1 });
  assert.ok(relErr([r.loss], [ref.loss]) < 1e-4);
  for (const [name, g] of Object.entries(r.grads)) assert.ok(relErr(g.dataSync(), ref.grads[name]) < 1e-4, name);
  for (let l = 0; l < 2; l++) {
    assert.ok(relErr(r.trace!.layers[l].dc!, ref.layers[l].dc!) < 1e-4);
    assert.ok(relErr(model.lastReach![l].reachH, ref.layers[l].reachH) < 1e-4);
  }
  tf.dispose(Object.values(r.grads));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
