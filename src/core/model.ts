// The instrumented recurrent engine: LSTM (and its variants), GRU and vanilla RNN unrolled op by
// op in TensorFlow.js, with BPTT, per-timestep gradients ∂L/∂h_t, ∂L/∂c_t, the gradient reach
// and the per-timestep trace every view of the extension is drawn from. The reference
// implementation: clear first, then reasonably fast (see docs in DESIGN notes on op overhead).

import * as tf from '@tensorflow/tfjs';
import { GATE_ORDER, hasCellState, SIGMOID_GATES, type Activation, type CellKind, type ModelSpec } from '../protocol/spec';
import type { LayerTrace, TraceSnapshot } from '../protocol/trace';
import type { Batch, ModelIO, RecurrentModel, RecurrentState, StepResult, TraceRequest } from './types';
import { Rng, glorotUniform, hashSeed, recurrentInit } from './init';
import { jacobianSpectra } from './analysis/jacobian';
import { gateSaturation } from './analysis/saturation';

/** Extra construction options that are not part of the ModelSpec. */
export interface CreateModelOptions {
  /**
   * T_max of the chrono initialisation (Tallec & Ollivier 2018): the longest dependency the
   * model is expected to bridge, normally the training sequence length. Default 100, a typical
   * truncated-BPTT window; ignored unless spec.chronoInit.
   */
  chronoMaxLength?: number;
}

/** What the engine records for one traced layer beyond LayerTrace: the raw reach vectors. */
export interface LayerReach {
  /** ∂ℓ_τ/∂h_t, [T, H] (0 for t > τ). */
  reachH: Float32Array;
  /** ∂ℓ_τ/∂c_t, [T, H]; LSTM family only. */
  reachC?: Float32Array;
}

/** A RecurrentModel that also exposes the raw reach vectors of its last traced pass (tests, perf comparison). */
export interface InstrumentedModel extends RecurrentModel {
  /** Per traced layer, the reach vectors behind the last trace's reachH/reachC norms. */
  readonly lastReach: LayerReach[] | null;
}

export { SIGMOID_GATES };

let modelCounter = 0;

/**
 * Builds the model with deterministic weights for `seed`.
 *
 * Initialisation: Wx Glorot-uniform over [inputWidth, G·H]; Wh one orthogonal H×H block per gate
 * (identity for a ReLU RNN, Le et al. 2015); biases 0 except the LSTM forget gate
 * (spec.forgetBias, or chrono: b_f ~ log U[1, T_max − 1], b_i = −b_f); embedding U(±0.05);
 * read-out Glorot-uniform with zero bias.
 */
export function createModel(spec: ModelSpec, io: ModelIO, seed: number, options: CreateModelOptions = {}): InstrumentedModel {
  return new Engine(spec, io, seed, options);
}

/** Per-step data of one pass, all time-major; created outside the gradient function and disposed after. */
interface PassData {
  B: number;
  T: number;
  /** Token ids [T·B] (time-major), for token input. */
  ids: tf.Tensor1D | null;
  /** Numeric inputs [T·B, inputSize] (time-major), for numeric input. */
  inputs: tf.Tensor2D | null;
  /** Per t: targets [B, O] (one-hot for xent), or null when no sample bears a loss at t. */
  targets: (tf.Tensor2D | null)[];
  /** Per t: loss weights [B], or null when all are 0. */
  masks: (tf.Tensor1D | null)[];
  /** Σ mask over the batch (the loss is divided by it; 0 gives loss 0). */
  maskSum: number;
  /** Initial state per layer, [B, H]. */
  h0: tf.Tensor2D[];
  c0: tf.Tensor2D[] | null;
}

/** Instrumentation of one pass. */
interface PassHooks {
  /** Layers whose h_t (and c_t) get an identity gradient hook. */
  layers: Set<number>;
  /** Receives ∂loss/∂h_t [B, H] of a hooked layer (inside the backward tidy: keep what you store). */
  onDh: (layer: number, t: number, dy: tf.Tensor2D) => void;
  onDc: (layer: number, t: number, dy: tf.Tensor2D) => void;
}

