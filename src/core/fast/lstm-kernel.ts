// The fused whole-sequence LSTM: forward over all T steps, read-out and loss, and hand-written
// BPTT on flat Float32Arrays, with every GEMM going through one Sgemm (native BLAS, wasm or JS). The
// recording (gates, c, h, ∂L/∂h_t, ∂L/∂c_t of one sample, gradient reach) is read off buffers the
// backward pass needs anyway, so it costs almost nothing.
// Layout: time-major rows, row r = t·B + b; gate blocks f, i, g, o (GATE_ORDER.lstm) of H columns.
// The vanilla RNN (cell 'rnn': h_t = act(a_t), a_t = x_t·Wx + h_{t-1}·Wh + b) runs through the same
// passes with one block (G = H) holding a_t; what differs is the elementwise step and what is recorded.

import type { Activation, CellKind } from '../../protocol/spec';
import type { LossKind } from '../types';
import type { Sgemm } from './gemm';
import type { LstmStep } from './wasmKernel';
import type { WasmHeap } from './wasmHeap';

export type FusedInput = 'onehot' | 'embedding' | 'numeric';

export interface FusedLstmShape {
  batch: number;
  steps: number;
  hidden: number;
  layers: number;
  input: FusedInput;
  /** V for token input (one-hot or embedded), the numeric width otherwise. */
  inputSize: number;
  /** Embedding width E (input 'embedding' only). */
  embedSize: number;
  outputSize: number;
  loss: LossKind;
  cellActivation: Activation;
  candidateActivation: Activation;
  /**
   * The cell: this CPU kernel runs 'lstm' (default) and the vanilla 'rnn' (activation
   * rnnActivation); the GPU kernel, which shares this shape, runs every cell.
   */
  cell?: CellKind;
  rnnActivation?: Activation;
}

/**
 * The fused kernels' weights from a model's parameters by name (`layer<l>.Wx|Wh|b`, `readout.W|b`,
 * `embedding`); `get` returns undefined for a parameter the model does not have.
 */
export function fusedWeightsFrom(get: (name: string) => Float32Array | undefined, layers: number): FusedWeights {
  const need = (n: string): Float32Array => {
    const v = get(n);
    if (!v) throw new Error(`the model has no parameter ${n}`);
    return v;
  };
  const w: FusedWeights = {
    Wx: Array.from({ length: layers }, (_, l) => need(`layer${l}.Wx`)),
    Wh: Array.from({ length: layers }, (_, l) => need(`layer${l}.Wh`)),
    b: Array.from({ length: layers }, (_, l) => need(`layer${l}.b`)),
    Wr: need('readout.W'),
    br: need('readout.b'),
  };
  const embedding = get('embedding');
  if (embedding) w.embedding = embedding;
  return w;
}

/** Parameters as flat row-major arrays, shapes as in RecurrentModel's doc. */
export interface FusedWeights {
  /** [V, E] when input is 'embedding'. */
  embedding?: Float32Array;
  /** Per layer [inputWidth, 4H], [H, 4H], [4H]. */
  Wx: Float32Array[];
  Wh: Float32Array[];
  b: Float32Array[];
  /** [H, O], [O]. */
  Wr: Float32Array;
  br: Float32Array;
}

export interface FusedBatch {
  /** Token ids [B, T] (b-major, as in Batch) for token input. */
  tokens: Int32Array | null;
  /** [B, T, I] for numeric input. */
  inputs: Float32Array | null;
  targetTokens: Int32Array | null;
  /** [B, T, O] for 'mse'. */
  targets: Float32Array | null;
  /** [B, T]. */
  mask: Float32Array;
}

/** What to record for one sample; layers default to all. */
export interface FusedRecord {
  sample: number;
  layers: number[];
  /** τ (already resolved, 0 ≤ τ < T) for the gradient reach. */
  reachFrom: number;
}

