// createFastModel: the RecurrentModel interface backed by the fused kernel (plain LSTM and
// vanilla RNN). Parameters, initialisation, export and import are the reference engine's
// (createModel); forwardBackward and evaluate run fused. Other cells use the reference engine as is.

import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../protocol/spec';
import type { LayerTrace, TraceSnapshot } from '../../protocol/trace';
import { createModel, type CreateModelOptions, type InstrumentedModel, type LayerReach } from '../model';
import type { Batch, ModelIO, RecurrentState, StepResult, TraceRequest } from '../types';
import { jacobianSpectra } from '../jacobian';
import { defaultGemm, type GemmProvider } from './gemm';
import { FusedLstm, type FusedLayerRecord, type FusedWeights } from './lstm-kernel';

export interface FastModelOptions extends CreateModelOptions {
  /** GEMM to use (default: defaultGemm(), native OpenBLAS > wasm SIMD > JavaScript). */
  gemm?: GemmProvider;
}

/** A RecurrentModel that says which path its forwardBackward takes. */
export interface FastModel extends InstrumentedModel {
  /** 'fused:<gemm>' when the fused kernel runs, or 'reference: <why>' when it cannot. */
  readonly path: string;
  /**
   * For people, e.g. "CPU · fused LSTM · wasm SIMD (1 thread)" or "CPU · tfjs op-by-op engine"
   * (the panel's compute-path label).
   */
  readonly computePath: string;
  /** The GEMM the fused kernel runs on (null on the op-by-op engine); its `skipped` says why faster ones were not used. */
  readonly gemm: GemmProvider | null;
  /** Frees the kernel's work buffers (they are rebuilt on the next pass). */
  releaseBuffers(): void;
}

/** Why the fused kernel cannot run this spec, or null when it can. */
export function fastPathUnsupported(spec: ModelSpec): string | null {
  if (spec.cell !== 'lstm' && spec.cell !== 'rnn') return `the fused kernel covers the plain LSTM and the vanilla RNN only (cell '${spec.cell}')`;
  return null;
}

/** Builds the model with the same deterministic weights as createModel(spec, io, seed). */
export function createFastModel(spec: ModelSpec, io: ModelIO, seed: number, options: FastModelOptions = {}): FastModel {
  const base = createModel(spec, io, seed, options);
  const why = fastPathUnsupported(spec);
  if (why) return Object.assign(base, { path: `reference: ${why}`, computePath: 'CPU · tfjs op-by-op engine', gemm: null, releaseBuffers: () => undefined });
  return new FusedModel(base, options.gemm ?? defaultGemm());
}

/** Per unit, the fraction of timesteps with the gate < 0.1 and > 0.9 (as the engine defines it). */
function saturation(values: Float32Array, T: number, H: number): { low: Float32Array; high: Float32Array } {
  const low = new Float32Array(H);
  const high = new Float32Array(H);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < H; j++) {
      const v = values[t * H + j];
      if (v < 0.1) low[j] += 1 / T;
      else if (v > 0.9) high[j] += 1 / T;
    }
  }
  return { low, high };
}

function rowNorms(m: Float32Array, T: number, H: number): Float32Array {
  const out = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += m[t * H + j] * m[t * H + j];
    out[t] = Math.sqrt(s);
  }
  return out;
}

class FusedModel implements FastModel {
  readonly path: string;
  readonly computePath: string;
  /** The fused kernel records reach norms only, not the raw vectors. */
  readonly lastReach: LayerReach[] | null = null;
  private readonly kernel: FusedLstm;

