// The unrolled forward pass of the op-by-op tfjs engine and its loss, with the identity hooks
// that hand ∂L/∂h_t and ∂L/∂c_t out of the backward pass, and the optional recording of states and gates.

import * as tf from '@tensorflow/tfjs';
import { cellStep, cellWeights } from './cellStep';
import type { EngineParts } from './engineParts';
import type { PassData } from './passData';

/** Instrumentation of one pass. */
export interface PassHooks {
  /** Layers whose h_t (and c_t) get an identity gradient hook. */
  layers: Set<number>;
  /** Receives ∂loss/∂h_t [B, H] of a hooked layer (inside the backward tidy: keep what you store). */
  onDh: (layer: number, t: number, dy: tf.Tensor2D) => void;
  onDc: (layer: number, t: number, dy: tf.Tensor2D) => void;
}

export interface PassOut {
  loss: tf.Scalar;
  finalH: tf.Tensor2D[];
  finalC: tf.Tensor2D[] | null;
  /** Per t: unmasked ℓ_{b,t} [B] where the step bears a loss (only when asked to keep them). */
  stepLoss: (tf.Tensor1D | null)[];
}

/** Tensors recorded per layer and name ('h', 'c', gates), one [B, H] per timestep. */
export type Recording = Map<number, Record<string, tf.Tensor2D[]>>;

/** Identity whose gradient function hands dy to `sink`: ∂loss/∂x for a node in the middle of the graph. */
function gradientHook(x: tf.Tensor2D, sink: (dy: tf.Tensor2D) => void): tf.Tensor2D {
  const op = tf.customGrad((v: tf.Tensor | tf.GradSaveFunc) => ({
    value: (v as tf.Tensor2D).clone(),
    gradFunc: (dy: tf.Tensor2D) => {
      sink(dy);
      return dy;
    },
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * Row lookup table[ids] [N, D] whose gradient avoids UnsortedSegmentSum where the backend lacks it
 * (wasm): there it is oneHot(ids)ᵀ·dy, a plain matMul.
 */
function lookupRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const rows = table.shape[0];
  const op = tf.customGrad((tbl: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.gather(tbl as tf.Tensor2D, ids) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D) => {
      if (tf.getKernel('UnsortedSegmentSum', tf.getBackend())) return tf.unsortedSegmentSum(dy, ids, rows);
      return tf.tidy(() => tf.matMul(tf.oneHot(ids, rows).toFloat(), dy, true, false));
    },
  }));
  return op(table) as tf.Tensor2D;
}

/**
 * The unrolled forward pass and the loss L = Σ_{b,t} mask·ℓ_{b,t} / Σ mask. Layer by layer:
 * the input projection of all timesteps of layer 0 is one matMul [T·B, in]·[in, G·H]; each step
 * then adds h_{t-1}·Wh (one fused matMul for all gates). The read-out and loss are computed per
 * loss-bearing timestep, never over a concatenation of all steps (its backward is O(T²) on wasm).
 */
export function unrollPass(e: EngineParts, d: PassData, hooks: PassHooks | null, record: Recording | null, keepStepLoss: boolean): PassOut {
  const { B, T } = d;
  const { H, G, spec } = e;
  const p = e.params;
  let below: tf.Tensor2D[] = [];
  const finalH: tf.Tensor2D[] = [];
  const finalC: tf.Tensor2D[] | null = e.hasC ? [] : null;
  for (let l = 0; l < spec.layers; l++) {
    const Wx = p[`layer${l}.Wx`] as tf.Variable<tf.Rank.R2>;
    const Wh = p[`layer${l}.Wh`] as tf.Variable<tf.Rank.R2>;
    const b = p[`layer${l}.b`] as tf.Variable<tf.Rank.R1>;
    // xp_t = x_t·Wx + b, [B, G·H] per t.
    let xp: tf.Tensor2D[];
    if (l === 0) {
      let proj: tf.Tensor2D;
      if (d.ids) {
        proj = spec.embeddingSize > 0
          ? tf.matMul(lookupRows(p.embedding as tf.Variable<tf.Rank.R2>, d.ids), Wx)
          : lookupRows(Wx, d.ids); // one-hot x·Wx is a row lookup
      } else {
        proj = tf.matMul(d.inputs!, Wx);
      }
      xp = tf.unstack(tf.reshape(tf.add(proj, b), [T, B, G * H])) as tf.Tensor2D[];
    } else {
      xp = below.map((h) => tf.add(tf.matMul(h, Wx), b));
    }
    const hooked = hooks?.layers.has(l) ?? false;
    const rec = record?.get(l) ?? null;
    const cellW = cellWeights(e, Wh);
    let h = d.h0[l];
    let c = d.c0 ? d.c0[l] : null;
    const hs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const hookC = hooked ? (x: tf.Tensor2D) => gradientHook(x, (dy) => hooks!.onDc(l, t, dy)) : null;
      const step = cellStep(e, xp[t], h, c, cellW, hookC);
      h = hooked ? gradientHook(step.h, (dy) => hooks!.onDh(l, t, dy)) : step.h;
      c = step.c;
      hs.push(h);
      if (rec) {
        (rec.h ??= []).push(tf.keep(h));
        if (c) (rec.c ??= []).push(tf.keep(c));
        for (const [name, v] of Object.entries(step.gates)) (rec[name] ??= []).push(tf.keep(v));
      }
    }
    finalH.push(h);
    if (finalC && c) finalC.push(c);
    below = hs;
  }
  // Read-out and loss, per loss-bearing step.
  const Wr = p['readout.W'] as tf.Variable<tf.Rank.R2>;
  const br = p['readout.b'] as tf.Variable<tf.Rank.R1>;
  const terms: tf.Scalar[] = [];
  const stepLoss: (tf.Tensor1D | null)[] = new Array<tf.Tensor1D | null>(T).fill(null);
  for (let t = 0; t < T; t++) {
    const target = d.targets[t];
    const mask = d.masks[t];
    if (!target || !mask) continue;
    const y = tf.add(tf.matMul(below[t], Wr), br);
    // ℓ_{b,t}: −log softmax(y)[target] for 'xent'; mean over outputs of (y − target)² for 'mse'.
    const ell = e.io.loss === 'xent'
      ? tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(y)), 1))
      : tf.mean(tf.square(tf.sub(y, target)), 1);
    if (keepStepLoss) stepLoss[t] = ell as tf.Tensor1D;
    terms.push(tf.sum(tf.mul(ell, mask)));
  }
  const loss: tf.Scalar = d.maskSum > 0 && terms.length
    ? tf.div(terms.length === 1 ? terms[0] : tf.addN(terms), d.maskSum)
    : tf.scalar(0);
  return { loss, finalH, finalC, stepLoss };
}
