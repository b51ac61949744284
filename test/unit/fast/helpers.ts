// Shared fixtures for the fast-path tests: random specs, weights and batches of small shapes.

import type { ModelSpec } from '../../../src/protocol/spec';
import type { Batch, ModelIO } from '../../../src/core/types';
import type { RefWeights } from '../../../src/core/float64Reference';
import { Rng } from '../../../src/core/init';
import { fusedWeightsFrom, type FusedWeights } from '../../../src/core/fast/lstm-kernel';

export function lstmSpec(over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    cell: 'lstm', hiddenSize: 5, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
    cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh', ...over,
  };
}

/** Weights in the engine layout, uniform in ±scale so gates are away from saturation. */
export function randomWeights(spec: ModelSpec, io: ModelIO, seed: number, scale = 0.5): RefWeights {
  const rng = new Rng(seed);
  const H = spec.hiddenSize, G = (spec.cell === 'rnn' ? 1 : spec.cell === 'gru' ? 3 : 4) * H;
  const mk = (shape: number[]): { shape: number[]; data: Float32Array } => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let k = 0; k < n; k++) data[k] = rng.uniform(-scale, scale);
    return { shape, data };
  };
  const w: RefWeights = {};
  let inW = io.vocabSize > 0 ? (spec.embeddingSize > 0 ? spec.embeddingSize : io.vocabSize) : io.inputSize;
  if (io.vocabSize > 0 && spec.embeddingSize > 0) w.embedding = mk([io.vocabSize, spec.embeddingSize]);
  for (let l = 0; l < spec.layers; l++) {
    w[`layer${l}.Wx`] = mk([inW, G]);
    w[`layer${l}.Wh`] = mk([H, G]);
    w[`layer${l}.b`] = mk([G]);
    inW = H;
  }
  w['readout.W'] = mk([H, io.outputSize]);
  w['readout.b'] = mk([io.outputSize]);
  return w;
}

/** A token batch (next-token xent) or a numeric batch (mse) with some masked-out steps. */
export function randomBatch(io: ModelIO, B: number, T: number, seed: number): Batch {
  const rng = new Rng(seed);
  const mask = new Float32Array(B * T);
  for (let k = 0; k < B * T; k++) mask[k] = rng.next() < 0.8 ? 1 : 0;
  if (io.vocabSize > 0) {
    const tokens = new Int32Array(B * T);
    const targetTokens = new Int32Array(B * T);
    for (let k = 0; k < B * T; k++) {
      tokens[k] = Math.floor(rng.next() * io.vocabSize);
      targetTokens[k] = Math.floor(rng.next() * io.outputSize);
    }
    return { batchSize: B, steps: T, tokens, inputs: null, targetTokens, targets: null, mask };
  }
  const inputs = new Float32Array(B * T * io.inputSize);
  for (let k = 0; k < inputs.length; k++) inputs[k] = rng.uniform(-1, 1);
  const targets = new Float32Array(B * T * io.outputSize);
  for (let k = 0; k < targets.length; k++) targets[k] = rng.uniform(-1, 1);
  return { batchSize: B, steps: T, tokens: null, inputs, targetTokens: null, targets, mask };
}

/** Largest |a − b| relative to the largest |b| (so tiny entries do not dominate). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 1e-12;
  for (let k = 0; k < a.length; k++) {
    d = Math.max(d, Math.abs(a[k] - b[k]));
    m = Math.max(m, Math.abs(b[k]));
  }
  return d / m;
}

/** The fused kernels' flat weights (CPU and GPU take the same) from reference weights. */
export function fusedWeightsOf(weights: RefWeights, layers: number): FusedWeights {
  return fusedWeightsFrom((n) => weights[n]?.data as Float32Array | undefined, layers);
}

/** Per-timestep L2 norms of a [T, H] row-major matrix, computed independently of the engine. */
export function norms(m: ArrayLike<number>, T: number, H: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += m[t * H + j] ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}