  constructor(
    private readonly base: InstrumentedModel,
    readonly gemm: GemmProvider,
  ) {
    const { spec, io } = base;
    this.path = `fused:${gemm.name}`;
    const rnn = spec.cell === 'rnn';
    // The RNN's elementwise step is JavaScript whatever the provider: its label names the GEMM only.
    const label = gemm.label ?? gemm.name;
    this.computePath = `CPU · fused ${rnn ? 'RNN' : 'LSTM'} · ${rnn ? label.replace(' + wasm SIMD gates', '') : label}`;
    const input = io.vocabSize > 0 ? (spec.embeddingSize > 0 ? 'embedding' : 'onehot') : 'numeric';
    this.kernel = new FusedLstm(
      {
        hidden: spec.hiddenSize,
        layers: spec.layers,
        input,
        inputSize: io.vocabSize > 0 ? io.vocabSize : io.inputSize,
        embedSize: spec.embeddingSize,
        outputSize: io.outputSize,
        loss: io.loss,
        cellActivation: spec.cellActivation,
        candidateActivation: spec.candidateActivation,
        cell: rnn ? 'rnn' : 'lstm',
        rnnActivation: spec.rnnActivation,
      },
      gemm.sgemm,
      gemm.lstmStep ?? null,
    );
  }

  get spec(): ModelSpec {
    return this.base.spec;
  }
  get io(): ModelIO {
    return this.base.io;
  }
  get params(): Record<string, tf.Variable> {
    return this.base.params;
  }

  /** Current weights as flat arrays (read-only views or copies, depending on the backend). */
  private weights(): FusedWeights {
    const p = this.base.params;
    const L = this.base.spec.layers;
    const d = (n: string): Float32Array => p[n].dataSync() as Float32Array;
    const w: FusedWeights = {
      Wx: Array.from({ length: L }, (_, l) => d(`layer${l}.Wx`)),
      Wh: Array.from({ length: L }, (_, l) => d(`layer${l}.Wh`)),
      b: Array.from({ length: L }, (_, l) => d(`layer${l}.b`)),
      Wr: d('readout.W'),
      br: d('readout.b'),
    };
    if (p.embedding) w.embedding = d('embedding');
    return w;
  }

  private check(batch: Batch): void {
    const { batchSize: B, steps: T } = batch;
    if (!(B > 0 && T > 0)) throw new Error(`batch needs batchSize and steps > 0, got ${B}×${T}`);
    const io = this.base.io;
    if (io.vocabSize > 0 && !batch.tokens) throw new Error('token model needs batch.tokens');
    if (io.inputSize > 0 && !batch.inputs) throw new Error('numeric model needs batch.inputs');
    if (io.loss === 'xent' && !batch.targetTokens) throw new Error('xent loss needs batch.targetTokens');
    if (io.loss === 'mse' && !batch.targets) throw new Error('mse loss needs batch.targets');
  }

  forwardBackward(batch: Batch, initial?: RecurrentState | null, trace?: TraceRequest | null): StepResult {
    this.check(batch);
    const { batchSize: B, steps: T } = batch;
    const { spec } = this.base;
    const H = spec.hiddenSize;
    if (trace && (trace.sample < 0 || trace.sample >= B)) throw new Error(`trace sample ${trace.sample} outside batch of ${B}`);
    const layers = trace
      ? Array.from({ length: spec.layers }, (_, l) => l).filter((l) => !trace.layers || trace.layers.includes(l))
      : [];
    const tau = trace ? (trace.reachFrom < 0 ? T - 1 : Math.min(trace.reachFrom, T - 1)) : 0;
    const cellState = this.base.spec.cell === 'lstm';
    const res = this.kernel.run(
      batch, B, T, this.weights(), initial?.h ?? null, cellState ? initial?.c ?? null : null,
      trace ? { sample: trace.sample, layers, reachFrom: tau } : null,
    );
    const p = this.base.params;
    const grads: Record<string, tf.Tensor> = {};
    const g = res.grads;
    if (g.embedding) grads.embedding = tf.tensor(g.embedding, p.embedding.shape, 'float32');
    for (let l = 0; l < spec.layers; l++) {
      grads[`layer${l}.Wx`] = tf.tensor(g.Wx[l], p[`layer${l}.Wx`].shape, 'float32');
      grads[`layer${l}.Wh`] = tf.tensor(g.Wh[l], p[`layer${l}.Wh`].shape, 'float32');
      grads[`layer${l}.b`] = tf.tensor(g.b[l], p[`layer${l}.b`].shape, 'float32');
    }
    grads['readout.W'] = tf.tensor(g.Wr, p['readout.W'].shape, 'float32');
    grads['readout.b'] = tf.tensor(g.br, p['readout.b'].shape, 'float32');
    const result: StepResult = { loss: res.loss, grads, finalState: { h: res.finalH, c: cellState ? res.finalC : null } };
    if (trace) result.trace = this.snapshot(batch, trace, tau, res.stepLoss!, res.records!, H, initial);
    return result;
  }

