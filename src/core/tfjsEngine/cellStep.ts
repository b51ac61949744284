// One step of each recurrent cell of the op-by-op tfjs engine, in the lecture's notation: LSTM
// (and its variants), GRU and vanilla RNN, every gate returned after its non-linearity.

import * as tf from '@tensorflow/tfjs';
import type { Activation, CellKind } from '../../protocol/spec';
import type { EngineParts } from './engineParts';

/** The recurrent weights as the cell needs them (the GRU splits Wh into its [z r] and n parts). */
export interface CellWeights {
  Wh: tf.Tensor2D;
  WhZR: tf.Tensor2D | null;
  WhN: tf.Tensor2D | null;
}

/** act(x) for a tanh or relu activation. */
export function activate(kind: Activation, x: tf.Tensor2D): tf.Tensor2D {
  return kind === 'tanh' ? tf.tanh(x) : tf.relu(x);
}

/** Splits Wh for the cell: the GRU's [z r] and n parts are multiplied separately. */
export function cellWeights(e: EngineParts, Wh: tf.Tensor2D): CellWeights {
  if (e.spec.cell !== 'gru') return { Wh, WhZR: null, WhN: null };
  const H = e.H;
  return { Wh, WhZR: tf.slice(Wh, [0, 0], [H, 2 * H]), WhN: tf.slice(Wh, [0, 2 * H], [H, H]) };
}

/**
 * One step of the cell, in the lecture's notation. `xp` = x_t·Wx + b [B, G·H], `h`, `c` the
 * previous state [B, H]. Returns the new state and every gate after its non-linearity.
 */
export function cellStep(
  e: EngineParts,
  xp: tf.Tensor2D,
  hPrev: tf.Tensor2D,
  cPrev: tf.Tensor2D | null,
  w: CellWeights,
  hookC: ((c: tf.Tensor2D) => tf.Tensor2D) | null,
): { h: tf.Tensor2D; c: tf.Tensor2D | null; gates: Record<string, tf.Tensor2D> } {
  const { spec, H, G } = e;
  const cell: CellKind = spec.cell;
  if (cell === 'rnn') {
    const a: tf.Tensor2D = tf.add(xp, tf.matMul(hPrev, w.Wh)); // a_t = x_t Wx + h_{t-1} Wh + b
    return { h: activate(spec.rnnActivation, a), c: null, gates: { a } };
  }
  if (cell === 'gru') {
    // Keras/tfjs reset_after = false: n uses (r ⊙ h_{t-1})·Wh_n; the candidate is tanh.
    const [xzr, xn] = tf.split(xp, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const zr = tf.sigmoid(tf.add<tf.Tensor2D>(xzr, tf.matMul(hPrev, w.WhZR!)));
    const [z, r] = tf.split(zr, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const n = tf.tanh(tf.add<tf.Tensor2D>(xn, tf.matMul(tf.mul<tf.Tensor2D>(r, hPrev), w.WhN!)));
    const h = tf.add<tf.Tensor2D>(n, tf.mul(z, tf.sub(hPrev, n))); // h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
    return { h, c: null, gates: { z, r, n } };
  }
  // LSTM family: pre = x·Wx + h_{t-1}·Wh + b, split into the blocks of GATE_ORDER[cell].
  const pre = tf.add<tf.Tensor2D>(xp, tf.matMul(hPrev, w.Wh));
  const blocks = tf.split(pre, G, 1) as tf.Tensor2D[];
  const blk = (name: string): tf.Tensor2D | null => {
    const k = e.gates.indexOf(name);
    return k < 0 ? null : blocks[k];
  };
  const f = tf.sigmoid(blk('f')!); // forget gate f_t = σ(f̄)
  const g = activate(spec.candidateActivation, blk('g')!); // candidate g_t = act_g(ḡ)
  const iPre = blk('i');
  const oPre = blk('o');
  const i = iPre ? tf.sigmoid(iPre) : null; // absent input gate: i = 1
  const o = oPre ? tf.sigmoid(oPre) : null; // absent output gate: o = 1
  // c_t = f ⊙ c_{t-1} + i ⊙ g: only linear maps touch c, so ∂c_t/∂c_{t-1} = diag(f_t).
  let c = tf.add<tf.Tensor2D>(tf.mul(f, cPrev!), i ? tf.mul(i, g) : g);
  if (hookC) c = hookC(c);
  const ac = activate(spec.cellActivation, c);
  const h = o ? tf.mul<tf.Tensor2D>(o, ac) : ac; // h_t = o ⊙ act_c(c_t)
  const gates: Record<string, tf.Tensor2D> = { f };
  if (i) gates.i = i;
  gates.g = g;
  if (o) gates.o = o;
  return { h, c, gates };
}
