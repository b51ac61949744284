// The vanilla RNN's recurrence for the fused network (fused-network.ts): h_t = act(a_t),
// a_t = x_t·Wx + h_{t-1}·Wh + b, one block (G = H) holding a_t. Forward over T, hand-written BPTT
// and the gradient reach, the per-timestep elementwise maths (a tanh or relu per unit) in wasm
// SIMD (wasm/rnn-step.c) when it loaded, else in the JavaScript loops below: V8's Math.tanh over
// B·H units took longer than the step's GEMM. Records h, a, ∂L/∂h_t and the reach.

import type { Sgemm } from './gemm';
import type { RnnStep } from './wasmKernel';
import { emptyRecord, freeWork, workArray, type FusedCell, type FusedLayerRecord, type FusedShape, type LayerBuffers, type WorkHeap } from './fused-network';

export class RnnCell implements FusedCell {
  readonly G: number;
  private readonly H: number;
  private readonly relu: boolean;
  private dhNext: Float32Array = new Float32Array(0);

  constructor(
    shape: Omit<FusedShape, 'batch' | 'steps'>,
    private readonly gemm: Sgemm,
    /** The per-timestep elementwise maths in wasm SIMD; the JavaScript loops below when absent. */
    private readonly step: RnnStep | null = null,
    /** The wasm kernel's memory for dhNext (used in place by its GEMM and step); a plain array when absent. */
    private readonly heap: WorkHeap = null,
  ) {
    this.H = this.G = shape.hidden;
    this.relu = shape.rnnActivation === 'relu';
  }

  resize(B: number): void {
    this.release();
    this.dhNext = workArray(this.heap, B * this.H);
  }

  release(): void {
    freeWork(this.heap, [this.dhNext]);
    this.dhNext = new Float32Array(0);
  }

  newRecord(layer: number, T: number): FusedLayerRecord {
    const m = (): Float32Array => new Float32Array(T * this.H);
    return { ...emptyRecord(layer), h: m(), dh: m(), gates: { a: m() }, reachH: new Float32Array(T) };
  }

  forward(_l: number, { Z, Hs }: LayerBuffers, Wh: Float32Array, B: number, T: number): void {
    const { H, relu, step } = this;
    for (let t = 0; t < T; t++) {
      const zt = t * B * H;
      // a_t += h_{t-1}·Wh.
      this.gemm(false, false, B, H, H, Hs.subarray(t * B * H, (t + 1) * B * H), H, Wh, H, 1, Z.subarray(zt, zt + B * H), H);
      // h_t = act(a_t); Z keeps a_t (recorded, and the relu derivative needs it).
      const no = (t + 1) * B * H;
      if (step) step.forward({ a: Z, o: zt }, { a: Hs, o: no }, B, H, relu);
      else for (let k = 0; k < B * H; k++) {
        const a = Z[zt + k];
        Hs[no + k] = relu ? (a > 0 ? a : 0) : Math.tanh(a);
      }
    }
  }

  record(_l: number, { Z }: LayerBuffers, r: FusedLayerRecord, sample: number, B: number, T: number): void {
    const H = this.H, a = r.gates!.a;
    for (let t = 0; t < T; t++) a.set(Z.subarray((t * B + sample) * H, (t * B + sample) * H + H), t * H);
  }

  finalC(): null {
    return null;
  }

  reach(_l: number, { Z, Hs }: LayerBuffers, WhT: Float32Array, dIn: Float32Array, tau: number, sb: number, B: number,
    r: FusedLayerRecord | undefined, onDz: (t: number, dz: Float32Array) => void): void {
    const { H, relu } = this;
    const dz = new Float32Array(H);
    const dhN = new Float32Array(H);
    for (let t = tau; t >= 0; t--) {
      const zo = (t * B + sb) * H, no = zo + B * H;
      let nh = 0;
      for (let j = 0; j < H; j++) {
        const d = dIn[t * H + j] + dhN[j];
        nh += d * d;
        const h = Hs[no + j];
        dz[j] = d * (relu ? (Z[zo + j] > 0 ? 1 : 0) : 1 - h * h);
      }
      if (r) r.reachH[t] = Math.sqrt(nh);
      this.gemm(false, false, 1, H, H, dz, H, WhT, H, 0, dhN, H);
      onDz(t, dz);
    }
  }

  backward(_l: number, { Z, Hs }: LayerBuffers, dHin: Float32Array, WhT: Float32Array, gWh: Float32Array, B: number, T: number,
    r: FusedLayerRecord | undefined, sb: number): void {
    const { H, relu, step, dhNext } = this;
    dhNext.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const zt = t * B * H;
      if (step) {
        if (r !== undefined) for (let j = 0; j < H; j++) r.dh[t * H + j] = dHin[zt + sb * H + j] + dhNext[sb * H + j];
        step.backward({ a: Z, o: zt }, { a: Hs, o: zt + B * H }, { a: dHin, o: zt }, { a: dhNext, o: 0 }, B, H, relu);
      } else for (let b = 0; b < B; b++) {
        const so = zt + b * H, no = so + B * H;
        const tracing = r !== undefined && b === sb;
        for (let j = 0; j < H; j++) {
          // ∂L/∂h_t: from above plus from h_{t+1} through Wh.
          const dh = dHin[so + j] + dhNext[b * H + j];
          if (tracing) r.dh[t * H + j] = dh;
          // ∂L/∂a_t = ∂L/∂h_t · act'(a_t): 1 − h² for tanh, [a > 0] for relu.
          const h = Hs[no + j];
          Z[so + j] = dh * (relu ? (Z[so + j] > 0 ? 1 : 0) : 1 - h * h);
        }
      }
      // ∂L/∂h_{t-1} (recurrent part) = ∂L/∂a_t · Whᵀ.
      this.gemm(false, false, B, H, H, Z.subarray(zt, zt + B * H), H, WhT, H, 0, dhNext, H);
    }
    // ∂L/∂Wh = Σ_t h_{t-1}ᵀ·∂L/∂a_t.
    this.gemm(true, false, H, H, T * B, Hs.subarray(0, T * B * H), H, Z, H, 0, gWh, H);
  }
}