  private snapshot(batch: Batch, trace: TraceRequest, tau: number, stepLoss: Float32Array, records: FusedLayerRecord[], H: number,
    initial?: RecurrentState | null): TraceSnapshot {
    const T = batch.steps;
    const I = this.base.io.inputSize;
    const s = trace.sample;
    const lstm = this.base.spec.cell === 'lstm';
    const layers: LayerTrace[] = records.map((r) => {
      const values: Record<string, Float32Array> = lstm ? { h: r.h, c: r.c, f: r.f, i: r.i, g: r.g, o: r.o } : { h: r.h, a: r.a! };
      // The spectra come from the recorded values and W_h, as on the reference engine.
      const spectra = trace.jacobian
        ? jacobianSpectra({
          cell: this.base.spec.cell,
          spec: this.base.spec,
          Wh: this.base.params[`layer${r.layer}.Wh`].dataSync() as Float32Array,
          H,
          values,
          initialH: initial?.h?.[r.layer]?.subarray(s * H, (s + 1) * H),
          initialC: initial?.c?.[r.layer]?.subarray(s * H, (s + 1) * H),
          reachFrom: tau,
        })
        : null;
      return {
        ...(spectra ? { jacobianSigma: spectra.sigma, jacobianLagSigma: spectra.lagSigma, jacobianLags: spectra.lags } : {}),
        layer: r.layer,
        units: H,
        values,
        dh: r.dh,
        dhNorm: rowNorms(r.dh, T, H),
        reachH: r.reachH,
        // The cell state's gradients and the sigmoid gates' saturation exist for the LSTM only.
        ...(lstm
          ? { dc: r.dc, dcNorm: rowNorms(r.dc, T, H), reachC: r.reachC, saturation: { f: saturation(r.f, T, H), i: saturation(r.i, T, H), o: saturation(r.o, T, H) } }
          : { saturation: {} as LayerTrace['saturation'] }),
      };
    });
    return {
      step: 0, // the training loop sets the optimisation step
      sample: s,
      cell: this.base.spec.cell,
      steps: T,
      tokens: batch.tokens ? batch.tokens.slice(s * T, (s + 1) * T) : null,
      inputs: batch.inputs ? batch.inputs.slice(s * T * I, (s + 1) * T * I) : null,
      stepLoss,
      reachFrom: tau,
      layers,
    };
  }

  evaluate(batch: Batch, initial?: RecurrentState | null): { loss: number; finalState: RecurrentState } {
    this.check(batch);
    const cellState = this.base.spec.cell === 'lstm';
    const res = this.kernel.run(batch, batch.batchSize, batch.steps, this.weights(), initial?.h ?? null, cellState ? initial?.c ?? null : null, null, true);
    return { loss: res.loss, finalState: { h: res.finalH, c: cellState ? res.finalC : null } };
  }

  exportWeights(): Record<string, { shape: number[]; data: Float32Array }> {
    return this.base.exportWeights();
  }

  importWeights(weights: Record<string, { shape: number[]; data: Float32Array }>): void {
    this.base.importWeights(weights);
  }

  releaseBuffers(): void {
    this.kernel.release();
  }

  dispose(): void {
    this.kernel.release();
    this.base.dispose();
  }
}
