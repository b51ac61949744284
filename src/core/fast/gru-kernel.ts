// The GRU's recurrence for the fused network (fused-network.ts): forward over T, hand-written
// BPTT and the gradient reach, the per-timestep elementwise maths in wasm SIMD (wasm/gru-step.c)
// when it loaded, else in the JavaScript loops below. The formulation is the op-by-op engine's
// and tf.layers.gru's (reset_after = false, Keras' default; src/core/tfjsEngine/cellStep.ts, float64Reference.ts):
//   z = σ(x·Wx_z + h_{t-1}·Wh_z + b_z)             update gate
//   r = σ(x·Wx_r + h_{t-1}·Wh_r + b_r)             reset gate
//   n = tanh(x·Wx_n + (r ⊙ h_{t-1})·Wh_n + b_n)    candidate
//   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
// Gate blocks z, r, n (GATE_ORDER.gru) of H columns: G = 3H. Two sequential GEMMs per step: [z r]
// from h_{t-1}, then n from r ⊙ h_{t-1}. Records h, z, r, n, ∂L/∂h_t and the reach (no cell state).
// With the wasm kernel its buffers live in the kernel's memory, so the step maths run on them in place.

import type { Sgemm } from './gemm';
import type { GruStep } from './wasmKernel';
import {
  emptyRecord, freeWork, sigmoid, workArray, type FusedCell, type FusedLayerRecord, type FusedShape, type LayerBuffers, type WorkHeap,
} from './fused-network';

export class GruCell implements FusedCell {
  readonly G: number;
  private readonly H: number;
  /** Per layer: r_t ⊙ h_{t-1}, [T·B, H] (the input of Wh_n, and of its gradient). */
  private RH: Float32Array[] = [];
  private dhNext: Float32Array = new Float32Array(0);
  /** ∂L/∂(r ⊙ h_{t-1}) of one step, [B, H]. */
  private dRH: Float32Array = new Float32Array(0);

  constructor(
    private readonly shape: Omit<FusedShape, 'batch' | 'steps'>,
    private readonly gemm: Sgemm,
    /** The per-timestep elementwise maths in wasm SIMD; the JavaScript loops below when absent. */
    private readonly step: GruStep | null = null,
    /** The wasm kernel's memory for the buffers below (used in place); plain arrays when absent. */
    private readonly heap: WorkHeap = null,
  ) {
    this.H = shape.hidden;
    this.G = 3 * shape.hidden;
  }

  resize(B: number, T: number): void {
    this.release();
    const { H, heap } = this;
    this.RH = Array.from({ length: this.shape.layers }, () => workArray(heap, T * B * H));
    this.dhNext = workArray(heap, B * H);
    this.dRH = workArray(heap, B * H);
  }

  release(): void {
    freeWork(this.heap, [...this.RH, this.dhNext, this.dRH]);
    this.RH = [];
    this.dhNext = this.dRH = new Float32Array(0);
  }

  newRecord(layer: number, T: number): FusedLayerRecord {
    const m = (): Float32Array => new Float32Array(T * this.H);
    return { ...emptyRecord(layer), h: m(), dh: m(), gates: { z: m(), r: m(), n: m() }, reachH: new Float32Array(T) };
  }

  forward(l: number, { Z, Hs }: LayerBuffers, Wh: Float32Array, B: number, T: number): void {
    const { H, G, step } = this;
    const RH = this.RH[l];
    const WhN = Wh.subarray(2 * H); // columns 2H..3H of [H, 3H], leading dimension 3H
    for (let t = 0; t < T; t++) {
      const zt = t * B * G, so = t * B * H, no = so + B * H;
      const hPrev = Hs.subarray(so, no);
      // [z̄ r̄] += h_{t-1}·[Wh_z Wh_r]  ([B,H]·[H,2H]).
      this.gemm(false, false, B, 2 * H, H, hPrev, H, Wh, G, 1, Z.subarray(zt, zt + B * G), G);
      if (step) step.gates({ a: Z, o: zt }, { a: Hs, o: so }, { a: RH, o: so }, B, H);
      else for (let b = 0; b < B; b++) {
        const zo = zt + b * G, ho = so + b * H;
        for (let j = 0; j < H; j++) {
          const z = sigmoid(Z[zo + j]);
          const r = sigmoid(Z[zo + H + j]);
          Z[zo + j] = z;
          Z[zo + H + j] = r;
          RH[ho + j] = r * Hs[ho + j];
        }
      }
      // n̄ += (r ⊙ h_{t-1})·Wh_n  ([B,H]·[H,H]).
      this.gemm(false, false, B, H, H, RH.subarray(so, no), H, WhN, G, 1, Z.subarray(zt + 2 * H, zt + B * G), G);
      if (step) step.state({ a: Z, o: zt }, { a: Hs, o: so }, { a: Hs, o: no }, B, H);
      else for (let b = 0; b < B; b++) {
        const zo = zt + b * G, ho = so + b * H;
        for (let j = 0; j < H; j++) {
          const n = Math.tanh(Z[zo + 2 * H + j]);
          Z[zo + 2 * H + j] = n;
          const hp = Hs[ho + j];
          Hs[ho + B * H + j] = n + Z[zo + j] * (hp - n); // h_t = z⊙h_{t-1} + (1 − z)⊙n
        }
      }
    }
  }