/** One layer's recording for the traced sample; every matrix [T, H] (the RNN's: h, a, dh, reachH; the rest empty). */
export interface FusedLayerRecord {
  layer: number;
  h: Float32Array;
  /** The RNN's pre-activation a_t. */
  a?: Float32Array;
  c: Float32Array;
  f: Float32Array;
  i: Float32Array;
  g: Float32Array;
  o: Float32Array;
  dh: Float32Array;
  dc: Float32Array;
  /** Gates by name when the cell's are not f, i, g, o (the GRU's z, r, n, the RNN's a: GPU engine only). */
  gates?: Record<string, Float32Array>;
  /** ‖∂ℓ_τ/∂h_t‖, ‖∂ℓ_τ/∂c_t‖ per t, [T] (0 after τ). */
  reachH: Float32Array;
  reachC: Float32Array;
}

export interface FusedResult {
  loss: number;
  grads: FusedWeights;
  /** Per layer [B, H]. */
  finalH: Float32Array[];
  finalC: Float32Array[];
  /** Per-step loss of the traced sample, mask·ℓ_t, [T]. */
  stepLoss?: Float32Array;
  records?: FusedLayerRecord[];
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Buffers sized for one (B, T); reused across calls while the shape holds. */
interface Work {
  B: number;
  T: number;
  /** Per layer: pre-activations, then gate activations, then (in backward) ∂L/∂z, [T·B, 4H]. */
  Z: Float32Array[];
  /** Per layer: h_{t-1} for t = 0..T, [(T+1)·B, H] (row block 0 is the initial state). */
  Hs: Float32Array[];
  Cs: Float32Array[];
  /** Per layer: act(c_t), [T·B, H]. */
  Ac: Float32Array[];
  /** ∂L/∂(layer output) coming from above, [T·B, H]. */
  dHin: Float32Array;
  /** Read-out logits / outputs, then ∂L/∂logits, [T·B, O]. */
  Y: Float32Array;
  /** Embedded input [T·B, E] or numeric input [T·B, I] (time-major). */
  X0: Float32Array;
  dhNext: Float32Array;
  dcNext: Float32Array;
  /** Per layer: W_h as the per-step GEMMs read it, [H, G] (a copy in the heap, or the weights themselves). */
  Wh: (Float32Array | null)[];
  /** Per layer: W_hᵀ, [G, H], rewritten each backward pass. */
  WhT: Float32Array[];
}

export class FusedLstm {
  private work: Work | null = null;

  constructor(
    readonly shape: Omit<FusedLstmShape, 'batch' | 'steps'>,
    private readonly gemm: Sgemm,
    /** The per-timestep elementwise maths in wasm SIMD; the JavaScript loops below when absent. */
    private readonly step: LstmStep | null = null,
    /**
     * The wasm kernel's memory: the work buffers and a copy of W_h live there, so its GEMM and
     * gate maths use them in place (no copy per call). Plain Float32Arrays when absent.
     */
    private readonly heap: Pick<WasmHeap, 'alloc' | 'free'> | null = null,
  ) {}

  private buffers(B: number, T: number): Work {
    const w = this.work;
    if (w && w.B === B && w.T === T) return w;
    const { hidden: H, layers: L, outputSize: O } = this.shape;
    const G = this.shape.cell === 'rnn' ? H : 4 * H;
    const x0 = this.shape.input === 'embedding' ? this.shape.embedSize : this.shape.input === 'numeric' ? this.shape.inputSize : 0;
    this.release();
    const heap = this.heap;
    const mk = (n: number): Float32Array => (heap ? heap.alloc(n) : new Float32Array(n));
    this.work = {
      B,
      T,
      Z: Array.from({ length: L }, () => mk(T * B * G)),
      Hs: Array.from({ length: L }, () => mk((T + 1) * B * H)),
      Cs: Array.from({ length: L }, () => mk((T + 1) * B * H)),
      Ac: Array.from({ length: L }, () => mk(T * B * H)),
      dHin: mk(T * B * H),
      Y: mk(T * B * O),
      X0: mk(T * B * x0),
      dhNext: mk(B * H),
      dcNext: mk(B * H),
      Wh: Array.from({ length: L }, () => (heap ? mk(H * G) : null)),
      WhT: Array.from({ length: L }, () => mk(G * H)),
    };
    return this.work;
  }

  /** Drops the work buffers (they are rebuilt on the next call). */
  release(): void {
    const w = this.work;
    this.work = null;
    if (!w || !this.heap) return;
    for (const a of [...w.Z, ...w.Hs, ...w.Cs, ...w.Ac, w.dHin, w.Y, w.X0, w.dhNext, w.dcNext, ...w.WhT]) this.heap.free(a);
    for (const a of w.Wh) if (a) this.heap.free(a);
  }

