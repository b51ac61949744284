// Independent float64 reference of the whole recurrent model: forward, loss and hand-written BPTT
// on plain Float64Arrays, no tfjs. The tfjs engine is checked against it, and it is itself
// checked against central finite differences (test/unit/maths).

import type { Activation, CellKind, ModelSpec } from '../protocol/spec';
import { GATE_ORDER, hasCellState } from '../protocol/spec';
import type { Batch, ModelIO, RecurrentState } from './types';

/** Named weights in the engine's layout (see RecurrentModel in ./types): row-major, float. */
export type RefWeights = Record<string, { shape: number[]; data: ArrayLike<number> }>;

/** What the reference records for one layer of the traced sample. Every matrix is [T, H]. */
export interface RefLayerRecord {
  /** 'h', 'c' (LSTM family) and every gate of GATE_ORDER[cell] after its non-linearity ('a' for the RNN: pre-activation). */
  values: Record<string, Float64Array>;
  /** ∂L/∂h_t, total derivative of the batch loss (a perturbation added to h_t after the cell computed it). */
  dh: Float64Array;
  /** ∂L/∂c_t (a perturbation added to c_t before h_t = o ⊙ act(c_t) is computed); LSTM family only. */
  dc?: Float64Array;
  /** ∂ℓ_τ/∂h_t of the traced sample's own, unnormalised loss at step τ; zero for t > τ. */
  reachH: Float64Array;
  /** ∂ℓ_τ/∂c_t; LSTM family only. */
  reachC?: Float64Array;
}

export interface RefResult {
  /** Batch loss L = Σ_{b,t} mask·ℓ_{b,t} / Σ mask (0 when the mask is all zero). */
  loss: number;
  /** ∂L/∂θ for every parameter the model uses, same names and layout as the weights. */
  grads: Record<string, Float64Array>;
  /** ℓ_{b,t} before masking, [B, T]. */
  stepLoss: Float64Array;
  /** Per layer (bottom first), the traced sample's record. */
  layers: RefLayerRecord[];
  /** State after the last step per layer, h (and c) as [B, H]: what a carried state continues from. */
  finalState: { h: Float64Array[]; c: Float64Array[] | null };
  /** τ actually used (reachFrom = −1 resolved to T − 1). */
  reachFrom: number;
}

/** What one step of a cell produces for one sample. */
export interface CellStepResult {
  /** h_t, [H]. */
  h: Float64Array;
  /** c_t, [H]; null for GRU and RNN. */
  c: Float64Array | null;
  /** Gate values after their non-linearity in GATE_ORDER blocks, [G·H]; for the RNN the pre-activation a. */
  gates: Float64Array;
}