  record(_l: number, { Z }: LayerBuffers, r: FusedLayerRecord, sample: number, B: number, T: number): void {
    const { H, G } = this;
    const { z, r: rr, n } = r.gates!;
    for (let t = 0; t < T; t++) {
      const zo = t * B * G + sample * G, ro = t * H;
      z.set(Z.subarray(zo, zo + H), ro);
      rr.set(Z.subarray(zo + H, zo + 2 * H), ro);
      n.set(Z.subarray(zo + 2 * H, zo + 3 * H), ro);
    }
  }

  finalC(): null {
    return null;
  }

  reach(_l: number, { Z, Hs }: LayerBuffers, WhT: Float32Array, dIn: Float32Array, tau: number, sb: number, B: number,
    r: FusedLayerRecord | undefined, onDz: (t: number, dz: Float32Array) => void): void {
    const { H, G } = this;
    const dz = new Float32Array(G);
    const dhN = new Float32Array(H);
    const dRH = new Float32Array(H);
    const WhNT = WhT.subarray(2 * H * H); // rows 2H..3H of Whᵀ [3H, H]: Wh_nᵀ
    for (let t = tau; t >= 0; t--) {
      const zo = t * B * G + sb * G, ho = t * B * H + sb * H;
      let nh = 0;
      for (let j = 0; j < H; j++) {
        const d = dIn[t * H + j] + dhN[j];
        nh += d * d;
        const z = Z[zo + j], n = Z[zo + 2 * H + j];
        dz[j] = d * (Hs[ho + j] - n) * z * (1 - z);
        dz[2 * H + j] = d * (1 - z) * (1 - n * n);
        dhN[j] = d * z;
      }
      if (r) r.reachH[t] = Math.sqrt(nh);
      this.gemm(false, false, 1, H, H, dz.subarray(2 * H), H, WhNT, H, 0, dRH, H);
      for (let j = 0; j < H; j++) {
        const rr = Z[zo + H + j];
        dz[H + j] = dRH[j] * Hs[ho + j] * rr * (1 - rr);
        dhN[j] += dRH[j] * rr;
      }
      this.gemm(false, false, 1, H, 2 * H, dz, G, WhT, H, 1, dhN, H);
      onDz(t, dz);
    }
  }

  backward(l: number, { Z, Hs }: LayerBuffers, dHin: Float32Array, WhT: Float32Array, gWh: Float32Array, B: number, T: number,
    r: FusedLayerRecord | undefined, sb: number): void {
    const { H, G, step, dhNext, dRH } = this;
    const RH = this.RH[l];
    const WhNT = WhT.subarray(2 * H * H); // rows 2H..3H of Whᵀ [3H, H]: Wh_nᵀ [H, H]
    dhNext.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const zt = t * B * G, so = t * B * H;
      if (r !== undefined) for (let j = 0; j < H; j++) r.dh[t * H + j] = dHin[so + sb * H + j] + dhNext[sb * H + j];
      if (step) step.backwardUpdate({ a: Z, o: zt }, { a: Hs, o: so }, { a: dHin, o: so }, { a: dhNext, o: 0 }, B, H);
      else for (let b = 0; b < B; b++) {
        const zo = zt + b * G, ho = so + b * H;
        for (let j = 0; j < H; j++) {
          // ∂L/∂h_t: from above (read-out or next layer) plus from step t+1.
          const dh = dHin[ho + j] + dhNext[b * H + j];
          const z = Z[zo + j], n = Z[zo + 2 * H + j];
          Z[zo + j] = dh * (Hs[ho + j] - n) * z * (1 - z); // ∂L/∂z̄ = ∂L/∂h·(h_{t-1} − n)·σ'
          Z[zo + 2 * H + j] = dh * (1 - z) * (1 - n * n); // ∂L/∂n̄ = ∂L/∂h·(1 − z)·tanh'
          dhNext[b * H + j] = dh * z; // the direct path: ∂h_t/∂h_{t-1} ∋ diag(z)
        }
      }
      // ∂L/∂(r ⊙ h_{t-1}) = ∂L/∂n̄·Wh_nᵀ.
      this.gemm(false, false, B, H, H, Z.subarray(zt + 2 * H, zt + B * G), G, WhNT, H, 0, dRH, H);
      if (step) step.backwardReset({ a: Z, o: zt }, { a: Hs, o: so }, { a: dRH, o: 0 }, { a: dhNext, o: 0 }, B, H);
      else for (let b = 0; b < B; b++) {
        const zo = zt + b * G, ho = so + b * H, bo = b * H;
        for (let j = 0; j < H; j++) {
          const rr = Z[zo + H + j];
          Z[zo + H + j] = dRH[bo + j] * Hs[ho + j] * rr * (1 - rr); // ∂L/∂r̄
          dhNext[bo + j] += dRH[bo + j] * rr; // through r ⊙ h_{t-1}
        }
      }
      // ∂L/∂h_{t-1} += [∂L/∂z̄ ∂L/∂r̄]·[Wh_z Wh_r]ᵀ.
      this.gemm(false, false, B, H, 2 * H, Z.subarray(zt, zt + B * G), G, WhT, H, 1, dhNext, H);
    }
    // ∂L/∂[Wh_z Wh_r] = Σ_t h_{t-1}ᵀ·∂L/∂[z̄ r̄]; ∂L/∂Wh_n = Σ_t (r ⊙ h_{t-1})ᵀ·∂L/∂n̄.
    const TB = T * B;
    this.gemm(true, false, H, 2 * H, TB, Hs.subarray(0, TB * H), H, Z, G, 0, gWh, G);
    this.gemm(true, false, H, H, TB, RH, H, Z.subarray(2 * H), G, 0, gWh.subarray(2 * H), G);
  }
}