interface PassOut {
  loss: tf.Scalar;
  finalH: tf.Tensor2D[];
  finalC: tf.Tensor2D[] | null;
  /** Per t: unmasked ℓ_{b,t} [B] where the step bears a loss (only when asked to keep them). */
  stepLoss: (tf.Tensor1D | null)[];
}

/** Tensors recorded per layer and name ('h', 'c', gates), one [B, H] per timestep. */
type Recording = Map<number, Record<string, tf.Tensor2D[]>>;

function activate(kind: Activation, x: tf.Tensor2D): tf.Tensor2D {
  return kind === 'tanh' ? tf.tanh(x) : tf.relu(x);
}

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

class Engine implements InstrumentedModel {
  readonly spec: ModelSpec;
  readonly io: ModelIO;
  readonly params: Record<string, tf.Variable>;
  lastReach: LayerReach[] | null = null;
  private readonly H: number;
  private readonly G: number;
  private readonly gates: readonly string[];
  private readonly order: string[];
  private readonly uid: number;

  constructor(spec: ModelSpec, io: ModelIO, seed: number, options: CreateModelOptions) {
    validateSpec(spec, io);
    this.spec = { ...spec };
    this.io = { ...io };
    this.H = spec.hiddenSize;
    this.gates = GATE_ORDER[spec.cell];
    this.G = this.gates.length;
    this.uid = ++modelCounter;
    const init = initialWeights(spec, io, seed, options.chronoMaxLength ?? 100);
    this.params = {};
    this.order = Object.keys(init);
    for (const name of this.order) {
      const { shape, data } = init[name];
      // tf.Variable names are global to the tfjs engine: make them unique per model.
      this.params[name] = tf.variable(tf.tensor(data, shape, 'float32'), true, `rnn${this.uid}/${name}`);
    }
  }

  forwardBackward(batch: Batch, initial?: RecurrentState | null, trace?: TraceRequest | null): StepResult {
    this.checkBatch(batch);
    const { B, T } = { B: batch.batchSize, T: batch.steps };
    const H = this.H;
    const cellState = hasCellState(this.spec.cell);
    const traceLayers = trace ? this.tracedLayers(trace) : [];
    if (trace && (trace.sample < 0 || trace.sample >= B)) throw new Error(`trace sample ${trace.sample} outside batch of ${B}`);
    const dh: (tf.Tensor | null)[][] = traceLayers.map(() => new Array<tf.Tensor | null>(T).fill(null));
    const dc: (tf.Tensor | null)[][] = traceLayers.map(() => new Array<tf.Tensor | null>(T).fill(null));
    const slot = new Map(traceLayers.map((l, k) => [l, k]));
    const data = this.prepare(batch, initial ?? null, null);
    let out: PassOut | null = null;
    const varList = this.order.map((n) => this.params[n]);
    try {
      const hooks: PassHooks | null = trace
        ? {
            layers: new Set(traceLayers),
            // Keep only the traced sample's row: [1, H].
            onDh: (l, t, dy) => { dh[slot.get(l)!][t] = tf.keep(dy.slice([trace.sample, 0], [1, H])); },
            onDc: (l, t, dy) => { dc[slot.get(l)!][t] = tf.keep(dy.slice([trace.sample, 0], [1, H])); },
          }
        : null;
      const { value, grads: rawGrads } = tf.variableGrads(() => {
        out = this.pass(data, hooks, null, trace != null);
        tf.keep(out.loss);
        out.finalH.forEach((t) => tf.keep(t));
        out.finalC?.forEach((t) => tf.keep(t));
        out.stepLoss.forEach((t) => t && tf.keep(t));
        return out.loss;
      }, varList);
      const loss = value.dataSync()[0];
      value.dispose();
      const grads: Record<string, tf.Tensor> = {};
      for (const name of this.order) {
        const g = rawGrads[this.params[name].name];
        // A parameter off every path to the loss (e.g. an all-zero mask) has gradient 0.
        grads[name] = g ?? tf.zerosLike(this.params[name]);
      }
      const passOut = out as unknown as PassOut;
      const finalState = readState(passOut);
      const result: StepResult = { loss, grads, finalState };
      if (trace) {
        const stepLoss = new Float32Array(T);
        passOut.stepLoss.forEach((v, t) => {
          if (v) stepLoss[t] = v.dataSync()[trace.sample] * batch.mask[trace.sample * T + t];
        });
        const rows = (store: (tf.Tensor | null)[]): Float32Array => {
          const m = new Float32Array(T * H);
          store.forEach((r, t) => r && m.set(r.dataSync(), t * H));
          return m;
        };
        const dhRows = dh.map(rows);
        const dcRows = cellState ? dc.map(rows) : null;
        result.trace = this.buildTrace(batch, initial ?? null, trace, traceLayers, dhRows, dcRows, stepLoss);
      }
      return result;
    } finally {
      disposePassData(data);
      const o = out as PassOut | null;
      if (o) {
        tf.dispose([o.loss, ...o.finalH, ...(o.finalC ?? [])]);
        o.stepLoss.forEach((t) => t?.dispose());
      }
      dh.forEach((s) => s.forEach((t) => t?.dispose()));
      dc.forEach((s) => s.forEach((t) => t?.dispose()));
    }
  }