  /**
   * Forward, loss and (unless `lossOnly`) BPTT for one batch.
   * initialH/initialC: per layer [B, H] or null for zeros.
   */
  run(
    batch: FusedBatch,
    B: number,
    T: number,
    wt: FusedWeights,
    initialH: Float32Array[] | null,
    initialC: Float32Array[] | null,
    record: FusedRecord | null,
    lossOnly = false,
  ): FusedResult {
    const s = this.shape;
    const { hidden: H, layers: L, outputSize: O } = s;
    const rnn = s.cell === 'rnn';
    const reluRnn = s.rnnActivation === 'relu';
    const G = rnn ? H : 4 * H;
    const gemm = this.gemm;
    const step = rnn ? null : this.step;
    const w = this.buffers(B, T);
    const TB = T * B;
    const reluCell = s.cellActivation === 'relu';
    const reluCand = s.candidateActivation === 'relu';

    // ---- layer-0 input, time-major ----
    const tokTM = new Int32Array(s.input === 'numeric' ? 0 : TB); // tokens[t·B + b]
    if (s.input !== 'numeric') {
      const tk = batch.tokens!;
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) tokTM[t * B + b] = tk[b * T + t];
    }
    if (s.input === 'embedding') {
      const E = s.embedSize;
      const emb = wt.embedding!;
      for (let r = 0; r < TB; r++) w.X0.set(emb.subarray(tokTM[r] * E, tokTM[r] * E + E), r * E);
    } else if (s.input === 'numeric') {
      const I = s.inputSize;
      const x = batch.inputs!;
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++) w.X0.set(x.subarray((b * T + t) * I, (b * T + t) * I + I), (t * B + b) * I);
    }
    const inWidth = (l: number): number => (l > 0 ? H : s.input === 'embedding' ? s.embedSize : s.inputSize);

    const rec = record && !lossOnly ? record : null;
    const recLayers = new Set(rec ? rec.layers : []);
    const records: FusedLayerRecord[] = [];
    const recOf = new Map<number, FusedLayerRecord>();
    if (rec) {
      for (const l of [...recLayers].sort((a, b) => a - b)) {
        const m = (): Float32Array => new Float32Array(T * H);
        const e = (): Float32Array => new Float32Array(0);
        const r: FusedLayerRecord = rnn
          ? { layer: l, h: m(), a: m(), c: e(), f: e(), i: e(), g: e(), o: e(), dh: m(), dc: e(), reachH: new Float32Array(T), reachC: e() }
          : {
            layer: l, h: m(), c: m(), f: m(), i: m(), g: m(), o: m(), dh: m(), dc: m(),
            reachH: new Float32Array(T), reachC: new Float32Array(T),
          };
        records.push(r);
        recOf.set(l, r);
      }
    }