/** One layer's parameters as flat row-major arrays: Wx [in, G·H], Wh [H, G·H], b [G·H]. */
export interface RefLayerWeights {
  Wx: ArrayLike<number>;
  Wh: ArrayLike<number>;
  b: ArrayLike<number>;
  /** Input width of the layer. */
  inputWidth: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const act = (kind: Activation, x: number): number => (kind === 'tanh' ? Math.tanh(x) : x > 0 ? x : 0);
/** Derivative of the activation expressed through its output y (tanh' = 1 − y², relu' = [y > 0]). */
const actGradFromOutput = (kind: Activation, y: number): number => (kind === 'tanh' ? 1 - y * y : y > 0 ? 1 : 0);

/** Which of the LSTM gates a variant has, and the column block of each (−1 = absent, gate fixed to 1). */
export interface LstmBlocks { f: number; i: number; g: number; o: number }
export function lstmBlocks(cell: CellKind): LstmBlocks {
  const order = GATE_ORDER[cell];
  return { f: order.indexOf('f'), i: order.indexOf('i'), g: order.indexOf('g'), o: order.indexOf('o') };
}

/**
 * pre = x·Wx + h_prev·Wh + b for one sample, [G·H]. `x` [in], `hPrev` [H].
 * For the GRU the n block is left without its recurrent term (it needs r ⊙ h_prev first).
 */
function preActivation(cell: CellKind, w: RefLayerWeights, H: number, x: ArrayLike<number>, hPrev: ArrayLike<number>): Float64Array {
  const GH = w.b.length;
  const pre = new Float64Array(GH);
  for (let k = 0; k < GH; k++) pre[k] = w.b[k];
  for (let i = 0; i < w.inputWidth; i++) {
    const xi = x[i];
    if (xi === 0) continue; // one-hot inputs are mostly zeros
    const row = i * GH;
    for (let k = 0; k < GH; k++) pre[k] += xi * w.Wx[row + k];
  }
  const recurrentCols = cell === 'gru' ? 2 * H : GH;
  for (let i = 0; i < H; i++) {
    const hi = hPrev[i];
    if (hi === 0) continue;
    const row = i * GH;
    for (let k = 0; k < recurrentCols; k++) pre[k] += hi * w.Wh[row + k];
  }
  return pre;
}

/**
 * One step of one layer for one sample, exactly the engine's semantics.
 * `x` [in], `hPrev` [H], `cPrev` [H] (LSTM family; ignored otherwise).
 */
export function referenceCellStep(
  spec: ModelSpec, w: RefLayerWeights, x: ArrayLike<number>, hPrev: ArrayLike<number>, cPrev: ArrayLike<number> | null,
): CellStepResult {
  const cell = spec.cell;
  const H = spec.hiddenSize;
  const pre = preActivation(cell, w, H, x, hPrev);
  const gates = new Float64Array(pre.length);
  const h = new Float64Array(H);
  if (cell === 'rnn') {
    for (let j = 0; j < H; j++) {
      gates[j] = pre[j]; // 'a' is recorded before the non-linearity
      h[j] = act(spec.rnnActivation, pre[j]);
    }
    return { h, c: null, gates };
  }
  if (cell === 'gru') {
    const GH = 3 * H;
    for (let j = 0; j < H; j++) {
      gates[j] = sigmoid(pre[j]); // z
      gates[H + j] = sigmoid(pre[H + j]); // r
    }
    // Keras reset_after = false: the reset gate scales h_prev before the recurrent product.
    const nPre = pre.subarray(2 * H);
    for (let i = 0; i < H; i++) {
      const rh = gates[H + i] * hPrev[i];
      if (rh === 0) continue;
      const row = i * GH + 2 * H;
      for (let j = 0; j < H; j++) nPre[j] += rh * w.Wh[row + j];
    }
    for (let j = 0; j < H; j++) {
      const z = gates[j];
      const n = Math.tanh(nPre[j]);
      gates[2 * H + j] = n;
      h[j] = z * hPrev[j] + (1 - z) * n; // h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
    }
    return { h, c: null, gates };
  }
  const blk = lstmBlocks(cell);
  const c = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    const f = sigmoid(pre[blk.f * H + j]);
    gates[blk.f * H + j] = f;
    let i = 1;
    if (blk.i >= 0) gates[blk.i * H + j] = i = sigmoid(pre[blk.i * H + j]);
    const g = act(spec.candidateActivation, pre[blk.g * H + j]);
    gates[blk.g * H + j] = g;
    let o = 1;
    if (blk.o >= 0) gates[blk.o * H + j] = o = sigmoid(pre[blk.o * H + j]);
    c[j] = f * (cPrev ? cPrev[j] : 0) + i * g; // c_t = f ⊙ c_{t-1} + i ⊙ g
    h[j] = o * act(spec.cellActivation, c[j]); // h_t = o ⊙ act(c_t)
  }
  return { h, c, gates };
}