  evaluate(batch: Batch, initial?: RecurrentState | null): { loss: number; finalState: RecurrentState } {
    this.checkBatch(batch);
    const data = this.prepare(batch, initial ?? null, null);
    try {
      const res = tf.tidy(() => {
        const o = this.pass(data, null, null, false);
        return { loss: o.loss, finalH: o.finalH, finalC: o.finalC ?? [] };
      });
      const loss = res.loss.dataSync()[0];
      const finalState = readState({ loss: res.loss, finalH: res.finalH, finalC: this.hasC ? res.finalC : null, stepLoss: [] });
      tf.dispose([res.loss, ...res.finalH, ...res.finalC]);
      return { loss, finalState };
    } finally {
      disposePassData(data);
    }
  }

  exportWeights(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const name of this.order) {
      const v = this.params[name];
      out[name] = { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) };
    }
    return out;
  }

  importWeights(weights: Record<string, { shape: number[]; data: Float32Array }>): void {
    // Check everything first so a bad file leaves the model untouched.
    for (const name of this.order) {
      const w = weights[name];
      const v = this.params[name];
      if (!w) throw new Error(`importWeights: missing ${name}`);
      if (w.shape.length !== v.shape.length || w.shape.some((d, k) => d !== v.shape[k])) {
        throw new Error(`importWeights: ${name} has shape [${w.shape}], the model needs [${v.shape}]`);
      }
      if (w.data.length !== v.size) throw new Error(`importWeights: ${name} has ${w.data.length} values, needs ${v.size}`);
    }
    for (const name of this.order) {
      const v = this.params[name];
      tf.tidy(() => v.assign(tf.tensor(weights[name].data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const name of this.order) this.params[name].dispose();
  }

  private get hasC(): boolean {
    return hasCellState(this.spec.cell);
  }

  private tracedLayers(trace: TraceRequest): number[] {
    const all = Array.from({ length: this.spec.layers }, (_, l) => l);
    if (!trace.layers) return all;
    return all.filter((l) => trace.layers!.includes(l));
  }

  private checkBatch(batch: Batch): void {
    const { batchSize: B, steps: T } = batch;
    if (!(B > 0 && T > 0)) throw new Error(`batch needs batchSize and steps > 0, got ${B}×${T}`);
    if (batch.mask.length !== B * T) throw new Error(`mask has ${batch.mask.length} values, expected B·T = ${B * T}`);
    if (this.io.vocabSize > 0) {
      if (!batch.tokens || batch.tokens.length !== B * T) throw new Error('token model needs batch.tokens [B, T]');
      for (const id of batch.tokens) if (id < 0 || id >= this.io.vocabSize) throw new Error(`token id ${id} outside vocabulary of ${this.io.vocabSize}`);
    } else if (!batch.inputs || batch.inputs.length !== B * T * this.io.inputSize) {
      throw new Error(`numeric model needs batch.inputs [B, T, ${this.io.inputSize}]`);
    }
    if (this.io.loss === 'xent') {
      if (!batch.targetTokens || batch.targetTokens.length !== B * T) throw new Error("'xent' loss needs batch.targetTokens [B, T]");
      for (const id of batch.targetTokens) if (id < 0 || id >= this.io.outputSize) throw new Error(`target id ${id} outside ${this.io.outputSize} outputs`);
    } else if (!batch.targets || batch.targets.length !== B * T * this.io.outputSize) {
      throw new Error(`'mse' loss needs batch.targets [B, T, ${this.io.outputSize}]`);
    }
  }

  /**
   * Moves a batch (or one sample of it, when `only` is given) to time-major tensors. `lossAt`
   * replaces the mask by a single loss-bearing step of weight 1 (the reach pass: ℓ_τ unnormalised).
   */
  private prepare(batch: Batch, initial: RecurrentState | null, only: { sample: number; lossAt: number } | null): PassData {
    const T = batch.steps;
    const Bfull = batch.batchSize;
    const samples = only ? [only.sample] : Array.from({ length: Bfull }, (_, b) => b);
    const B = samples.length;
    const { H, io } = this;
    const O = io.outputSize;
    let ids: tf.Tensor1D | null = null;
    let inputs: tf.Tensor2D | null = null;
    if (io.vocabSize > 0) {
      const a = new Int32Array(T * B);
      for (let t = 0; t < T; t++) samples.forEach((s, b) => (a[t * B + b] = batch.tokens![s * T + t]));
      ids = tf.tensor1d(a, 'int32');
    } else {
      const I = io.inputSize;
      const a = new Float32Array(T * B * I);
      for (let t = 0; t < T; t++) {
        samples.forEach((s, b) => a.set(batch.inputs!.subarray((s * T + t) * I, (s * T + t + 1) * I), (t * B + b) * I));
      }
      inputs = tf.tensor2d(a, [T * B, I]);
    }
    const targets: (tf.Tensor2D | null)[] = [];
    const masks: (tf.Tensor1D | null)[] = [];
    let maskSum = 0;
    for (let t = 0; t < T; t++) {
      const m = new Float32Array(B);
      samples.forEach((s, b) => (m[b] = only ? (t === only.lossAt ? 1 : 0) : batch.mask[s * T + t]));
      let any = false;
      for (const w of m) {
        maskSum += w;
        if (w !== 0) any = true;
      }
      if (!any) {
        targets.push(null);
        masks.push(null);
        continue;
      }
      const y = new Float32Array(B * O);
      samples.forEach((s, b) => {
        if (io.loss === 'xent') y[b * O + batch.targetTokens![s * T + t]] = 1;
        else y.set(batch.targets!.subarray((s * T + t) * O, (s * T + t + 1) * O), b * O);
      });
      targets.push(tf.tensor2d(y, [B, O]));
      masks.push(tf.tensor1d(m));
    }
    const state = (arrs: Float32Array[] | null | undefined, l: number, what: string): tf.Tensor2D => {
      const src = arrs?.[l];
      if (!src) return tf.zeros([B, H]);
      if (src.length !== Bfull * H) throw new Error(`initial ${what}[${l}] has ${src.length} values, expected [${Bfull}, ${H}]`);
      if (!only) return tf.tensor2d(src, [B, H]);
      return tf.tensor2d(src.slice(only.sample * H, (only.sample + 1) * H), [1, H]);
    };
    const h0 = Array.from({ length: this.spec.layers }, (_, l) => state(initial?.h, l, 'h'));
    const c0 = this.hasC ? Array.from({ length: this.spec.layers }, (_, l) => state(initial?.c, l, 'c')) : null;
    return { B, T, ids, inputs, targets, masks, maskSum, h0, c0 };
  }

  /**
   * The unrolled forward pass and the loss L = Σ_{b,t} mask·ℓ_{b,t} / Σ mask. Layer by layer:
   * the input projection of all timesteps of layer 0 is one matMul [T·B, in]·[in, G·H]; each step
   * then adds h_{t-1}·Wh (one fused matMul for all gates). The read-out and loss are computed per
   * loss-bearing timestep, never over a concatenation of all steps (its backward is O(T²) on wasm).
   */
  private pass(d: PassData, hooks: PassHooks | null, record: Recording | null, keepStepLoss: boolean): PassOut {
    const { B, T } = d;
    const { H, G, spec } = this;
    const p = this.params;
    let below: tf.Tensor2D[] = [];
    const finalH: tf.Tensor2D[] = [];
    const finalC: tf.Tensor2D[] | null = this.hasC ? [] : null;
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
      const cellW = this.cellWeights(Wh);
      let h = d.h0[l];
      let c = d.c0 ? d.c0[l] : null;
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const hookC = hooked ? (x: tf.Tensor2D) => gradientHook(x, (dy) => hooks!.onDc(l, t, dy)) : null;
        const step = this.cellStep(xp[t], h, c, cellW, hookC);
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
      const ell = this.io.loss === 'xent'
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

  /** The recurrent weights as the cell needs them (the GRU splits Wh into its [z r] and n parts). */
  private cellWeights(Wh: tf.Tensor2D): { Wh: tf.Tensor2D; WhZR: tf.Tensor2D | null; WhN: tf.Tensor2D | null } {
    if (this.spec.cell !== 'gru') return { Wh, WhZR: null, WhN: null };
    const H = this.H;
    return { Wh, WhZR: tf.slice(Wh, [0, 0], [H, 2 * H]), WhN: tf.slice(Wh, [0, 2 * H], [H, H]) };
  }

  /**
   * One step of the cell, in the lecture's notation. `xp` = x_t·Wx + b [B, G·H], `h`, `c` the
   * previous state [B, H]. Returns the new state and every gate after its non-linearity.
   */
  private cellStep(
    xp: tf.Tensor2D,
    hPrev: tf.Tensor2D,
    cPrev: tf.Tensor2D | null,
    w: { Wh: tf.Tensor2D; WhZR: tf.Tensor2D | null; WhN: tf.Tensor2D | null },
    hookC: ((c: tf.Tensor2D) => tf.Tensor2D) | null,
  ): { h: tf.Tensor2D; c: tf.Tensor2D | null; gates: Record<string, tf.Tensor2D> } {
    const { spec, H, G } = this;
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
      const k = this.gates.indexOf(name);
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

  /**
   * The trace of one sample: values (h, c, gates) and the gradient reach from a second pass on
   * that sample alone (samples do not interact, so its B = 1 forward gives the same values),
   * with loss ℓ_τ (unnormalised, unmasked) and hooks on every traced layer.
   */
  private buildTrace(
    batch: Batch,
    initial: RecurrentState | null,
    trace: TraceRequest,
    layers: number[],
    dhRows: Float32Array[],
    dcRows: Float32Array[] | null,
    stepLoss: Float32Array,
  ): TraceSnapshot {
    const T = batch.steps;
    const H = this.H;
    const tau = trace.reachFrom < 0 ? T - 1 : Math.min(trace.reachFrom, T - 1);
    const rh: (tf.Tensor | null)[][] = layers.map(() => new Array<tf.Tensor | null>(T).fill(null));
    const rc: (tf.Tensor | null)[][] = layers.map(() => new Array<tf.Tensor | null>(T).fill(null));
    const slot = new Map(layers.map((l, k) => [l, k]));
    const record: Recording = new Map(layers.map((l) => [l, {} as Record<string, tf.Tensor2D[]>]));
    const data = this.prepare(batch, initial, { sample: trace.sample, lossAt: tau });
    const hooks: PassHooks = {
      layers: new Set(layers),
      onDh: (l, t, dy) => { rh[slot.get(l)!][t] = tf.keep(dy.clone()); },
      onDc: (l, t, dy) => { rc[slot.get(l)!][t] = tf.keep(dy.clone()); },
    };
    // Differentiate w.r.t. the initial states: every h_t, c_t of every layer lies on a path from
    // them to ℓ_τ, and no weight gradient is computed for nothing.
    const xs = [...data.h0, ...(data.c0 ?? [])];
    const cellState = this.hasC;
    const rows = (store: (tf.Tensor | null)[]): Float32Array => {
      const m = new Float32Array(T * H);
      store.forEach((r, t) => r && m.set(r.dataSync(), t * H));
      return m;
    };
    try {
      const res = tf.engine().gradients(() => this.pass(data, hooks, record, false).loss, xs, undefined, true);
      res.value.dispose();
      tf.dispose(res.grads.filter((g): g is tf.Tensor => g != null));
      const reach: LayerReach[] = [];
      const layerTraces: LayerTrace[] = layers.map((l, k) => {
        const rec = record.get(l)!;
        const values: Record<string, Float32Array> = {};
        for (const [name, list] of Object.entries(rec)) values[name] = rows(list);
        const reachH = rows(rh[k]);
        const reachC = cellState ? rows(rc[k]) : undefined;
        reach.push(cellState ? { reachH, reachC } : { reachH });
        const saturation: LayerTrace['saturation'] = {};
        for (const gate of this.gates) if (SIGMOID_GATES.has(gate)) saturation[gate] = gateSaturation(values[gate], T, H);
        const lt: LayerTrace = {
          layer: l,
          units: H,
          values,
          dh: dhRows[k],
          dhNorm: rowNorms(dhRows[k], T, H),
          reachH: rowNorms(reachH, T, H),
          saturation,
        };
        if (cellState && dcRows && reachC) {
          lt.dc = dcRows[k];
          lt.dcNorm = rowNorms(dcRows[k], T, H);
          lt.reachC = rowNorms(reachC, T, H);
        }
        if (trace.jacobian) {
          const s = trace.sample;
          const spectra = jacobianSpectra({
            cell: this.spec.cell,
            spec: this.spec,
            Wh: this.params[`layer${l}.Wh`].dataSync() as Float32Array,
            H,
            values,
            initialH: initial?.h?.[l]?.subarray(s * H, (s + 1) * H),
            initialC: initial?.c?.[l]?.subarray(s * H, (s + 1) * H),
            reachFrom: tau,
          });
          lt.jacobianSigma = spectra.sigma;
          lt.jacobianLagSigma = spectra.lagSigma;
          lt.jacobianLags = spectra.lags;
          if (spectra.unconverged) lt.jacobianUnconverged = spectra.unconverged;
        }
        return lt;
      });
      this.lastReach = reach;
      const s = trace.sample;
      return {
        step: 0, // the model does not count optimisation steps: the training loop sets it
        sample: s,
        cell: this.spec.cell,
        steps: T,
        tokens: batch.tokens ? batch.tokens.slice(s * T, (s + 1) * T) : null,
        inputs: batch.inputs ? batch.inputs.slice(s * T * this.io.inputSize, (s + 1) * T * this.io.inputSize) : null,
        stepLoss,
        reachFrom: tau,
        layers: layerTraces,
      };
    } finally {
      disposePassData(data);
      rh.forEach((s) => s.forEach((t) => t?.dispose()));
      rc.forEach((s) => s.forEach((t) => t?.dispose()));
      for (const rec of record.values()) for (const list of Object.values(rec)) tf.dispose(list);
    }
  }
}

/** ‖row_t‖₂ of a [T, H] matrix, [T] (also the fused path's). */
export function rowNorms(m: Float32Array, T: number, H: number): Float32Array {
  const out = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += m[t * H + j] * m[t * H + j];
    out[t] = Math.sqrt(s);
  }
  return out;
}

function readState(o: PassOut): RecurrentState {
  return {
    h: o.finalH.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
    c: o.finalC ? o.finalC.map((t) => Float32Array.from(t.dataSync() as Float32Array)) : null,
  };
}

function disposePassData(d: PassData): void {
  tf.dispose([
    ...(d.ids ? [d.ids] : []),
    ...(d.inputs ? [d.inputs] : []),
    ...d.targets.filter((t): t is tf.Tensor2D => t != null),
    ...d.masks.filter((t): t is tf.Tensor1D => t != null),
    ...d.h0,
    ...(d.c0 ?? []),
  ]);
}

function validateSpec(spec: ModelSpec, io: ModelIO): void {
  if (!GATE_ORDER[spec.cell]) throw new Error(`unknown cell kind '${spec.cell}'`);
  if (!(Number.isInteger(spec.hiddenSize) && spec.hiddenSize > 0)) throw new Error(`hiddenSize must be a positive integer, got ${spec.hiddenSize}`);
  if (!(Number.isInteger(spec.layers) && spec.layers >= 1 && spec.layers <= 3)) throw new Error(`layers must be 1–3, got ${spec.layers}`);
  if ((io.vocabSize > 0) === (io.inputSize > 0)) throw new Error('io needs exactly one of vocabSize (tokens) or inputSize (numeric) > 0');
  if (!(io.outputSize > 0)) throw new Error('io.outputSize must be > 0');
  if (io.vocabSize > 0 && spec.embeddingSize < 0) throw new Error('embeddingSize must be ≥ 0');
}

/** The initial weights, in parameter order (embedding, layers bottom-up, read-out). */
function initialWeights(spec: ModelSpec, io: ModelIO, seed: number, chronoMax: number): Record<string, { shape: number[]; data: Float32Array }> {
  const H = spec.hiddenSize;
  const gates = GATE_ORDER[spec.cell];
  const G = gates.length;
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  const rng = (name: string): Rng => new Rng(hashSeed(seed, name));
  let inW = io.inputSize;
  if (io.vocabSize > 0) {
    if (spec.embeddingSize > 0) {
      const r = rng('embedding');
      const data = new Float32Array(io.vocabSize * spec.embeddingSize);
      for (let k = 0; k < data.length; k++) data[k] = r.uniform(-0.05, 0.05); // Keras' embedding default
      out.embedding = { shape: [io.vocabSize, spec.embeddingSize], data };
      inW = spec.embeddingSize;
    } else {
      inW = io.vocabSize;
    }
  }
  for (let l = 0; l < spec.layers; l++) {
    const width = l === 0 ? inW : H;
    out[`layer${l}.Wx`] = { shape: [width, G * H], data: glorotUniform(rng(`layer${l}.Wx`), width, G * H) };
    const identity = spec.cell === 'rnn' && spec.rnnActivation === 'relu';
    out[`layer${l}.Wh`] = { shape: [H, G * H], data: recurrentInit(rng(`layer${l}.Wh`), H, G, identity) };
    const b = new Float32Array(G * H);
    const fk = gates.indexOf('f');
    if (fk >= 0) {
      const ik = gates.indexOf('i');
      if (spec.chronoInit) {
        // Chrono: b_f ~ log U[1, T_max − 1] makes forget-gate time constants span 1…T_max; b_i = −b_f.
        const r = rng(`layer${l}.chrono`);
        const hi = Math.max(chronoMax - 1, 1 + 1e-6);
        for (let j = 0; j < H; j++) {
          const bf = Math.log(r.uniform(1, hi));
          b[fk * H + j] = bf;
          if (ik >= 0) b[ik * H + j] = -bf;
        }
      } else {
        for (let j = 0; j < H; j++) b[fk * H + j] = spec.forgetBias;
      }
    }
    out[`layer${l}.b`] = { shape: [G * H], data: b };
  }
  const O = io.outputSize;
  out['readout.W'] = { shape: [H, O], data: glorotUniform(rng('readout.W'), H, O) };
  out['readout.b'] = { shape: [O], data: new Float32Array(O) };
  return out;
}