    // ---- forward, layer by layer over the whole sequence ----
    for (let l = 0; l < L; l++) {
      const Z = w.Z[l], Hs = w.Hs[l], Cs = w.Cs[l], Ac = w.Ac[l];
      const bias = wt.b[l];
      // Input projection of all timesteps at once: Z = X·Wx + b.
      for (let r = 0; r < TB; r++) Z.set(bias, r * G);
      if (l === 0 && s.input === 'onehot') {
        const Wx = wt.Wx[0];
        for (let r = 0; r < TB; r++) {
          const zo = r * G, wo = tokTM[r] * G;
          for (let k = 0; k < G; k++) Z[zo + k] += Wx[wo + k];
        }
      } else {
        const X = l === 0 ? w.X0 : w.Hs[l - 1].subarray(B * H);
        gemm(false, false, TB, G, inWidth(l), X, inWidth(l), wt.Wx[l], G, 1, Z, G);
      }
      if (initialH && initialH[l]) Hs.set(initialH[l], 0);
      else Hs.fill(0, 0, B * H);
      if (initialC && initialC[l]) Cs.set(initialC[l], 0);
      else Cs.fill(0, 0, B * H);
      const Wh = w.Wh[l] ?? wt.Wh[l];
      if (Wh !== wt.Wh[l]) Wh.set(wt.Wh[l]);
      for (let t = 0; t < T; t++) {
        const zt = t * B * G;
        // z_t += h_{t-1}·Wh  ([B,H]·[H,4H]): the one sequential GEMM per step.
        gemm(false, false, B, G, H, Hs.subarray(t * B * H, (t + 1) * B * H), H, Wh, G, 1, Z.subarray(zt, zt + B * G), G);
        if (rnn) {
          // h_t = act(a_t); Z keeps a_t (recorded, and the relu derivative needs it).
          const no = (t + 1) * B * H;
          for (let k = 0; k < B * H; k++) {
            const a = Z[zt + k];
            Hs[no + k] = reluRnn ? (a > 0 ? a : 0) : Math.tanh(a);
          }
          continue;
        }
        if (step) {
          const so = t * B * H;
          step.forward({ a: Z, o: zt }, { a: Cs, o: so }, { a: Cs, o: so + B * H }, { a: Ac, o: so }, { a: Hs, o: so + B * H }, B, H, reluCell, reluCand);
          continue;
        }
        for (let b = 0; b < B; b++) {
          const zo = zt + b * G;
          const so = t * B * H + b * H; // previous state row
          const no = so + B * H; // new state row
          for (let j = 0; j < H; j++) {
            const f = sigmoid(Z[zo + j]);
            const i = sigmoid(Z[zo + H + j]);
            const zg = Z[zo + 2 * H + j];
            const g = reluCand ? (zg > 0 ? zg : 0) : Math.tanh(zg);
            const o = sigmoid(Z[zo + 3 * H + j]);
            const c = f * Cs[so + j] + i * g; // c_t = f⊙c_{t-1} + i⊙g
            const a = reluCell ? (c > 0 ? c : 0) : Math.tanh(c);
            Z[zo + j] = f;
            Z[zo + H + j] = i;
            Z[zo + 2 * H + j] = g;
            Z[zo + 3 * H + j] = o;
            Cs[no + j] = c;
            Ac[so + j] = a;
            Hs[no + j] = o * a; // h_t = o⊙act(c_t)
          }
        }
      }
      const r = recOf.get(l);
      if (r && rnn) {
        const sb = rec!.sample;
        for (let t = 0; t < T; t++) {
          r.h.set(Hs.subarray((t + 1) * B * H + sb * H, (t + 1) * B * H + sb * H + H), t * H);
          r.a!.set(Z.subarray(t * B * G + sb * G, t * B * G + sb * G + H), t * H);
        }
      } else if (r) {
        const sb = rec!.sample;
        for (let t = 0; t < T; t++) {
          const zo = t * B * G + sb * G, so = (t + 1) * B * H + sb * H, ro = t * H;
          r.h.set(Hs.subarray(so, so + H), ro);
          r.c.set(Cs.subarray(so, so + H), ro);
          r.f.set(Z.subarray(zo, zo + H), ro);
          r.i.set(Z.subarray(zo + H, zo + 2 * H), ro);
          r.g.set(Z.subarray(zo + 2 * H, zo + 3 * H), ro);
          r.o.set(Z.subarray(zo + 3 * H, zo + 4 * H), ro);
        }
      }
    }

    const finalH = w.Hs.map((Hs) => Hs.slice(T * B * H, (T + 1) * B * H));
    const finalC = w.Cs.map((Cs) => Cs.slice(T * B * H, (T + 1) * B * H));

