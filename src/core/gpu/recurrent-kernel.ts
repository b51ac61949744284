// The fused recurrent network on WebGPU, every cell (LSTM and its variants, GRU, vanilla RNN): the
// same contract as the CPU kernel (FusedNetwork.run: forward over the whole sequence, read-out, loss,
// BPTT, weight gradients and the recording of one sample), with every stage in WGSL (shaders.ts). Per step the weights go up and the gradients, the per-row
// losses and the final state come back; the recording is gathered on the GPU and read back only
// on trace steps.
/// <reference types="webgpu" />

import type { FusedBatch, FusedLayerRecord, FusedRecord, FusedResult, FusedShape, FusedWeights } from '../fast/fused-network';
import type { LstmBlocks } from '../float64Reference';
import { GATE_ORDER, type Activation, type CellKind } from '../../protocol/spec';
import type { GpuDevice } from './dawn';
import { WG, kernelSource, type KernelName } from './shaders';

/** Floats of one region of the arena. */
interface Region {
  off: number;
  len: number;
}

/** The arena layout for one (B, T). */
interface Layout {
  B: number;
  T: number;
  floats: number;
  Wx: Region[]; Wh: Region[]; b: Region[]; Wr: Region; br: Region;
  /** Gradients, contiguous (one copy back): gWx, gWh, gb per layer, gWr, gbr, then rowLoss and dX0. */
  gWx: Region[]; gWh: Region[]; gb: Region[]; gWr: Region; gbr: Region;
  rowLoss: Region;
  dX0: Region;
  readback: Region;
  X0: Region; target: Region; mask: Region;
  Z: Region[]; DZ: Region[]; Hs: Region[]; Cs: Region[]; Ac: Region[]; DH: Region[]; DC: Region[];
  dHin: Region; Y: Region; dcn: Region;
  /** Gradient reach (one-sample BPTT from τ): its own ∂L/∂h input, ∂L/∂z and ∂h, ∂c per layer. */
  dHinR: Region; DZR: Region; DHR: Region[]; DCR: Region[]; dyR: Region; dcnR: Region;
  /** Recording of the traced sample: per layer h, c, f, i, g, o, dh, dc, reach dh, reach dc ([T, H] each). */
  rec: Region;
}

const REC_FIELDS = ['h', 'c', 'f', 'i', 'g', 'o', 'dh', 'dc', 'rdh', 'rdc'] as const;

interface Dispatch {
  kernel: KernelName;
  params: number[];
  groups: [number, number];
}

const f32bits = (x: number): number => {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
};

/** Thrown for sizes the adapter cannot hold; names the limit and the size asked for. */
export class GpuLimitError extends Error {}

/** The kernel's shape: the fused shape, plus the gate blocks of an LSTM variant (default f, i, g, o). */
export type GpuRecurrentShape = Omit<FusedShape, 'batch' | 'steps'> & {
  /** Default 'lstm'. The GRU and the vanilla RNN have kernels of their own; the rest is shared. */
  cell?: CellKind;
  blocks?: LstmBlocks;
  rnnActivation?: Activation;
};

const PARAM_BYTES = 80;
const NONE = 0xffffffff;

export class GpuRecurrent {
  private layout: Layout | null = null;
  private arena: GPUBuffer | null = null;
  private staging: GPUBuffer | null = null;
  /** The buffers of the previous (B, T): training and validation batches alternate between two shapes. */
  private spare: { layout: Layout; arena: GPUBuffer; staging: GPUBuffer } | null = null;
  private uniforms: GPUBuffer | null = null;
  private uniformSlots = 0;
  private bindGroup: GPUBindGroup | null = null;
  private readonly bindLayout: GPUBindGroupLayout;
  private readonly pipelines = new Map<KernelName, GPUComputePipeline>();
  private readonly slot: number;
  private readonly blocks: LstmBlocks;
  /** Gate blocks present: 4 for the LSTM, 3 or 2 for its variants, 3 for the GRU, 1 for the RNN. */
  private readonly nb: number;
  private readonly kind: 'lstm' | 'gru' | 'rnn';