/** Looks a weight up and checks its shape. */
function weight(weights: RefWeights, name: string, shape: number[]): ArrayLike<number> {
  const w = weights[name];
  if (!w) throw new Error(`reference: missing weight ${name}`);
  if (w.shape.length !== shape.length || w.shape.some((d, k) => d !== shape[k])) {
    throw new Error(`reference: weight ${name} has shape [${w.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  if (w.data.length !== shape.reduce((a, d) => a * d, 1)) throw new Error(`reference: weight ${name} has ${w.data.length} values for shape [${shape.join(',')}]`);
  return w.data;
}

/** Everything the backward pass needs from the forward pass of one layer over the batch. */
interface LayerTape {
  w: RefLayerWeights;
  /** Layer input [B, T, in]. */
  x: Float64Array;
  /** h_t [B, T, H]. */
  h: Float64Array;
  /** c_t [B, T, H] (LSTM family). */
  c: Float64Array | null;
  /** Gate values [B, T, G·H]. */
  gates: Float64Array;
  /** Initial h and c, [B, H]. */
  h0: Float64Array;
  c0: Float64Array | null;
}

/** Per-layer gradients w.r.t. states of one sample, [T, H] each. */
interface StateGrads { dh: Float64Array[]; dc: (Float64Array | null)[] }

/**
 * Forward, loss and BPTT of the whole stacked model, in float64.
 * `opts.sample` is the traced batch index, `opts.reachFrom` τ (−1 = last step), `opts.initial`
 * the initial state per layer (zeros when absent).
 */
export function referenceForwardBackward(
  spec: ModelSpec, io: ModelIO, weights: RefWeights, batch: Batch,
  opts: { sample: number; reachFrom: number; initial?: RecurrentState | null },
): RefResult {
  const { batchSize: B, steps: T } = batch;
  if (opts.sample < 0 || opts.sample >= B) throw new Error(`reference: traced sample ${opts.sample} outside batch of ${B}`);
  const tau = opts.reachFrom < 0 ? T - 1 : opts.reachFrom;
  if (tau >= T) throw new Error(`reference: reachFrom ${opts.reachFrom} outside ${T} steps`);
  const fw = forward(spec, io, weights, batch, opts.initial ?? null, null);
  const { tapes, stepLoss, dLdy, maskSum, loss, embedding, E } = fw;
  const H = spec.hiddenSize;
  const cell = spec.cell;
  const GH = GATE_ORDER[cell].length * H;
  const lstm = hasCellState(cell);
  const O = io.outputSize;
  const tokenInput = io.vocabSize > 0;
  const Wr = weight(weights, 'readout.W', [H, O]);

  // ---- gradients of the batch loss, sample by sample (samples do not interact).
  const grads: Record<string, Float64Array> = {};
  if (embedding) grads.embedding = new Float64Array(io.vocabSize * E);
  for (let l = 0; l < spec.layers; l++) {
    grads[`layer${l}.Wx`] = new Float64Array(tapes[l].w.inputWidth * GH);
    grads[`layer${l}.Wh`] = new Float64Array(H * GH);
    grads[`layer${l}.b`] = new Float64Array(GH);
  }
  grads['readout.W'] = new Float64Array(H * O);
  grads['readout.b'] = new Float64Array(O);

  const ctx: BackwardContext = { spec, tapes, T, H, GH, O, Wr, embedding, tokens: tokenInput ? batch.tokens : null, E };
  let traced: StateGrads | null = null;
  for (let b = 0; b < B; b++) {
    const dy = new Float64Array(T * O);
    let any = false;
    for (let t = 0; t < T; t++) {
      const wgt = maskSum > 0 ? batch.mask[b * T + t] / maskSum : 0;
      if (wgt === 0) continue;
      any = true;
      for (let o = 0; o < O; o++) dy[t * O + o] = wgt * dLdy[(b * T + t) * O + o];
    }
    if (!any && b !== opts.sample) continue;
    const sg = backwardSample(ctx, b, dy, grads);
    if (b === opts.sample) traced = sg;
  }

  // ---- gradient reach: ∂ℓ_τ/∂(h_t, c_t) of the traced sample alone, unnormalised.
  const dyReach = new Float64Array(T * O);
  for (let o = 0; o < O; o++) dyReach[tau * O + o] = dLdy[(opts.sample * T + tau) * O + o];
  const reach = backwardSample(ctx, opts.sample, dyReach, null);

  // ---- the traced sample's record per layer.
  const s = opts.sample;
  const order = GATE_ORDER[cell];
  const layers: RefLayerRecord[] = tapes.map((tape, l) => {
    const values: Record<string, Float64Array> = { h: tape.h.slice(s * T * H, (s + 1) * T * H) };
    if (tape.c) values.c = tape.c.slice(s * T * H, (s + 1) * T * H);
    order.forEach((name, k) => {
      const m = new Float64Array(T * H);
      for (let t = 0; t < T; t++) for (let j = 0; j < H; j++) m[t * H + j] = tape.gates[(s * T + t) * GH + k * H + j];
      values[name] = m;
    });
    const rec: RefLayerRecord = { values, dh: (traced as StateGrads).dh[l], reachH: reach.dh[l] };
    if (lstm) {
      rec.dc = (traced as StateGrads).dc[l] as Float64Array;
      rec.reachC = reach.dc[l] as Float64Array;
    }
    return rec;
  });

  const finalState = {
    h: tapes.map((tape) => {
      const m = new Float64Array(B * H);
      for (let b = 0; b < B; b++) m.set(tape.h.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
      return m;
    }),
    c: lstm
      ? tapes.map((tape) => {
        const m = new Float64Array(B * H);
        for (let b = 0; b < B; b++) m.set((tape.c as Float64Array).subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
        return m;
      })
      : null,
  };
  return { loss, grads, stepLoss, layers, finalState, reachFrom: tau };
}


/** A perturbation added inside the forward pass, to check state gradients by finite differences. */
export interface StatePerturbation {
  layer: number;
  /** Batch index. */
  sample: number;
  /** Timestep t. */
  step: number;
  unit: number;
  /** 'h': added to h_t after the cell computed it; 'c': added to c_t before h_t = o ⊙ act(c_t). */
  state: 'h' | 'c';
  delta: number;
}

/** The forward pass alone: batch loss L and ℓ_{b,t} [B, T], optionally with a state perturbation. */
export function referenceLoss(
  spec: ModelSpec, io: ModelIO, weights: RefWeights, batch: Batch,
  opts: { initial?: RecurrentState | null; perturb?: StatePerturbation | null } = {},
): { loss: number; stepLoss: Float64Array } {
  const fw = forward(spec, io, weights, batch, opts.initial ?? null, opts.perturb ?? null);
  return { loss: fw.loss, stepLoss: fw.stepLoss };
}

/** The read-out y_{b,t} = h_top·W + b of every sample and step, [B, T, O], in float64 (before softmax). */
export function referenceOutputs(
  spec: ModelSpec, io: ModelIO, weights: RefWeights, batch: Batch, initial: RecurrentState | null = null,
): Float64Array {
  return forward(spec, io, weights, batch, initial, null).outputs;
}

interface ForwardResult {
  tapes: LayerTape[];
  /** y_{b,t}, [B, T, O]. */
  outputs: Float64Array;
  stepLoss: Float64Array;
  /** dℓ_{b,t}/dy_{b,t}, [B, T, O], unnormalised and unmasked. */
  dLdy: Float64Array;
  maskSum: number;
  loss: number;
  embedding: ArrayLike<number> | null;
  /** Layer-0 input width. */
  E: number;
}

/** Adds the perturbation to h_t, or to c_t and then recomputes h_t = o ⊙ act(c_t) from it. */
function applyPerturbation(spec: ModelSpec, r: CellStepResult, p: StatePerturbation): void {
  const j = p.unit;
  if (p.state === 'h') {
    r.h[j] += p.delta;
    return;
  }
  if (!r.c) throw new Error(`reference: ${spec.cell} has no cell state to perturb`);
  r.c[j] += p.delta;
  const oBlock = lstmBlocks(spec.cell).o;
  const o = oBlock >= 0 ? r.gates[oBlock * spec.hiddenSize + j] : 1;
  r.h[j] = o * act(spec.cellActivation, r.c[j]);
}

function forward(
  spec: ModelSpec, io: ModelIO, weights: RefWeights, batch: Batch,
  initial: RecurrentState | null, perturb: StatePerturbation | null,
): ForwardResult {
  const { batchSize: B, steps: T } = batch;
  const H = spec.hiddenSize;
  const cell = spec.cell;
  const G = GATE_ORDER[cell].length;
  const GH = G * H;
  const lstm = hasCellState(cell);
  const O = io.outputSize;
  const tokenInput = io.vocabSize > 0;
  const E = tokenInput ? (spec.embeddingSize > 0 ? spec.embeddingSize : io.vocabSize) : io.inputSize;

  // ---- layer-0 input [B, T, E]: embedding rows, one-hot vectors, or the numeric inputs.
  const x0 = new Float64Array(B * T * E);
  const embedding = tokenInput && spec.embeddingSize > 0 ? weight(weights, 'embedding', [io.vocabSize, E]) : null;
  if (tokenInput) {
    if (!batch.tokens) throw new Error('reference: token model needs batch.tokens');
    for (let bt = 0; bt < B * T; bt++) {
      const tok = batch.tokens[bt];
      if (embedding) for (let e = 0; e < E; e++) x0[bt * E + e] = embedding[tok * E + e];
      else x0[bt * E + tok] = 1;
    }
  } else {
    if (!batch.inputs) throw new Error('reference: numeric model needs batch.inputs');
    for (let k = 0; k < B * T * E; k++) x0[k] = batch.inputs[k];
  }

  // ---- forward, layer by layer over the whole batch.
  const tapes: LayerTape[] = [];
  let input = x0;
  let inWidth = E;
  for (let l = 0; l < spec.layers; l++) {
    const w: RefLayerWeights = {
      Wx: weight(weights, `layer${l}.Wx`, [inWidth, GH]),
      Wh: weight(weights, `layer${l}.Wh`, [H, GH]),
      b: weight(weights, `layer${l}.b`, [GH]),
      inputWidth: inWidth,
    };
    const hs = new Float64Array(B * T * H);
    const cs = lstm ? new Float64Array(B * T * H) : null;
    const gates = new Float64Array(B * T * GH);
    const h0 = new Float64Array(B * H);
    const c0 = lstm ? new Float64Array(B * H) : null;
    if (initial) {
      h0.set(initial.h[l]);
      if (c0 && initial.c) c0.set(initial.c[l]);
    }
    for (let b = 0; b < B; b++) {
      let hPrev: Float64Array = h0.subarray(b * H, (b + 1) * H);
      let cPrev: Float64Array | null = c0 ? c0.subarray(b * H, (b + 1) * H) : null;
      for (let t = 0; t < T; t++) {
        const bt = b * T + t;
        const r = referenceCellStep(spec, w, input.subarray(bt * inWidth, (bt + 1) * inWidth), hPrev, cPrev);
        if (perturb && perturb.layer === l && perturb.sample === b && perturb.step === t) applyPerturbation(spec, r, perturb);
        hs.set(r.h, bt * H);
        if (cs && r.c) cs.set(r.c, bt * H);
        gates.set(r.gates, bt * GH);
        hPrev = r.h;
        cPrev = r.c;
      }
    }
    tapes.push({ w, x: input, h: hs, c: cs, gates, h0, c0 });
    input = hs;
    inWidth = H;
  }

  // ---- read-out and loss: y = h_top·W + b; ℓ per (b, t); dℓ/dy per (b, t).
  const Wr = weight(weights, 'readout.W', [H, O]);
  const br = weight(weights, 'readout.b', [O]);
  const top = tapes[tapes.length - 1].h;
  const stepLoss = new Float64Array(B * T);
  const dLdy = new Float64Array(B * T * O); // dℓ_{b,t}/dy_{b,t}, unnormalised and unmasked
  const outputs = new Float64Array(B * T * O);
  for (let bt = 0; bt < B * T; bt++) {
    const y = outputs.subarray(bt * O, (bt + 1) * O);
    for (let o = 0; o < O; o++) y[o] = br[o];
    for (let i = 0; i < H; i++) {
      const hi = top[bt * H + i];
      for (let o = 0; o < O; o++) y[o] += hi * Wr[i * O + o];
    }
    if (io.loss === 'xent') {
      if (!batch.targetTokens) throw new Error('reference: xent loss needs batch.targetTokens');
      const target = batch.targetTokens[bt];
      let m = -Infinity;
      for (let o = 0; o < O; o++) m = Math.max(m, y[o]);
      let s = 0;
      for (let o = 0; o < O; o++) s += Math.exp(y[o] - m);
      const lse = m + Math.log(s);
      stepLoss[bt] = lse - y[target]; // ℓ = −log softmax(y)[target]
      for (let o = 0; o < O; o++) dLdy[bt * O + o] = Math.exp(y[o] - lse) - (o === target ? 1 : 0);
    } else {
      if (!batch.targets) throw new Error('reference: mse loss needs batch.targets');
      let s = 0;
      for (let o = 0; o < O; o++) {
        const d = y[o] - batch.targets[bt * O + o];
        s += d * d;
        dLdy[bt * O + o] = (2 * d) / O;
      }
      stepLoss[bt] = s / O; // mean over output dims
    }
  }
  let maskSum = 0;
  let lossSum = 0;
  for (let bt = 0; bt < B * T; bt++) {
    maskSum += batch.mask[bt];
    lossSum += batch.mask[bt] * stepLoss[bt];
  }
  const loss = maskSum > 0 ? lossSum / maskSum : 0;

  return { tapes, outputs, stepLoss, dLdy, maskSum, loss, embedding, E };
}

interface BackwardContext {
  spec: ModelSpec;
  tapes: LayerTape[];
  T: number;
  H: number;
  GH: number;
  O: number;
  Wr: ArrayLike<number>;
  embedding: ArrayLike<number> | null;
  tokens: Int32Array | null;
  E: number;
}

/**
 * BPTT of one sample b from dy = ∂(loss)/∂y_t, [T, O]. Accumulates weight gradients into `grads`
 * when given; returns ∂loss/∂h_t and ∂loss/∂c_t of every layer, [T, H] each.
 */
function backwardSample(ctx: BackwardContext, b: number, dy: Float64Array, grads: Record<string, Float64Array> | null): StateGrads {
  const { spec, tapes, T, H, GH, O, Wr } = ctx;
  const cell = spec.cell;
  const L = tapes.length;
  const out: StateGrads = { dh: new Array(L), dc: new Array(L) };

  // Cotangent arriving at the top layer's h_t from the read-out: dy_t·Wᵀ.
  let fromAbove = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++) {
      let s = 0;
      for (let o = 0; o < O; o++) s += dy[t * O + o] * Wr[i * O + o];
      fromAbove[t * H + i] = s;
    }
  }
  if (grads) {
    const gW = grads['readout.W'];
    const gb = grads['readout.b'];
    const top = tapes[L - 1].h;
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      for (let o = 0; o < O; o++) {
        const d = dy[t * O + o];
        if (d === 0) continue;
        gb[o] += d;
        for (let i = 0; i < H; i++) gW[i * O + o] += top[bt * H + i] * d;
      }
    }
  }

  const blk = cell.startsWith('lstm') ? lstmBlocks(cell) : null;
  for (let l = L - 1; l >= 0; l--) {
    const tape = tapes[l];
    const { w } = tape;
    const inW = w.inputWidth;
    const dhAll = new Float64Array(T * H);
    const dcAll = tape.c ? new Float64Array(T * H) : null;
    const dxAll = new Float64Array(T * inW); // cotangent of this layer's input (to the layer below)
    const dhNext = new Float64Array(H); // ∂/∂h_t through step t+1
    const dcNext = new Float64Array(H); // ∂/∂c_t through c_{t+1} = f_{t+1} ⊙ c_t + …
    const dpre = new Float64Array(GH);
    const gWx = grads ? grads[`layer${l}.Wx`] : null;
    const gWh = grads ? grads[`layer${l}.Wh`] : null;
    const gb = grads ? grads[`layer${l}.b`] : null;
    for (let t = T - 1; t >= 0; t--) {
      const bt = b * T + t;
      const gates = tape.gates.subarray(bt * GH, (bt + 1) * GH);
      const hPrev = t > 0 ? tape.h.subarray((bt - 1) * H, bt * H) : tape.h0.subarray(b * H, (b + 1) * H);
      // Total ∂/∂h_t: read-out or layer above at t, plus the recurrence into t+1.
      const dh = dhAll.subarray(t * H, (t + 1) * H);
      for (let j = 0; j < H; j++) dh[j] = fromAbove[t * H + j] + dhNext[j];
      dhNext.fill(0);
      // rh = r ⊙ h_prev for the GRU's Wh_n gradient.
      let rh: Float64Array | null = null;

      if (blk && tape.c && dcAll) {
        const c = tape.c.subarray(bt * H, (bt + 1) * H);
        const cPrev = t > 0 ? tape.c.subarray((bt - 1) * H, bt * H) : (tape.c0 as Float64Array).subarray(b * H, (b + 1) * H);
        const dc = dcAll.subarray(t * H, (t + 1) * H);
        for (let j = 0; j < H; j++) {
          const f = gates[blk.f * H + j];
          const i = blk.i >= 0 ? gates[blk.i * H + j] : 1;
          const g = gates[blk.g * H + j];
          const o = blk.o >= 0 ? gates[blk.o * H + j] : 1;
          const a = act(spec.cellActivation, c[j]);
          // h_t = o ⊙ act(c_t): ∂h/∂c = o ⊙ act'(c), ∂h/∂o = act(c)
          dc[j] = dcNext[j] + dh[j] * o * actGradFromOutput(spec.cellActivation, a);
          if (blk.o >= 0) dpre[blk.o * H + j] = dh[j] * a * o * (1 - o);
          // c_t = f ⊙ c_{t-1} + i ⊙ g
          dpre[blk.f * H + j] = dc[j] * cPrev[j] * f * (1 - f);
          if (blk.i >= 0) dpre[blk.i * H + j] = dc[j] * g * i * (1 - i);
          dpre[blk.g * H + j] = dc[j] * i * actGradFromOutput(spec.candidateActivation, g);
          dcNext[j] = dc[j] * f; // ∂c_t/∂c_{t-1} = diag(f_t)
        }
      } else if (cell === 'gru') {
        rh = new Float64Array(H);
        // h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
        for (let j = 0; j < H; j++) {
          const z = gates[j];
          const n = gates[2 * H + j];
          dpre[j] = dh[j] * (hPrev[j] - n) * z * (1 - z);
          dpre[2 * H + j] = dh[j] * (1 - z) * (1 - n * n);
          dhNext[j] += dh[j] * z;
        }
        // n̄ = … + (r ⊙ h_{t-1})·Wh_n: cotangent of r ⊙ h_{t-1} is Wh_n·dn̄.
        for (let i = 0; i < H; i++) {
          const r = gates[H + i];
          rh[i] = r * hPrev[i];
          let s = 0;
          const row = i * GH + 2 * H;
          for (let j = 0; j < H; j++) s += w.Wh[row + j] * dpre[2 * H + j];
          dpre[H + i] = s * hPrev[i] * r * (1 - r);
          dhNext[i] += s * r;
        }
      } else {
        // RNN: h = act(a)
        for (let j = 0; j < H; j++) {
          const hj = tape.h[bt * H + j];
          dpre[j] = dh[j] * actGradFromOutput(spec.rnnActivation, hj);
        }
      }

      // Recurrent columns: ∂/∂h_{t-1} += Wh·dpre (GRU: only the z, r blocks; n went through r ⊙ h).
      const recCols = cell === 'gru' ? 2 * H : GH;
      for (let i = 0; i < H; i++) {
        let s = 0;
        const row = i * GH;
        for (let k = 0; k < recCols; k++) s += w.Wh[row + k] * dpre[k];
        dhNext[i] += s;
      }
      // Input: ∂/∂x_t = Wx·dpre.
      const x = tape.x.subarray(bt * inW, (bt + 1) * inW);
      const dx = dxAll.subarray(t * inW, (t + 1) * inW);
      for (let i = 0; i < inW; i++) {
        let s = 0;
        const row = i * GH;
        for (let k = 0; k < GH; k++) s += w.Wx[row + k] * dpre[k];
        dx[i] = s;
      }
      if (gWx && gWh && gb) {
        for (let k = 0; k < GH; k++) gb[k] += dpre[k];
        for (let i = 0; i < inW; i++) {
          const xi = x[i];
          if (xi === 0) continue;
          const row = i * GH;
          for (let k = 0; k < GH; k++) gWx[row + k] += xi * dpre[k];
        }
        for (let i = 0; i < H; i++) {
          const hi = hPrev[i];
          const row = i * GH;
          if (hi !== 0) for (let k = 0; k < recCols; k++) gWh[row + k] += hi * dpre[k];
          if (rh && rh[i] !== 0) for (let j = 0; j < H; j++) gWh[row + 2 * H + j] += rh[i] * dpre[2 * H + j];
        }
      }
    }
    out.dh[l] = dhAll;
    out.dc[l] = dcAll;
    if (l === 0 && grads && ctx.embedding && ctx.tokens) {
      const gE = grads.embedding;
      for (let t = 0; t < T; t++) {
        const tok = ctx.tokens[b * T + t];
        for (let e = 0; e < ctx.E; e++) gE[tok * ctx.E + e] += dxAll[t * ctx.E + e];
      }
    }
    fromAbove = dxAll; // layer l's input is layer l−1's h
  }
  return out;
}
