// Forward equality with tfjs' own recurrent layers: tf.layers.lstm (recurrentActivation 'sigmoid',
// kernel blocks i, f, c, o) and tf.layers.gru (reset_after = false, blocks z, r, h), same weights;
// the op-by-op engine and the fused kernels that train the LSTM and the GRU, with each GEMM (and
// elementwise step) they can use, named in the test title.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { createFastModel } from '../../../src/core/fast/model';
import { defaultGemm, jsSgemm, loadNativeBlas, type GemmProvider } from '../../../src/core/fast/gemm';
import { loadWasmKernel } from '../../../src/core/fast/wasmKernel';
import type { ModelIO } from '../../../src/core/types';
import { makeBatch, makeSpec, relErr, useCpu } from './helpers';

before(useCpu);

const B = 3, T = 7, H = 4, I = 2;
const io: ModelIO = { vocabSize: 0, inputSize: I, outputSize: 1, loss: 'mse' };

/** Columns of a [rows, G·H] matrix (or a [G·H] vector) with blocks taken in `perm` order. */
function permuteBlocks(data: Float32Array, rows: number, G: number, perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < G; k++) {
      out.set(data.subarray(r * G * H + perm[k] * H, r * G * H + (perm[k] + 1) * H), r * G * H + k * H);
    }
  }
  return out;
}

/**
 * Runs a tfjs layer (with its own random init) over the batch inputs, copies its weights into our
 * model with the block permutation `toOurs`, and compares h_t of every sample and step.
 */
async function compare(layer: tf.layers.Layer, cell: 'lstm' | 'gru', toOurs: number[], gemm?: GemmProvider): Promise<number> {
  const batch = makeBatch(io, B, T, 11);
  const x = tf.tensor3d(batch.inputs!, [B, T, I]);
  const theirs = layer.apply(x) as tf.Tensor3D; // [B, T, H]
  const expected = theirs.dataSync();
  const [kernel, recurrent, bias] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
  const G = cell === 'lstm' ? 4 : 3;
  // With a GEMM: the fused kernel (the path training takes for the LSTM and the GRU); without: the op-by-op engine.
  const model = gemm ? createFastModel(makeSpec(cell, { hiddenSize: H }), io, 1, { gemm }) : createModel(makeSpec(cell, { hiddenSize: H }), io, 1);
  if (gemm) assert.equal((model as ReturnType<typeof createFastModel>).path, `fused:${gemm.name}`);
  const ours = model.exportWeights();
  ours['layer0.Wx'].data = permuteBlocks(kernel, I, G, toOurs);
  ours['layer0.Wh'].data = permuteBlocks(recurrent, H, G, toOurs);
  ours['layer0.b'].data = permuteBlocks(bias, 1, G, toOurs);
  model.importWeights(ours);
  let worst = 0;
  for (let s = 0; s < B; s++) {
    const r = model.forwardBackward(batch, null, { sample: s, reachFrom: -1, jacobian: false });
    tf.dispose(Object.values(r.grads));
    const h = r.trace!.layers[0].values.h;
    worst = Math.max(worst, relErr(h, expected.slice(s * T * H, (s + 1) * T * H)));
    // The carried final state is h_{T-1} of the sequence.
    worst = Math.max(worst, relErr(r.finalState.h[0].slice(s * H, (s + 1) * H), expected.slice((s * T + T - 1) * H, (s * T + T) * H)));
  }
  model.dispose();
  tf.dispose([x, theirs]);
  layer.dispose();
  return worst;
}

test('LSTM forward equals tf.layers.lstm (sigmoid recurrent activation) with copied weights', async () => {
  const layer = tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', activation: 'tanh', biasInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 3 }) });
  // ours f, i, g, o  ←  theirs i, f, c, o
  const worst = await compare(layer, 'lstm', [1, 0, 2, 3]);
  assert.ok(worst < 1e-5, `max relative difference ${worst}`);
});

const lstmLayer = (): tf.layers.Layer => tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', activation: 'tanh', biasInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 3 }) });
const gruLayer = (): tf.layers.Layer => tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', activation: 'tanh', biasInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 3 }) });
/** Every GEMM (and elementwise step) the fused kernels can run on here: JS, wasm SIMD, OpenBLAS when found, the default. */
const gemms: [string, GemmProvider][] = [['JS GEMM, JS steps', { name: 'js', sgemm: jsSgemm }]];
const wasm = loadWasmKernel().kernel;
if (wasm) gemms.push(['wasm SIMD GEMM and steps', { name: 'wasm-simd', sgemm: wasm.sgemm, lstmStep: wasm.lstmStep, gruStep: wasm.gruStep }]);
const nat = loadNativeBlas();
if (nat && /openblas/i.test(nat.library)) gemms.push([`OpenBLAS GEMM (${nat.library}), JS steps`, { name: `native:${nat.library}`, sgemm: defaultGemm().sgemm }]);
gemms.push([`default = ${defaultGemm().label}`, defaultGemm()]);
for (const [name, gemm] of gemms) {
  test(`LSTM forward of the fused kernel (${name}) equals tf.layers.lstm with copied weights`, async () => {
    const worst = await compare(lstmLayer(), 'lstm', [1, 0, 2, 3], gemm);
    assert.ok(worst < 1e-5, `max relative difference ${worst}`);
  });
  test(`GRU forward of the fused kernel (${name}) equals tf.layers.gru (reset_after = false) with copied weights`, async () => {
    const worst = await compare(gruLayer(), 'gru', [0, 1, 2], gemm);
    assert.ok(worst < 1e-5, `max relative difference ${worst}`);
  });
}

test('GRU forward of the op-by-op engine equals tf.layers.gru (reset_after = false) with copied weights', async () => {
  const worst = await compare(gruLayer(), 'gru', [0, 1, 2]);
  assert.ok(worst < 1e-5, `max relative difference ${worst}`);
});

test('a wrong gate order is caught: swapping f and i changes the LSTM output', async () => {
  const layer = tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', activation: 'tanh', biasInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 3 }) });
  const worst = await compare(layer, 'lstm', [0, 1, 2, 3]);
  assert.ok(worst > 1e-3, `identity permutation should not match, got ${worst}`);
});