  private constructor(
    readonly shape: GpuRecurrentShape,
    private readonly gpu: GpuDevice,
  ) {
    const d = gpu.device;
    const align = gpu.limits.minUniformBufferOffsetAlignment;
    this.slot = Math.ceil(PARAM_BYTES / align) * align;
    this.blocks = shape.blocks ?? { f: 0, i: 1, g: 2, o: 3 };
    const cell = shape.cell ?? 'lstm';
    this.kind = cell === 'gru' || cell === 'rnn' ? cell : 'lstm';
    this.nb = this.kind === 'lstm' ? [this.blocks.f, this.blocks.i, this.blocks.g, this.blocks.o].filter((k) => k >= 0).length : GATE_ORDER[cell].length;
    this.bindLayout = d.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'storage' } },
        { binding: 1, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAM_BYTES } },
      ],
    });
  }

  /** Compiles every kernel; a compile error names the adapter. */
  static async create(shape: GpuRecurrentShape, gpu: GpuDevice): Promise<GpuRecurrent> {
    const k = new GpuRecurrent(shape, gpu);
    const d = gpu.device;
    const layout = d.createPipelineLayout({ bindGroupLayouts: [k.bindLayout] });
    for (const name of ['matmul', 'colsum', 'fill', 'gather', 'loss', ...(k.kind === 'lstm' ? ['lstmForward', 'lstmBackward'] : k.kind === 'gru' ? ['gruForward', 'gruBackward'] : ['rnnForward', 'rnnBackward'])] as KernelName[]) {
      d.pushErrorScope('validation');
      const module = d.createShaderModule({ code: kernelSource(name), label: name });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      const pipeline = d.createComputePipeline({ layout, compute: { module, entryPoint: 'main' }, label: name });
      const err = await d.popErrorScope();
      if (errors.length || err) {
        const what = errors.length ? errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ') : err!.message;
        throw new Error(`the GPU kernel '${name}' did not compile on ${gpu.adapterName} (${gpu.api}): ${what.split('\n')[0]}`);
      }
      k.pipelines.set(name, pipeline);
    }
    return k;
  }

  private inWidth(l: number): number {
    const s = this.shape;
    return l > 0 ? s.hidden : s.input === 'embedding' ? s.embedSize : s.inputSize;
  }

  /** Float layout of the arena for (B, T); throws GpuLimitError when it exceeds the adapter. */
  plan(B: number, T: number): Layout {
    const s = this.shape;
    const { hidden: H, layers: L, outputSize: O } = s;
    const G = this.nb * H;
    const TB = T * B;
    let n = 0;
    const r = (len: number): Region => {
      const reg = { off: n, len };
      n += len;
      return reg;
    };
    const per = (len: (l: number) => number): Region[] => Array.from({ length: L }, (_, l) => r(len(l)));
    const Wx = per((l) => this.inWidth(l) * G);
    const Wh = per(() => H * G);
    const b = per(() => G);
    const Wr = r(H * O);
    const br = r(O);
    const gStart = n;
    const gWx = per((l) => this.inWidth(l) * G);
    const gWh = per(() => H * G);
    const gb = per(() => G);
    const gWr = r(H * O);
    const gbr = r(O);
    const rowLoss = r(TB);
    const dX0 = r(s.input === 'embedding' ? TB * s.embedSize : 0);
    const readback = { off: gStart, len: n - gStart };
    const layout: Layout = {
      B, T, floats: 0, Wx, Wh, b, Wr, br, gWx, gWh, gb, gWr, gbr, rowLoss, dX0, readback,
      X0: r(TB * this.inWidth(0)),
      target: r(TB * (s.loss === 'xent' ? 1 : O)),
      mask: r(TB),
      Z: per(() => TB * G), DZ: per(() => TB * G),
      Hs: per(() => (TB + B) * H), Cs: per(() => (TB + B) * H), Ac: per(() => TB * H),
      DH: per(() => TB * H), DC: per(() => TB * H),
      dHin: r(TB * H), Y: r(TB * O), dcn: r(B * H),
      dHinR: r(TB * H), DZR: r(TB * G), DHR: per(() => TB * H), DCR: per(() => TB * H), dyR: r(O), dcnR: r(B * H),
      rec: r(L * REC_FIELDS.length * T * H),
    };
    layout.floats = n;
    const bytes = n * 4;
    const lim = this.gpu.limits;
    const what = `hidden ${H}, ${L} layer(s), batch ${B}, sequence ${T}: the GPU engine needs ${(bytes / 2 ** 20).toFixed(1)} MiB in one storage buffer`;
    if (bytes > lim.maxStorageBufferBindingSize) {
      throw new GpuLimitError(`${what}, over ${this.gpu.adapterName}'s maxStorageBufferBindingSize of ${(lim.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB; lower hiddenSize, batchSize or seqLength`);
    }
    if (bytes > lim.maxBufferSize) {
      throw new GpuLimitError(`${what}, over ${this.gpu.adapterName}'s maxBufferSize of ${(lim.maxBufferSize / 2 ** 20).toFixed(0)} MiB; lower hiddenSize, batchSize or seqLength`);
    }
    const groups = Math.max(Math.ceil(TB / 8), Math.ceil(Math.max(G, H * O, TB) / WG), B);
    if (groups > lim.maxComputeWorkgroupsPerDimension) {
      throw new GpuLimitError(`batch ${B} × sequence ${T} needs ${groups} workgroups in one dimension, over ${this.gpu.adapterName}'s maxComputeWorkgroupsPerDimension of ${lim.maxComputeWorkgroupsPerDimension}; lower batchSize or seqLength`);
    }
    return layout;
  }

  private async buffers(B: number, T: number): Promise<Layout> {
    if (this.layout && this.layout.B === B && this.layout.T === T) return this.layout;
    const previous = this.layout ? { layout: this.layout, arena: this.arena!, staging: this.staging! } : null;
    if (this.spare && this.spare.layout.B === B && this.spare.layout.T === T) {
      ({ layout: this.layout, arena: this.arena, staging: this.staging } = this.spare);
      this.spare = previous;
      this.bindGroup = null;
      return this.layout;
    }
    this.spare?.arena.destroy();
    this.spare?.staging.destroy();
    this.spare = null;
    const layout = this.plan(B, T);
    const d = this.gpu.device;
    const u = this.gpu.usage;
    d.pushErrorScope('out-of-memory');
    const arena = d.createBuffer({ size: layout.floats * 4, usage: u.STORAGE | u.COPY_SRC | u.COPY_DST, label: 'rnn arena' });
    const stagingFloats = Math.max(layout.readback.len + 2 * this.shape.layers * B * this.shape.hidden, layout.rec.len);
    const staging = d.createBuffer({ size: stagingFloats * 4, usage: u.MAP_READ | u.COPY_DST, label: 'rnn readback' });
    const oom = await d.popErrorScope();
    if (oom) {
      arena.destroy();
      staging.destroy();
      this.release();
      throw new GpuLimitError(`out of GPU memory on ${this.gpu.adapterName}: ${(layout.floats * 4 / 2 ** 20).toFixed(1)} MiB for hidden ${this.shape.hidden}, batch ${B}, sequence ${T} did not fit; lower hiddenSize, batchSize or seqLength`);
    }
    this.spare = previous;
    this.arena = arena;
    this.staging = staging;
    this.layout = layout;
    this.bindGroup = null;
    return layout;
  }

  /** Drops the GPU buffers (rebuilt on the next call). */
  release(): void {
    this.arena?.destroy();
    this.staging?.destroy();
    this.spare?.arena.destroy();
    this.spare?.staging.destroy();
    this.spare = null;
    this.uniforms?.destroy();
    this.arena = this.staging = this.uniforms = null;
    this.layout = null;
    this.bindGroup = null;
    this.uniformSlots = 0;
  }

  private ensureUniforms(n: number): void {
    if (this.uniforms && this.uniformSlots >= n) return;
    this.uniforms?.destroy();
    this.uniformSlots = Math.max(n, 64);
    this.uniforms = this.gpu.device.createBuffer({ size: this.uniformSlots * this.slot, usage: this.gpu.usage.UNIFORM | this.gpu.usage.COPY_DST, label: 'rnn params' });
    this.bindGroup = null;
  }

  private encode(list: Dispatch[], enc: GPUCommandEncoder): void {
    this.ensureUniforms(list.length);
    const d = this.gpu.device;
    if (!this.bindGroup) {
      this.bindGroup = d.createBindGroup({
        layout: this.bindLayout,
        entries: [
          { binding: 0, resource: { buffer: this.arena! } },
          { binding: 1, resource: { buffer: this.uniforms!, size: PARAM_BYTES } },
        ],
      });
    }
    const words = this.slot / 4;
    const data = new Uint32Array(list.length * words);
    list.forEach((x, k) => data.set(x.params, k * words));
    d.queue.writeBuffer(this.uniforms!, 0, data);
    const pass = enc.beginComputePass();
    list.forEach((x, k) => {
      pass.setPipeline(this.pipelines.get(x.kernel)!);
      pass.setBindGroup(0, this.bindGroup!, [k * this.slot]);
      pass.dispatchWorkgroups(x.groups[0], x.groups[1]);
    });
    pass.end();
  }

  private checkLost(): void {
    if (this.gpu.lostReason !== null) throw new Error(`the GPU device (${this.gpu.adapterName}) was lost: ${this.gpu.lostReason}`);
  }

  /**
   * Forward, loss and (unless `lossOnly`) BPTT for one batch, on the GPU. Same arguments and
   * result as FusedNetwork.run.
   */
  async run(
    batch: FusedBatch,
    B: number,
    T: number,
    wt: FusedWeights,
    initialH: Float32Array[] | null,
    initialC: Float32Array[] | null,
    record: FusedRecord | null,
    lossOnly = false,
  ): Promise<FusedResult> {
    this.checkLost();
    const s = this.shape;
    const { hidden: H, layers: L, outputSize: O } = s;
    const G = this.nb * H;
    const TB = T * B;
    const lay = await this.buffers(B, T);
    const bk = this.blocks;
    const blockParams = [bk.f, bk.i, bk.g, bk.o].map((k) => (k < 0 ? NONE : k));
    const q = this.gpu.device.queue;
    const arena = this.arena!;
    const put = (reg: Region, data: Float32Array, at = 0): void => q.writeBuffer(arena, (reg.off + at) * 4, data);

    // ---- inputs, time-major rows r = t·B + b ----
    const X0w = this.inWidth(0);
    const X0 = new Float32Array(TB * X0w);
    const tokTM = new Int32Array(s.input === 'numeric' ? 0 : TB);
    if (s.input !== 'numeric') {
      const tk = batch.tokens!;
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) tokTM[t * B + b] = tk[b * T + t];
    }
    if (s.input === 'onehot') for (let r = 0; r < TB; r++) X0[r * X0w + tokTM[r]] = 1;
    else if (s.input === 'embedding') {
      const E = s.embedSize;
      for (let r = 0; r < TB; r++) X0.set(wt.embedding!.subarray(tokTM[r] * E, tokTM[r] * E + E), r * E);
    } else {
      const x = batch.inputs!;
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) X0.set(x.subarray((b * T + t) * X0w, (b * T + t + 1) * X0w), (t * B + b) * X0w);
    }
    put(lay.X0, X0);
    const target = new Float32Array(lay.target.len);
    const mask = new Float32Array(TB);
    let msum = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const r = t * B + b;
        mask[r] = batch.mask[b * T + t];
        msum += mask[r];
        if (s.loss === 'xent') target[r] = batch.targetTokens![b * T + t];
        else target.set(batch.targets!.subarray((b * T + t) * O, (b * T + t + 1) * O), r * O);
      }
    }
    put(lay.target, target);
    put(lay.mask, mask);
    for (let l = 0; l < L; l++) {
      put(lay.Wx[l], wt.Wx[l]);
      put(lay.Wh[l], wt.Wh[l]);
      put(lay.b[l], wt.b[l]);
      put(lay.Hs[l], initialH?.[l] ?? new Float32Array(B * H));
      put(lay.Cs[l], initialC?.[l] ?? new Float32Array(B * H));
    }
    put(lay.Wr, wt.Wr);
    put(lay.br, wt.br);

    const rec = record && !lossOnly ? { ...record, layers: [...record.layers].sort((a, b) => a - b) } : null;
    const list: Dispatch[] = [];
    const mm = (M: number, N: number, K: number, a: number, lda: number, bb: number, ldb: number, c: number, ldc: number,
      o: { transA?: boolean; transB?: boolean; bias?: number; beta?: number } = {}): void => {
      const flags = (o.transA ? 1 : 0) | (o.transB ? 2 : 0) | (o.bias !== undefined ? 4 : 0);
      list.push({ kernel: 'matmul', params: [M, N, K, flags, a, lda, bb, ldb, c, ldc, o.bias ?? 0, f32bits(o.beta ?? 0)], groups: [Math.ceil(N / 8), Math.ceil(M / 8)] });
    };
    const colsum = (rows: number, cols: number, a: number, out: number): void => {
      list.push({ kernel: 'colsum', params: [rows, cols, a, out], groups: [Math.ceil(cols / WG), 1] });
    };
    const fill = (reg: Region, v = 0): void => {
      list.push({ kernel: 'fill', params: [reg.off, reg.len, f32bits(v)], groups: [Math.max(1, Math.min(1024, Math.ceil(reg.len / WG))), 1] });
    };
    const relu = [s.cellActivation === 'relu' ? 1 : 0, s.candidateActivation === 'relu' ? 1 : 0];
    const reluRnn = s.rnnActivation === 'relu' ? 1 : 0;
    /** The cell's BPTT kernel over one layer; DC (or DCR) is the GRU's scratch for the direct part of ∂h_{t-1}. */
    const backward = (l: number, dHin: number, dz: number, dh: number, dc: number, dcn: number, sample0: number, groups: number): void => {
      const params = this.kind === 'lstm'
        ? [H, B, T, G, lay.Z[l].off, lay.Cs[l].off, lay.Ac[l].off, dHin, lay.Wh[l].off, dz, dh, dc, dcn, relu[0], relu[1], sample0, ...blockParams]
        : this.kind === 'gru'
          ? [H, B, T, G, lay.Z[l].off, lay.Hs[l].off, lay.Ac[l].off, dHin, lay.Wh[l].off, dz, dh, dc, dcn, 0, 0, sample0]
          : [H, B, T, G, 0, lay.Hs[l].off, 0, dHin, lay.Wh[l].off, dz, dh, 0, dcn, reluRnn, 0, sample0];
      list.push({ kernel: this.kind === 'lstm' ? 'lstmBackward' : this.kind === 'gru' ? 'gruBackward' : 'rnnBackward', params, groups: [groups, 1] });
    };
    const tau = rec ? rec.reachFrom : 0;
    const sb = rec ? rec.sample : 0;

    // ---- forward, layer by layer ----
    for (let l = 0; l < L; l++) {
      const In = this.inWidth(l);
      const X = l === 0 ? lay.X0.off : lay.Hs[l - 1].off + B * H;
      mm(TB, G, In, X, In, lay.Wx[l].off, G, lay.Z[l].off, G, { bias: lay.b[l].off });
      const fw = this.kind === 'lstm'
        ? { kernel: 'lstmForward' as const, params: [H, B, T, G, lay.Z[l].off, lay.Hs[l].off, lay.Cs[l].off, lay.Ac[l].off, lay.Wh[l].off, relu[0], relu[1], 0, 0, 0, 0, 0, ...blockParams] }
        : this.kind === 'gru'
          // Ac holds r ⊙ h_{t-1} for the GRU.
          ? { kernel: 'gruForward' as const, params: [H, B, T, G, lay.Z[l].off, lay.Hs[l].off, lay.Ac[l].off, 0, lay.Wh[l].off, 0, 0, 0] }
          : { kernel: 'rnnForward' as const, params: [H, B, T, G, lay.Z[l].off, lay.Hs[l].off, 0, 0, lay.Wh[l].off, reluRnn, 0, 0] };
      list.push({ ...fw, groups: [B, 1] });
    }
    const Htop = lay.Hs[L - 1].off + B * H;
    mm(TB, O, H, Htop, H, lay.Wr.off, O, lay.Y.off, O, { bias: lay.br.off });
    list.push({
      kernel: 'loss',
      params: [O, TB, s.loss === 'xent' ? 1 : 0, f32bits(msum > 0 ? 1 / msum : 0), lay.Y.off, lay.target.off, lay.mask.off, lay.rowLoss.off,
        rec ? tau * B + sb : 0xffffffff, lay.dyR.off, 0, 0],
      groups: [Math.ceil(TB / WG), 1],
    });

    if (!lossOnly) {
      // ---- gradient reach: a one-sample BPTT of ℓ_τ, into its own buffers ----
      if (rec) {
        fill(lay.dHinR);
        fill(lay.DZR);
        mm(1, H, O, lay.dyR.off, O, lay.Wr.off, O, lay.dHinR.off + (tau * B + sb) * H, H, { transB: true });
        for (let l = L - 1; l >= 0; l--) {
          backward(l, lay.dHinR.off, lay.DZR.off, lay.DHR[l].off, lay.DCR[l].off, lay.dcnR.off, sb, 1);
          if (l > 0) mm(TB, H, G, lay.DZR.off, G, lay.Wx[l].off, G, lay.dHinR.off, H, { transB: true });
        }
      }
      // ---- BPTT ----
      mm(H, O, TB, Htop, H, lay.Y.off, O, lay.gWr.off, O, { transA: true });
      colsum(TB, O, lay.Y.off, lay.gbr.off);
      mm(TB, H, O, lay.Y.off, O, lay.Wr.off, O, lay.dHin.off, H, { transB: true });
      for (let l = L - 1; l >= 0; l--) {
        backward(l, lay.dHin.off, lay.DZ[l].off, lay.DH[l].off, lay.DC[l].off, lay.dcn.off, 0, B);
        if (this.kind === 'gru') {
          // ∂L/∂Wh: h_{t-1} for the z, r blocks; r ⊙ h_{t-1} for the n block.
          mm(H, 2 * H, TB, lay.Hs[l].off, H, lay.DZ[l].off, G, lay.gWh[l].off, G, { transA: true });
          mm(H, H, TB, lay.Ac[l].off, H, lay.DZ[l].off + 2 * H, G, lay.gWh[l].off + 2 * H, G, { transA: true });
        } else mm(H, G, TB, lay.Hs[l].off, H, lay.DZ[l].off, G, lay.gWh[l].off, G, { transA: true });
        colsum(TB, G, lay.DZ[l].off, lay.gb[l].off);
        const In = this.inWidth(l);
        const X = l === 0 ? lay.X0.off : lay.Hs[l - 1].off + B * H;
        mm(In, G, TB, X, In, lay.DZ[l].off, G, lay.gWx[l].off, G, { transA: true });
        if (l > 0) mm(TB, H, G, lay.DZ[l].off, G, lay.Wx[l].off, G, lay.dHin.off, H, { transB: true });
        else if (s.input === 'embedding') mm(TB, s.embedSize, G, lay.DZ[0].off, G, lay.Wx[0].off, G, lay.dX0.off, s.embedSize, { transB: true });
      }
      // ---- the traced sample's rows, gathered into one block ----
      if (rec) {
        rec.layers.forEach((l, k) => {
          const base = lay.rec.off + k * REC_FIELDS.length * T * H;
          if (this.kind !== 'lstm') {
            // h, the gates (blocks in GATE_ORDER, into slots 2 …), ∂L/∂h and the reach's ∂h.
            const fields: [number, number, number][] = [[0, lay.Hs[l].off + (B + sb) * H, B * H], [6, lay.DH[l].off + sb * H, B * H], [8, lay.DHR[l].off + sb * H, B * H]];
            for (let q2 = 0; q2 < this.nb; q2++) fields.push([2 + q2, lay.Z[l].off + sb * G + q2 * H, B * G]);
            for (const [q2, off, stride] of fields) list.push({ kernel: 'gather', params: [T, H, off, stride, base + q2 * T * H], groups: [Math.ceil((T * H) / WG), 1] });
            return;
          }
          const src: Record<(typeof REC_FIELDS)[number], [number, number]> = {
            h: [lay.Hs[l].off + (B + sb) * H, B * H],
            c: [lay.Cs[l].off + (B + sb) * H, B * H],
            f: [lay.Z[l].off + sb * G + bk.f * H, B * G],
            i: [lay.Z[l].off + sb * G + bk.i * H, B * G],
            g: [lay.Z[l].off + sb * G + bk.g * H, B * G],
            o: [lay.Z[l].off + sb * G + bk.o * H, B * G],
            dh: [lay.DH[l].off + sb * H, B * H],
            dc: [lay.DC[l].off + sb * H, B * H],
            rdh: [lay.DHR[l].off + sb * H, B * H],
            rdc: [lay.DCR[l].off + sb * H, B * H],
          };
          REC_FIELDS.forEach((name, q2) => {
            // An absent gate of a variant is not recorded (its block stays zero, and is not returned).
            if ((name === 'i' && bk.i < 0) || (name === 'o' && bk.o < 0)) return;
            list.push({ kernel: 'gather', params: [T, H, src[name][0], src[name][1], base + q2 * T * H], groups: [Math.ceil((T * H) / WG), 1] });
          });
        });
      }
    }

    const d = this.gpu.device;
    const enc = d.createCommandEncoder();
    this.encode(list, enc);
    // Read back: the gradient block (or just the row losses), then the final states.
    const back = lossOnly ? lay.rowLoss : lay.readback;
    const staging = this.staging!;
    enc.copyBufferToBuffer(arena, back.off * 4, staging, 0, back.len * 4);
    let at = back.len;
    const finalAt: number[] = [];
    for (let l = 0; l < L; l++) {
      for (const reg of [lay.Hs[l], lay.Cs[l]]) {
        enc.copyBufferToBuffer(arena, (reg.off + TB * H) * 4, staging, at * 4, B * H * 4);
        finalAt.push(at);
        at += B * H;
      }
    }
    d.queue.submit([enc.finish()]);
    const out = await this.read(staging, at);
    const sub = (reg: Region): Float32Array => out.slice(reg.off - back.off, reg.off - back.off + reg.len);
    const rowLoss = sub(lay.rowLoss);
    let lossSum = 0;
    for (let r = 0; r < TB; r++) lossSum += rowLoss[r];
    const loss = msum > 0 ? lossSum / msum : 0;
    const finalH = Array.from({ length: L }, (_, l) => out.slice(finalAt[2 * l], finalAt[2 * l] + B * H));
    const finalC = Array.from({ length: L }, (_, l) => out.slice(finalAt[2 * l + 1], finalAt[2 * l + 1] + B * H));
    if (lossOnly) return { loss, grads: { Wx: [], Wh: [], b: [], Wr: new Float32Array(0), br: new Float32Array(0) }, finalH, finalC };

    const grads: FusedWeights = { Wx: lay.gWx.map(sub), Wh: lay.gWh.map(sub), b: lay.gb.map(sub), Wr: sub(lay.gWr), br: sub(lay.gbr) };
    if (s.input === 'embedding') {
      // Scatter-add of the embedded rows' gradient by token: small, and on the CPU.
      const E = s.embedSize;
      const dX = sub(lay.dX0);
      const gEmb = new Float32Array(wt.embedding!.length);
      for (let r = 0; r < TB; r++) {
        const eo = tokTM[r] * E;
        for (let k = 0; k < E; k++) gEmb[eo + k] += dX[r * E + k];
      }
      grads.embedding = gEmb;
    }
    const result: FusedResult = { loss, grads, finalH, finalC };
    if (rec) {
      const enc2 = d.createCommandEncoder();
      enc2.copyBufferToBuffer(arena, lay.rec.off * 4, staging, 0, rec.layers.length * REC_FIELDS.length * T * H * 4);
      d.queue.submit([enc2.finish()]);
      const r = await this.read(staging, rec.layers.length * REC_FIELDS.length * T * H);
      result.records = rec.layers.map((l, k): FusedLayerRecord => {
        const f = (q2: number): Float32Array => r.slice((k * REC_FIELDS.length + q2) * T * H, (k * REC_FIELDS.length + q2 + 1) * T * H);
        const rdh = f(8), rdc = f(9);
        const norms = (m: Float32Array): Float32Array => {
          const o = new Float32Array(T);
          for (let t = 0; t <= tau; t++) {
            let sq = 0;
            for (let j = 0; j < H; j++) sq += m[t * H + j] * m[t * H + j];
            o[t] = Math.sqrt(sq);
          }
          return o;
        };
        const out: FusedLayerRecord = { layer: l, h: f(0), c: f(1), f: f(2), i: f(3), g: f(4), o: f(5), dh: f(6), dc: f(7), reachH: norms(rdh), reachC: norms(rdc) };
        if (this.kind !== 'lstm') out.gates = Object.fromEntries(GATE_ORDER[s.cell ?? 'lstm'].map((name, q2) => [name, f(2 + q2)]));
        return out;
      });
      result.stepLoss = new Float32Array(T);
      for (let t = 0; t < T; t++) result.stepLoss[t] = rowLoss[t * B + sb];
    }
    return result;
  }

  private async read(staging: GPUBuffer, floats: number): Promise<Float32Array> {
    try {
      await staging.mapAsync(this.gpu.mapRead, 0, floats * 4);
    } catch (e) {
      this.checkLost();
      throw new Error(`reading back from the GPU (${this.gpu.adapterName}) failed: ${(e as Error).message}`);
    }
    const out = new Float32Array(staging.getMappedRange(0, floats * 4).slice(0));
    staging.unmap();
    this.checkLost();
    return out;
  }
}
