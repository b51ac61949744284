// The LSTM's recurrence for the fused network (fused-network.ts): forward over T, hand-written
// BPTT and the gradient reach, with the per-timestep elementwise maths in wasm SIMD
// (wasm/lstm-step.c) when it loaded, else in the JavaScript loops below. The recording (gates, c,
// ∂L/∂h_t, ∂L/∂c_t of one sample) is read off buffers the backward pass needs anyway. With the
// wasm kernel its buffers live in the kernel's memory, so the step maths run on them in place.
// Gate blocks f, i, g, o (GATE_ORDER.lstm) of H columns: G = 4H.

import type { Sgemm } from './gemm';
import type { LstmStep } from './wasmKernel';
import {
  emptyRecord, freeWork, sigmoid, workArray, type FusedCell, type FusedLayerRecord, type FusedShape, type LayerBuffers, type WorkHeap,
} from './fused-network';

export class LstmCell implements FusedCell {
  readonly G: number;
  /** Per layer: c_t for t = 0..T (block 0: c_0), [(T+1)·B, H]. */
  private Cs: Float32Array[] = [];
  /** Per layer: act(c_t), [T·B, H]. */
  private Ac: Float32Array[] = [];
  private dhNext: Float32Array = new Float32Array(0);
  private dcNext: Float32Array = new Float32Array(0);
  private readonly H: number;
  private readonly reluCell: boolean;
  private readonly reluCand: boolean;

  constructor(
    private readonly shape: Omit<FusedShape, 'batch' | 'steps'>,
    private readonly gemm: Sgemm,
    /** The per-timestep elementwise maths in wasm SIMD; the JavaScript loops below when absent. */
    private readonly step: LstmStep | null = null,
    /** The wasm kernel's memory for the buffers below (used in place); plain arrays when absent. */
    private readonly heap: WorkHeap = null,
  ) {
    this.H = shape.hidden;
    this.G = 4 * shape.hidden;
    this.reluCell = shape.cellActivation === 'relu';
    this.reluCand = shape.candidateActivation === 'relu';
  }

  resize(B: number, T: number): void {
    this.release();
    const { H, heap } = this, L = this.shape.layers;
    this.Cs = Array.from({ length: L }, () => workArray(heap, (T + 1) * B * H));
    this.Ac = Array.from({ length: L }, () => workArray(heap, T * B * H));
    this.dhNext = workArray(heap, B * H);
    this.dcNext = workArray(heap, B * H);
  }

  release(): void {
    freeWork(this.heap, [...this.Cs, ...this.Ac, this.dhNext, this.dcNext]);
    this.Cs = [];
    this.Ac = [];
    this.dhNext = this.dcNext = new Float32Array(0);
  }

  newRecord(layer: number, T: number): FusedLayerRecord {
    const m = (): Float32Array => new Float32Array(T * this.H);
    return { ...emptyRecord(layer), h: m(), c: m(), f: m(), i: m(), g: m(), o: m(), dh: m(), dc: m(), reachH: new Float32Array(T), reachC: new Float32Array(T) };
  }

  forward(l: number, { Z, Hs }: LayerBuffers, Wh: Float32Array, B: number, T: number, c0: Float32Array | null): void {
    const { H, G, reluCell, reluCand, step } = this;
    const Cs = this.Cs[l], Ac = this.Ac[l];
    if (c0) Cs.set(c0, 0);
    else Cs.fill(0, 0, B * H);
    for (let t = 0; t < T; t++) {
      const zt = t * B * G;
      // z_t += h_{t-1}·Wh  ([B,H]·[H,4H]): the one sequential GEMM per step.
      this.gemm(false, false, B, G, H, Hs.subarray(t * B * H, (t + 1) * B * H), H, Wh, G, 1, Z.subarray(zt, zt + B * G), G);
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
  }

  record(l: number, { Z }: LayerBuffers, r: FusedLayerRecord, sample: number, B: number, T: number): void {
    const { H, G } = this;
    const Cs = this.Cs[l];
    for (let t = 0; t < T; t++) {
      const zo = t * B * G + sample * G, so = (t + 1) * B * H + sample * H, ro = t * H;
      r.c.set(Cs.subarray(so, so + H), ro);
      r.f.set(Z.subarray(zo, zo + H), ro);
      r.i.set(Z.subarray(zo + H, zo + 2 * H), ro);
      r.g.set(Z.subarray(zo + 2 * H, zo + 3 * H), ro);
      r.o.set(Z.subarray(zo + 3 * H, zo + 4 * H), ro);
    }
  }

  finalC(l: number, B: number, T: number): Float32Array {
    return this.Cs[l].slice(T * B * this.H, (T + 1) * B * this.H);
  }

  reach(l: number, { Z }: LayerBuffers, WhT: Float32Array, dIn: Float32Array, tau: number, sb: number, B: number,
    r: FusedLayerRecord | undefined, onDz: (t: number, dz: Float32Array) => void): void {
    const { H, G, reluCell, reluCand } = this;
    const Cs = this.Cs[l], Ac = this.Ac[l];
    const dz = new Float32Array(G);
    const dhN = new Float32Array(H);
    const dcN = new Float32Array(H);
    for (let t = tau; t >= 0; t--) {
      const zo = t * B * G + sb * G, so = t * B * H + sb * H, no = so + B * H;
      let nh = 0, nc = 0;
      for (let j = 0; j < H; j++) {
        const f = Z[zo + j], i = Z[zo + H + j], g = Z[zo + 2 * H + j], o = Z[zo + 3 * H + j];
        const a = Ac[so + j];
        const d = dIn[t * H + j] + dhN[j];
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
        r.reachC[t] = Math.sqrt(nc);
      }
      this.gemm(false, false, 1, H, G, dz, G, WhT, H, 0, dhN, H);
      onDz(t, dz);
    }
  }

  backward(l: number, { Z, Hs }: LayerBuffers, dHin: Float32Array, WhT: Float32Array, gWh: Float32Array, B: number, T: number,
    r: FusedLayerRecord | undefined, sb: number): void {
    const { H, G, reluCell, reluCand, step, dhNext, dcNext } = this;
    const Cs = this.Cs[l], Ac = this.Ac[l];
    dhNext.fill(0);
    dcNext.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const zt = t * B * G;
      if (step) {
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
      this.gemm(false, false, B, H, G, Z.subarray(zt, zt + B * G), G, WhT, H, 0, dhNext, H);
    }
    // ∂L/∂Wh = Σ_t h_{t-1}ᵀ·∂L/∂z_t over all timesteps at once.
    this.gemm(true, false, H, G, T * B, Hs.subarray(0, T * B * H), H, Z, G, 0, gWh, G);
  }
}
