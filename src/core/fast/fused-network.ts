// The fused whole-sequence network on the CPU: everything around the recurrent cell — layer-0
// input (one-hot, embedding or numeric), the input projection of all timesteps at once, read-out
// and loss, the dense weight gradients and the layer-to-layer transport of BPTT and of the
// gradient reach — on flat Float32Arrays, every GEMM through one Sgemm (native BLAS, wasm SIMD or
// JS). The recurrence itself (forward over T, BPTT, what is recorded) is a FusedCell:
// lstm-kernel.ts, gru-kernel.ts, rnn-kernel.ts. With the wasm kernel, the network's and the
// cell's work buffers (and a copy of W_h, W_hᵀ) live in its memory (WasmHeap), so its GEMM and
// step maths use them in place instead of copying each operand in and out per call.
// Layout: time-major rows, row r = t·B + b; a layer's pre-activations Z are [T·B, G] with the
// cell's gate blocks (GATE_ORDER[cell]) of H columns each, G = gates·H.

import type { Activation, CellKind } from '../../protocol/spec';
import type { LossKind } from '../types';
import type { Sgemm } from './gemm';
import type { WasmHeap } from './wasmHeap';

export type FusedInput = 'onehot' | 'embedding' | 'numeric';

export interface FusedShape {
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
   * The cell (default 'lstm'): the CPU kernels run 'lstm', 'gru' and 'rnn' (activation
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
  /** Per layer [inputWidth, G], [H, G], [G]. */
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

/**
 * One layer's recording for the traced sample; every matrix [T, H]. The LSTM fills h, c, f, i,
 * g, o, dh, dc, reachH, reachC; the GRU and the vanilla RNN fill h, dh, reachH and `gates`, and
 * leave the LSTM's fields empty.
 */
export interface FusedLayerRecord {
  layer: number;
  h: Float32Array;
  c: Float32Array;
  f: Float32Array;
  i: Float32Array;
  g: Float32Array;
  o: Float32Array;
  dh: Float32Array;
  dc: Float32Array;
  /** Gates by name when the cell's are not f, i, g, o: the GRU's z, r, n; the RNN's pre-activation a. */
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
  /** Per layer [B, H]; empty for cells without a cell state. */
  finalC: Float32Array[];
  /** Per-step loss of the traced sample, mask·ℓ_t, [T]. */
  stepLoss?: Float32Array;
  records?: FusedLayerRecord[];
}

/** One layer's buffers as the network hands them to its cell. */
export interface LayerBuffers {
  /** [T·B, G]: x_t·Wx + b on entry to forward; what the cell's backward needs after it; ∂L/∂z after backward. */
  Z: Float32Array;
  /** h_{t-1} for t = 0..T, [(T+1)·B, H]: row block 0 is the initial state, block t+1 is h_t. */
  Hs: Float32Array;
}

/**
 * The recurrence of one cell kind over a whole sequence, for every layer. The cell keeps its own
 * per-layer buffers (cell state, gate products) between forward, reach and backward of one run.
 */
export interface FusedCell {
  /** Columns of Z: gate blocks × H. */
  readonly G: number;
  /** Sizes the cell's own buffers for (B, T) (called when the shape changes; reuse otherwise). */
  resize(B: number, T: number): void;
  release(): void;
  /** A record of layer `l` with the matrices this cell fills allocated ([T, H] each, reach [T]). */
  newRecord(layer: number, T: number): FusedLayerRecord;
  /**
   * Forward of layer l over t = 0..T−1: fills Hs blocks 1..T (h_t) and whatever backward needs,
   * from Z (input projection + bias), Hs block 0 (h_0) and `c0` ([B, H] or null for zeros;
   * cells without a cell state ignore it).
   */
  forward(l: number, io: LayerBuffers, Wh: Float32Array, B: number, T: number, c0: Float32Array | null): void;
  /** Copies the traced sample's gate values (and c) of layer l into r (h is copied by the network). */
  record(l: number, io: LayerBuffers, r: FusedLayerRecord, sample: number, B: number, T: number): void;
  /** c_T of layer l, [B, H], or null for cells without a cell state. */
  finalC(l: number, B: number, T: number): Float32Array | null;
  /**
   * ‖∂ℓ_τ/∂h_t‖ (‖∂ℓ_τ/∂c_t‖) into r for t ≤ τ: a one-sample BPTT of layer l from τ. dIn [τ+1, H]
   * is ∂ℓ_τ/∂(layer output) from above; onDz(t, ∂ℓ_τ/∂z_t [G]) lets the network carry it below.
   * Runs before backward, while the forward values are intact.
   */
  reach(l: number, io: LayerBuffers, WhT: Float32Array, dIn: Float32Array, tau: number, sample: number, B: number,
    r: FusedLayerRecord | undefined, onDz: (t: number, dz: Float32Array) => void): void;
  /**
   * BPTT of layer l: dHin [T·B, H] is ∂L/∂h_t from above (read-out or the layer above). Leaves
   * ∂L/∂z_t in Z for every t, writes ∂L/∂Wh into gWh, and the traced sample's ∂L/∂h_t (∂L/∂c_t)
   * into r when given.
   */
  backward(l: number, io: LayerBuffers, dHin: Float32Array, WhT: Float32Array, gWh: Float32Array, B: number, T: number,
    r: FusedLayerRecord | undefined, sample: number): void;
}

/** Where work buffers come from: blocks of the wasm kernel's memory, or plain Float32Arrays (null). */
export type WorkHeap = Pick<WasmHeap, 'alloc' | 'free'> | null;

/** `n` zeroed floats from `heap` (in the wasm kernel's memory), or a plain Float32Array without one. */
export function workArray(heap: WorkHeap, n: number): Float32Array {
  return heap ? heap.alloc(n) : new Float32Array(n);
}

/** Gives work buffers from workArray back to `heap` (nothing to do without one). */
export function freeWork(heap: WorkHeap, arrays: Iterable<Float32Array>): void {
  if (heap) for (const a of arrays) heap.free(a);
}

/** Buffers sized for one (B, T); reused across calls while the shape holds. */
interface Work {
  B: number;
  T: number;
  Z: Float32Array[];
  Hs: Float32Array[];
  /** ∂L/∂(layer output) coming from above, [T·B, H]. */
  dHin: Float32Array;
  /** Read-out logits / outputs, then ∂L/∂logits, [T·B, O]. */
  Y: Float32Array;
  /** Embedded input [T·B, E] or numeric input [T·B, I] (time-major). */
  X0: Float32Array;
  /** Per layer: W_h as the per-step GEMMs read it, [H, G] (a copy in the heap, or the weights themselves). */
  Wh: (Float32Array | null)[];
  /** Per layer: W_hᵀ, [G, H], rewritten each backward pass. */
  WhT: Float32Array[];
}

export class FusedNetwork {
  private work: Work | null = null;

  constructor(
    readonly shape: Omit<FusedShape, 'batch' | 'steps'>,
    private readonly gemm: Sgemm,
    readonly cell: FusedCell,
    /**
     * The wasm kernel's memory: the work buffers and a copy of W_h live there, so its GEMM uses
     * them in place (no copy per call). Plain Float32Arrays when absent.
     */
    private readonly heap: WorkHeap = null,
  ) {}

  private buffers(B: number, T: number): Work {
    const w = this.work;
    if (w && w.B === B && w.T === T) return w;
    const { hidden: H, layers: L, outputSize: O } = this.shape;
    const G = this.cell.G;
    const x0 = this.shape.input === 'embedding' ? this.shape.embedSize : this.shape.input === 'numeric' ? this.shape.inputSize : 0;
    this.release();
    const heap = this.heap;
    const mk = (n: number): Float32Array => workArray(heap, n);
    this.cell.resize(B, T);
    this.work = {
      B,
      T,
      Z: Array.from({ length: L }, () => mk(T * B * G)),
      Hs: Array.from({ length: L }, () => mk((T + 1) * B * H)),
      dHin: mk(T * B * H),
      Y: mk(T * B * O),
      X0: mk(T * B * x0),
      Wh: Array.from({ length: L }, () => (heap ? mk(H * G) : null)),
      WhT: Array.from({ length: L }, () => mk(G * H)),
    };
    return this.work;
  }

  /** Drops the work buffers, the network's and the cell's (they are rebuilt on the next call). */
  release(): void {
    const w = this.work;
    this.work = null;
    this.cell.release();
    if (!w) return;
    freeWork(this.heap, [...w.Z, ...w.Hs, w.dHin, w.Y, w.X0, ...w.WhT]);
    for (const a of w.Wh) if (a) freeWork(this.heap, [a]);
  }

  /**
   * Forward, loss and (unless `lossOnly`) BPTT for one batch.
   * initialH/initialC: per layer [B, H] or null for zeros (initialC: LSTM only).
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
    const cell = this.cell;
    const G = cell.G;
    const gemm = this.gemm;
    const w = this.buffers(B, T);
    const TB = T * B;
    const layer = (l: number): LayerBuffers => ({ Z: w.Z[l], Hs: w.Hs[l] });

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
    const records: FusedLayerRecord[] = [];
    const recOf = new Map<number, FusedLayerRecord>();
    if (rec) {
      for (const l of [...new Set(rec.layers)].sort((a, b) => a - b)) {
        const r = cell.newRecord(l, T);
        records.push(r);
        recOf.set(l, r);
      }
    }

    // ---- forward, layer by layer over the whole sequence ----
    for (let l = 0; l < L; l++) {
      const Z = w.Z[l], Hs = w.Hs[l];
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
      const Wh = w.Wh[l] ?? wt.Wh[l];
      if (Wh !== wt.Wh[l]) Wh.set(wt.Wh[l]);
      cell.forward(l, layer(l), Wh, B, T, initialC?.[l] ?? null);
      const r = recOf.get(l);
      if (r) {
        const o = (B + rec!.sample) * H; // h_t of the traced sample: block t+1, row `sample`
        for (let t = 0; t < T; t++) r.h.set(Hs.subarray(o + t * B * H, o + t * B * H + H), t * H);
        cell.record(l, layer(l), r, rec!.sample, B, T);
      }
    }

    const finalH = w.Hs.map((Hs) => Hs.slice(T * B * H, (T + 1) * B * H));
    const finalC: Float32Array[] = [];
    for (let l = 0; l < L; l++) {
      const c = cell.finalC(l, B, T);
      if (c) finalC.push(c);
    }

    // ---- read-out and loss: Y = h_top·Wr + br over all T·B rows ----
    const Htop = w.Hs[L - 1].subarray(B * H);
    const Y = w.Y;
    for (let r = 0; r < TB; r++) Y.set(wt.br, r * O);
    gemm(false, false, TB, O, H, Htop, H, wt.Wr, O, 1, Y, O);
    const { loss, stepLoss, reachDy } = this.loss(batch, Y, B, T, rec);
    if (lossOnly) return { loss, grads: emptyGrads(), finalH, finalC };

    // Transposed weights, once per pass, so every per-step product is a plain [B,·]·[·,·] GEMM.
    const WhT = wt.Wh.map((Wh, l) => transpose(Wh, H, G, w.WhT[l]));
    const WxT = wt.Wx.map((Wx, l) => (l === 0 && s.input !== 'embedding' ? null : transpose(Wx, inWidth(l), G)));
    const WrT = transpose(wt.Wr, H, O);

    // ---- gradient reach: BPTT of ℓ_τ for the traced sample alone, before BPTT overwrites Z ----
    if (rec) {
      const tau = rec.reachFrom;
      // ∂ℓ_τ/∂(output of the current layer) per t ≤ τ, [τ+1, H].
      let dIn = new Float32Array((tau + 1) * H);
      gemm(false, false, 1, H, O, reachDy!, O, WrT, H, 0, dIn.subarray(tau * H, tau * H + H), H);
      for (let l = L - 1; l >= 0; l--) {
        const below = l > 0 ? new Float32Array((tau + 1) * H) : null;
        const WxTl = WxT[l];
        cell.reach(l, layer(l), WhT[l], dIn, tau, rec.sample, B, recOf.get(l), (t, dz) => {
          if (below) gemm(false, false, 1, H, G, dz, G, WxTl!, H, 0, below.subarray(t * H, t * H + H), H);
        });
        if (below) dIn = below;
      }
    }

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

    for (let l = L - 1; l >= 0; l--) {
      cell.backward(l, layer(l), w.dHin, WhT[l], gWh[l], B, T, recOf.get(l), rec ? rec.sample : -1);
      const Z = w.Z[l]; // now ∂L/∂z_t for every t
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
        // ∂L/∂Wx = Σ_t x_tᵀ·∂L/∂z_t; ∂L/∂x_t = ∂L/∂z_t·Wxᵀ (the layer below's dHin, or the embedding's).
        gemm(true, false, In, G, TB, X, In, Z, G, 0, gWx[l], G);
        if (l > 0) gemm(false, false, TB, H, G, Z, G, WxT[l]!, H, 0, w.dHin, H);
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

  /**
   * The loss L = Σ mask·ℓ / Σ mask from the read-out Y [T·B, O], which is overwritten with ∂L/∂Y;
   * the traced sample's per-step loss and its unweighted ∂ℓ_τ/∂y at τ (for the reach).
   */
  private loss(batch: FusedBatch, Y: Float32Array, B: number, T: number, rec: FusedRecord | null):
    { loss: number; stepLoss: Float32Array | undefined; reachDy: Float32Array | null } {
    const s = this.shape;
    const O = s.outputSize;
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
        const isReach = rec !== null && b === rec.sample && t === rec.reachFrom;
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
          for (let k = 0; k < O; k++) {
            const d = Y[yo + k] / se - (k === target ? 1 : 0);
            if (isReach) reachDy![k] = d;
            Y[yo + k] = m * scale * d;
          }
        } else {
          // Mean squared error over the O outputs: ℓ = Σ_k (y_k − y*_k)² / O.
          const tg = batch.targets!;
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
    return { loss: lossSum * scale, stepLoss, reachDy };
  }
}

function emptyGrads(): FusedWeights {
  return { Wx: [], Wh: [], b: [], Wr: new Float32Array(0), br: new Float32Array(0) };
}

/** An empty record (every field zero-length) for `layer`; the cells fill in what they record. */
export function emptyRecord(layer: number): FusedLayerRecord {
  const e = (): Float32Array => new Float32Array(0);
  return { layer, h: e(), c: e(), f: e(), i: e(), g: e(), o: e(), dh: e(), dc: e(), reachH: e(), reachC: e() };
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

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