    // ---- read-out and loss: Y = h_top·Wr + br over all T·B rows ----
    const Htop = w.Hs[L - 1].subarray(B * H);
    const Y = w.Y;
    for (let r = 0; r < TB; r++) Y.set(wt.br, r * O);
    gemm(false, false, TB, O, H, Htop, H, wt.Wr, O, 1, Y, O);
    const mask = batch.mask;
    let msum = 0;
    for (let k = 0; k < mask.length; k++) msum += mask[k];
    const scale = msum > 0 ? 1 / msum : 0;
    let lossSum = 0;
    const stepLoss = rec ? new Float32Array(T) : undefined;
    // Per-row ∂ℓ/∂y (unweighted) of the traced sample at τ, for the reach.
    const reachDy = rec ? new Float32Array(O) : null;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const r = t * B + b, yo = r * O;
        const m = mask[b * T + t];
        let ell = 0;
        if (s.loss === 'xent') {
          const target = batch.targetTokens![b * T + t];
          let mx = -Infinity;
          for (let k = 0; k < O; k++) if (Y[yo + k] > mx) mx = Y[yo + k];
          const yt = Y[yo + target];
          let se = 0;
          // exp once per logit: Y holds e^{y−max} until it is overwritten with ∂L/∂y below.
          for (let k = 0; k < O; k++) se += Y[yo + k] = Math.exp(Y[yo + k] - mx);
          ell = -(yt - mx - Math.log(se));
          // ∂ℓ/∂y = softmax(y) − onehot(target), written in place as ∂L/∂y = m/Σm·(p − δ).
          const isReach = rec && b === rec.sample && t === rec.reachFrom;
          for (let k = 0; k < O; k++) {
            const d = Y[yo + k] / se - (k === target ? 1 : 0);
            if (isReach) reachDy![k] = d;
            Y[yo + k] = m * scale * d;
          }
        } else {
          // Mean squared error over the O outputs: ℓ = Σ_k (y_k − y*_k)² / O.
          const tg = batch.targets!;
          const isReach = rec && b === rec.sample && t === rec.reachFrom;
          for (let k = 0; k < O; k++) {
            const e = Y[yo + k] - tg[(b * T + t) * O + k];
            ell += (e * e) / O;
            const d = (2 * e) / O;
            if (isReach) reachDy![k] = d;
            Y[yo + k] = m * scale * d;
          }
        }
        lossSum += m * ell;
        if (stepLoss && b === rec!.sample) stepLoss[t] = m * ell;
      }
    }
    const loss = lossSum * scale;
    if (lossOnly) return { loss, grads: emptyGrads(), finalH, finalC };

    // Transposed weights, once per pass, so every per-step product is a plain [B,·]·[·,·] GEMM.
    const WhT = wt.Wh.map((Wh, l) => transpose(Wh, H, G, w.WhT[l]));
    const WxT = wt.Wx.map((Wx, l) => (l === 0 && s.input !== 'embedding' ? null : transpose(Wx, inWidth(l), G)));
    const WrT = transpose(wt.Wr, H, O);

    // ---- gradient reach: BPTT of ℓ_τ for the traced sample alone, before Z is overwritten ----
    if (rec) this.reach(rec, reachDy!, B, WhT, WxT, WrT, recOf, reluCell, reluCand, rnn ? (reluRnn ? 'relu' : 'tanh') : null);

    // ---- BPTT ----
    const gWx = wt.Wx.map((a) => new Float32Array(a.length));
    const gWh = wt.Wh.map((a) => new Float32Array(a.length));
    const gb = wt.b.map((a) => new Float32Array(a.length));
    const gWr = new Float32Array(wt.Wr.length);
    const gbr = new Float32Array(O);
    const gEmb = s.input === 'embedding' ? new Float32Array(wt.embedding!.length) : undefined;
    // ∂L/∂Wr = h_topᵀ·∂L/∂Y; ∂L/∂h_top = ∂L/∂Y·Wrᵀ.
    gemm(true, false, H, O, TB, Htop, H, Y, O, 0, gWr, O);
    colSums(Y, TB, O, gbr);
    gemm(false, false, TB, H, O, Y, O, WrT, H, 0, w.dHin, H);

    const { dhNext, dcNext } = w;
    for (let l = L - 1; l >= 0; l--) {
      const Z = w.Z[l], Cs = w.Cs[l], Ac = w.Ac[l], dHin = w.dHin;
      const r = recOf.get(l);
      const sb = rec ? rec.sample : -1;
      dhNext.fill(0);
      dcNext.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const zt = t * B * G;
        if (rnn) {
          const Hs = w.Hs[l];
          for (let b = 0; b < B; b++) {
            const so = t * B * H + b * H, no = so + B * H, zo = zt + b * G;
            const tracing = r !== undefined && b === sb;
            for (let j = 0; j < H; j++) {
              const dh = dHin[so + j] + dhNext[b * H + j];
              if (tracing) r.dh[t * H + j] = dh;
              // ∂L/∂a_t = ∂L/∂h_t · act'(a_t): 1 − h² for tanh, [a > 0] for relu.
              const h = Hs[no + j];
              Z[zo + j] = dh * (reluRnn ? (Z[zo + j] > 0 ? 1 : 0) : 1 - h * h);
            }
          }
        } else if (step) {
          const so = t * B * H;
          if (r !== undefined) {
            // The traced row's ∂L/∂h_t and ∂L/∂c_t, before the step overwrites the gates and dcNext.
            const zo = zt + sb * G, ro = so + sb * H;
            for (let j = 0; j < H; j++) {
              const o = Z[zo + 3 * H + j], a = Ac[ro + j];
              const dh = dHin[ro + j] + dhNext[sb * H + j];
              const dact = reluCell ? (Cs[ro + B * H + j] > 0 ? 1 : 0) : 1 - a * a;
              r.dh[t * H + j] = dh;
              r.dc[t * H + j] = dh * o * dact + dcNext[sb * H + j];
            }
          }
          step.backward({ a: Z, o: zt }, { a: Ac, o: so }, { a: Cs, o: so }, { a: Cs, o: so + B * H }, { a: dHin, o: so },
            { a: dhNext, o: 0 }, { a: dcNext, o: 0 }, B, H, reluCell, reluCand);
        } else for (let b = 0; b < B; b++) {
          const zo = zt + b * G, so = t * B * H + b * H, no = so + B * H;
          const tracing = r !== undefined && b === sb;
          for (let j = 0; j < H; j++) {
            const f = Z[zo + j], i = Z[zo + H + j], g = Z[zo + 2 * H + j], o = Z[zo + 3 * H + j];
            const a = Ac[so + j];
            // ∂L/∂h_t: from above (read-out or next layer) plus from h_{t+1} through Wh.
            const dh = dHin[so + j] + dhNext[b * H + j];
            const dact = reluCell ? (Cs[no + j] > 0 ? 1 : 0) : 1 - a * a;
            // ∂L/∂c_t = ∂L/∂h_t·o·act'(c_t) + ∂L/∂c_{t+1}·f_{t+1}.
            const dc = dh * o * dact + dcNext[b * H + j];
            if (tracing) {
              r.dh[t * H + j] = dh;
              r.dc[t * H + j] = dc;
            }
            dcNext[b * H + j] = dc * f; // ∂c_t/∂c_{t-1} = f_t
            Z[zo + j] = dc * Cs[so + j] * f * (1 - f);
            Z[zo + H + j] = dc * g * i * (1 - i);
            Z[zo + 2 * H + j] = dc * i * (reluCand ? (g > 0 ? 1 : 0) : 1 - g * g);
            Z[zo + 3 * H + j] = dh * a * o * (1 - o);
          }
        }
        // ∂L/∂h_{t-1} (recurrent part) = ∂L/∂z_t · Whᵀ.
        gemm(false, false, B, H, G, Z.subarray(zt, zt + B * G), G, WhT[l], H, 0, dhNext, H);
      }
      // Weight gradients over all timesteps at once: ∂L/∂Wh = Σ_t h_{t-1}ᵀ·∂L/∂z_t.
      gemm(true, false, H, G, TB, w.Hs[l].subarray(0, TB * H), H, Z, G, 0, gWh[l], G);
      colSums(Z, TB, G, gb[l]);
      if (l === 0 && s.input === 'onehot') {
        const g0 = gWx[0];
        for (let rr = 0; rr < TB; rr++) {
          const zo = rr * G, wo = tokTM[rr] * G;
          for (let k = 0; k < G; k++) g0[wo + k] += Z[zo + k];
        }
      } else {
        const X = l === 0 ? w.X0 : w.Hs[l - 1].subarray(B * H);
        const In = inWidth(l);
        gemm(true, false, In, G, TB, X, In, Z, G, 0, gWx[l], G);
        if (l > 0) gemm(false, false, TB, H, G, Z, G, WxT[l]!, H, 0, dHin, H);
        else if (s.input === 'embedding') {
          const E = s.embedSize;
          const dX = new Float32Array(TB * E);
          gemm(false, false, TB, E, G, Z, G, WxT[0]!, E, 0, dX, E);
          for (let rr = 0; rr < TB; rr++) {
            const eo = tokTM[rr] * E;
            for (let k = 0; k < E; k++) gEmb![eo + k] += dX[rr * E + k];
          }
        }
      }
    }

    const grads: FusedWeights = { Wx: gWx, Wh: gWh, b: gb, Wr: gWr, br: gbr };
    if (gEmb) grads.embedding = gEmb;
    const out: FusedResult = { loss, grads, finalH, finalC };
    if (rec) {
      out.stepLoss = stepLoss;
      out.records = records;
    }
    return out;
  }

  /** ‖∂ℓ_τ/∂h_t‖ and ‖∂ℓ_τ/∂c_t‖ of the traced sample for t ≤ τ: a one-sample BPTT from τ. */
  private reach(
    rec: FusedRecord,
    dy: Float32Array,
    B: number,
    WhT: Float32Array[],
    WxT: (Float32Array | null)[],
    WrT: Float32Array,
    recOf: Map<number, FusedLayerRecord>,
    reluCell: boolean,
    reluCand: boolean,
    /** The RNN's activation, or null for the LSTM. */
    rnnAct: Activation | null,
  ): void {
    const { hidden: H, layers: L, outputSize: O } = this.shape;
    const G = rnnAct ? H : 4 * H;
    const w = this.work!;
    const tau = rec.reachFrom;
    const sb = rec.sample;
    // ∂ℓ_τ/∂(output of the current layer) per t ≤ τ, [τ+1, H].
    let dIn = new Float32Array((tau + 1) * H);
    this.gemm(false, false, 1, H, O, dy, O, WrT, H, 0, dIn.subarray(tau * H, tau * H + H), H);
    const dz = new Float32Array(G);
    const dh = new Float32Array(H);
    const dcN = new Float32Array(H);
    for (let l = L - 1; l >= 0; l--) {
      const Z = w.Z[l], Cs = w.Cs[l], Ac = w.Ac[l];
      const r = recOf.get(l);
      const needBelow = l > 0;
      const dBelow = needBelow ? new Float32Array((tau + 1) * H) : null;
      const dhN = new Float32Array(H);
      dcN.fill(0);
      for (let t = tau; t >= 0; t--) {
        const zo = t * B * G + sb * G, so = t * B * H + sb * H, no = so + B * H;
        let nh = 0, nc = 0;
        if (rnnAct) {
          const Hs = w.Hs[l];
          for (let j = 0; j < H; j++) {
            const d = dIn[t * H + j] + dhN[j];
            nh += d * d;
            const h = Hs[no + j];
            dz[j] = d * (rnnAct === 'relu' ? (Z[zo + j] > 0 ? 1 : 0) : 1 - h * h);
          }
        } else for (let j = 0; j < H; j++) {
          const f = Z[zo + j], i = Z[zo + H + j], g = Z[zo + 2 * H + j], o = Z[zo + 3 * H + j];
          const a = Ac[so + j];
          const d = dIn[t * H + j] + dhN[j];
          dh[j] = d;
          const dact = reluCell ? (Cs[no + j] > 0 ? 1 : 0) : 1 - a * a;
          const dc = d * o * dact + dcN[j];
          nh += d * d;
          nc += dc * dc;
          dcN[j] = dc * f;
          dz[j] = dc * Cs[so + j] * f * (1 - f);
          dz[H + j] = dc * g * i * (1 - i);
          dz[2 * H + j] = dc * i * (reluCand ? (g > 0 ? 1 : 0) : 1 - g * g);
          dz[3 * H + j] = d * a * o * (1 - o);
        }
        if (r) {
          r.reachH[t] = Math.sqrt(nh);
          if (!rnnAct) r.reachC[t] = Math.sqrt(nc);
        }
        this.gemm(false, false, 1, H, G, dz, G, WhT[l], H, 0, dhN, H);
        if (dBelow) this.gemm(false, false, 1, H, G, dz, G, WxT[l]!, H, 0, dBelow.subarray(t * H, t * H + H), H);
      }
      if (dBelow) dIn = dBelow;
    }
  }
}

function emptyGrads(): FusedWeights {
  return { Wx: [], Wh: [], b: [], Wr: new Float32Array(0), br: new Float32Array(0) };
}

/** [rows, cols] → [cols, rows], into `out` when given. */
export function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array = new Float32Array(rows * cols)): Float32Array {
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[ro + c];
  }
  return out;
}

function colSums(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) out[c] += a[ro + c];
  }
}
