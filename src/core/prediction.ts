// The model's read-out for a traced sample, y_t = h_t·W + b, from the recorded top-layer h_t and
// the read-out weights of the same pass, beside the sample's targets and scored steps. Computed
// once here for every engine (op-by-op tfjs, fused CPU kernels, WebGPU): each records h_t of the
// top layer, and the read-out is a small [T, H]·[H, O] product in float64.

import type { TracePrediction, TraceSnapshot } from '../protocol/trace';
import type { Batch, ModelIO } from './types';

/** The read-out weights: W [H, O] row-major, b [O]. */
export interface Readout {
  W: ArrayLike<number>;
  b: ArrayLike<number>;
}

/**
 * The prediction of the traced `sample` of `batch` from `snap`'s top-layer h ([T, H]; `topLayer`
 * is the model's last layer index). Undefined when that layer was not recorded (trace.layers
 * leaves it out). mse: y_t itself; xent: softmax(y_t) at the target, and the top-1 token.
 */
export function tracePrediction(snap: TraceSnapshot, readout: Readout, io: ModelIO, batch: Batch, sample: number, topLayer: number): TracePrediction | undefined {
  const top = snap.layers.find((l) => l.layer === topLayer);
  const h = top?.values.h;
  if (!top || !h) return undefined;
  const T = snap.steps, H = top.units, O = io.outputSize;
  if (readout.W.length !== H * O || readout.b.length !== O) throw new Error(`read-out weights are not [${H}, ${O}] and [${O}]`);
  const mask = Float32Array.from({ length: T }, (_, t) => batch.mask[sample * T + t]);
  const y = new Float64Array(O);
  /** y_t = h_t·W + b, in float64. */
  const readAt = (t: number): Float64Array => {
    for (let o = 0; o < O; o++) y[o] = readout.b[o];
    for (let i = 0; i < H; i++) {
      const hi = h[t * H + i];
      for (let o = 0; o < O; o++) y[o] += hi * readout.W[i * O + o];
    }
    return y;
  };
  if (io.loss === 'mse') {
    if (!batch.targets) throw new Error("'mse' prediction needs batch.targets");
    const predicted = new Float32Array(T * O);
    for (let t = 0; t < T; t++) predicted.set(readAt(t), t * O);
    const target = batch.targets.slice(sample * T * O, (sample + 1) * T * O);
    return { kind: 'values', outputs: O, predicted, target, mask };
  }
  if (!batch.targetTokens) throw new Error("'xent' prediction needs batch.targetTokens");
  const target = batch.targetTokens.slice(sample * T, (sample + 1) * T);
  const targetProb = new Float32Array(T), topProb = new Float32Array(T);
  const topToken = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    readAt(t);
    // softmax(y)_k = exp(y_k − lse(y)); the top-1 is the largest logit.
    let m = -Infinity, best = 0;
    for (let o = 0; o < O; o++) if (y[o] > m) { m = y[o]; best = o; }
    let s = 0;
    for (let o = 0; o < O; o++) s += Math.exp(y[o] - m);
    const lse = m + Math.log(s);
    targetProb[t] = Math.exp(y[target[t]] - lse);
    topToken[t] = best;
    topProb[t] = Math.exp(m - lse);
  }
  return { kind: 'tokens', target, targetProb, top: topToken, topProb, mask };
}
