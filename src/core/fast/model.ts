// createFastModel: the RecurrentModel interface backed by the fused CPU kernels (plain LSTM, GRU,
// vanilla RNN). Parameters, initialisation, export and import are the op-by-op tfjs engine's
// (createModel); forwardBackward and evaluate run fused. Other cells (the LSTM variants) use the
// op-by-op tfjs engine as is.

import * as tf from '@tensorflow/tfjs';
import { GATE_ORDER, hasCellState, SIGMOID_GATES, type ModelSpec } from '../../protocol/spec';
import type { LayerTrace, TraceSnapshot } from '../../protocol/trace';
import { createModel, type CreateModelOptions, type InstrumentedModel } from '../tfjsEngine/engine';
import type { LayerReach } from '../tfjsEngine/engineParts';
import { rowNorms } from '../tfjsEngine/recording';
import { gateSaturation } from '../analysis/saturation';
import type { Batch, ModelIO, RecurrentState, StepResult, TraceRequest } from '../types';
import { jacobianSpectra } from '../analysis/jacobian';
import { defaultGemm, type GemmProvider } from './gemm';
import { FusedNetwork, fusedWeightsFrom, type FusedCell, type FusedLayerRecord, type FusedResult, type FusedShape, type FusedWeights } from './fused-network';
import { LstmCell } from './lstm-kernel';
import { GruCell } from './gru-kernel';
import { RnnCell } from './rnn-kernel';

export interface FastModelOptions extends CreateModelOptions {
  /** GEMM to use (default: defaultGemm(), native OpenBLAS > wasm SIMD > JavaScript). */
  gemm?: GemmProvider;
}

/** A RecurrentModel that says which path its forwardBackward takes. */
export interface FastModel extends InstrumentedModel {
  /** 'fused:<gemm>' when the fused kernel runs, or 'op-by-op: <why>' when it cannot (the tfjs engine trains). */
  readonly path: string;
  /** The GEMM the fused kernel runs on (null on the op-by-op engine); its `skipped` says why faster ones were not used. */
  readonly gemm: GemmProvider | null;
  /** Frees the kernel's work buffers (they are rebuilt on the next pass). */
  releaseBuffers(): void;
}

/** Why the fused kernel cannot run this spec, or null when it can. */
export function fastPathUnsupported(spec: ModelSpec): string | null {
  if (spec.cell !== 'lstm' && spec.cell !== 'gru' && spec.cell !== 'rnn') {
    return `the fused kernel covers the plain LSTM, the GRU and the vanilla RNN only (cell '${spec.cell}')`;
  }
  return null;
}

/**
 * The fused CPU network for a shape (cell 'lstm', 'gru' or 'rnn'), its GEMMs on `gemm` and the
 * cells' elementwise steps in wasm SIMD when the provider brings them, and the work
 * buffers in the wasm kernel's memory when it has one (its `heap`).
 */
export function createFusedKernel(shape: Omit<FusedShape, 'batch' | 'steps'>, gemm: GemmProvider): FusedNetwork {
  const cellKind = shape.cell ?? 'lstm';
  const heap = gemm.heap ?? null;
  let cell: FusedCell;
  if (cellKind === 'lstm') cell = new LstmCell(shape, gemm.sgemm, gemm.lstmStep ?? null, heap);
  else if (cellKind === 'gru') cell = new GruCell(shape, gemm.sgemm, gemm.gruStep ?? null, heap);
  else if (cellKind === 'rnn') cell = new RnnCell(shape, gemm.sgemm, gemm.rnnStep ?? null, heap);
  else throw new Error(`the fused CPU kernel has no cell '${cellKind}'`);
  return new FusedNetwork(shape, gemm.sgemm, cell, heap);
}

/** Builds the model with the same deterministic weights as createModel(spec, io, seed). */
export function createFastModel(spec: ModelSpec, io: ModelIO, seed: number, options: FastModelOptions = {}): FastModel {
  const base = createModel(spec, io, seed, options);
  const why = fastPathUnsupported(spec);
  if (why) return Object.assign(base, { path: `op-by-op: ${why}`, gemm: null, releaseBuffers: () => undefined });
  return new FusedModel(base, options.gemm ?? defaultGemm());
}

/** The fused kernels' shape for a spec and its data (the GPU kernel takes the same). */
export function fusedShape(spec: ModelSpec, io: ModelIO): Omit<FusedShape, 'batch' | 'steps'> {
  return {
    hidden: spec.hiddenSize,
    layers: spec.layers,
    input: io.vocabSize > 0 ? (spec.embeddingSize > 0 ? 'embedding' : 'onehot') : 'numeric',
    inputSize: io.vocabSize > 0 ? io.vocabSize : io.inputSize,
    embedSize: spec.embeddingSize,
    outputSize: io.outputSize,
    loss: io.loss,
    cellActivation: spec.cellActivation,
    candidateActivation: spec.candidateActivation,
    cell: spec.cell,
    rnnActivation: spec.rnnActivation,
  };
}

export class FusedModel implements FastModel {
  readonly path: string;
  /** The fused kernel records reach norms only, not the raw vectors. */
  readonly lastReach: LayerReach[] | null = null;
  /** Null for a cell the CPU kernels do not cover (the GPU model's LSTM variants). */
  private readonly kernel: FusedNetwork | null;

  constructor(
    protected readonly base: InstrumentedModel,
    readonly gemm: GemmProvider,
  ) {
    const { spec, io } = base;
    this.path = `fused:${gemm.name}`;
    this.kernel = fastPathUnsupported(spec) ? null : createFusedKernel(fusedShape(spec, io), gemm);
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
  protected weights(): FusedWeights {
    const p = this.base.params;
    return fusedWeightsFrom((n) => p[n]?.dataSync() as Float32Array | undefined, this.base.spec.layers);
  }

  private fused(): FusedNetwork {
    if (!this.kernel) throw new Error(`no fused CPU kernel: ${fastPathUnsupported(this.base.spec)}`);
    return this.kernel;
  }

  protected check(batch: Batch): void {
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
    if (trace && (trace.sample < 0 || trace.sample >= B)) throw new Error(`trace sample ${trace.sample} outside batch of ${B}`);
    const { layers, tau } = this.traceTargets(T, trace);
    const res = this.fused().run(
      batch, B, T, this.weights(), initial?.h ?? null, hasCellState(this.base.spec.cell) ? initial?.c ?? null : null,
      trace ? { sample: trace.sample, layers, reachFrom: tau } : null,
    );
    return this.stepResult(batch, res, initial, trace);
  }

  /** Which layers a trace records, and τ resolved against T. */
  protected traceTargets(T: number, trace?: TraceRequest | null): { layers: number[]; tau: number } {
    const layers = trace
      ? Array.from({ length: this.base.spec.layers }, (_, l) => l).filter((l) => !trace.layers || trace.layers.includes(l))
      : [];
    const tau = trace ? (trace.reachFrom < 0 ? T - 1 : Math.min(trace.reachFrom, T - 1)) : 0;
    return { layers, tau };
  }

  /** A kernel's result as the model's StepResult: gradients as tensors, the snapshot when traced. */
  protected stepResult(batch: Batch, res: FusedResult, initial?: RecurrentState | null, trace?: TraceRequest | null): StepResult {
    const { spec } = this.base;
    const H = spec.hiddenSize;
    const tau = this.traceTargets(batch.steps, trace).tau;
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
    const result: StepResult = { loss: res.loss, grads, finalState: { h: res.finalH, c: hasCellState(spec.cell) ? res.finalC : null } };
    if (trace) result.trace = this.snapshot(batch, trace, tau, res.stepLoss!, res.records!, H, initial);
    return result;
  }

  private snapshot(batch: Batch, trace: TraceRequest, tau: number, stepLoss: Float32Array, records: FusedLayerRecord[], H: number,
    initial?: RecurrentState | null): TraceSnapshot {
    const T = batch.steps;
    const I = this.base.io.inputSize;
    const s = trace.sample;
    const layers: LayerTrace[] = records.map((r) => {
      // h, c (LSTM family) and the cell's gates (by name in r.gates when they are not f, i, g, o).
      const cellState = hasCellState(this.base.spec.cell);
      const values: Record<string, Float32Array> = cellState ? { h: r.h, c: r.c } : { h: r.h };
      for (const gate of GATE_ORDER[this.base.spec.cell]) values[gate] = r.gates?.[gate] ?? r[gate as 'f' | 'i' | 'g' | 'o'];
      // The spectra come from the recorded values and W_h, as on the op-by-op tfjs engine.
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
        ...(spectra?.unconverged ? { jacobianUnconverged: spectra.unconverged } : {}),
        layer: r.layer,
        units: H,
        values,
        dh: r.dh,
        dhNorm: rowNorms(r.dh, T, H),
        reachH: r.reachH,
        ...(cellState ? { dc: r.dc, dcNorm: rowNorms(r.dc, T, H), reachC: r.reachC } : {}),
        saturation: Object.fromEntries(GATE_ORDER[this.base.spec.cell].filter((g) => SIGMOID_GATES.has(g)).map((g) => [g, gateSaturation(values[g], T, H)])),
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
    const res = this.fused().run(batch, batch.batchSize, batch.steps, this.weights(), initial?.h ?? null, cellState ? initial?.c ?? null : null, null, true);
    return { loss: res.loss, finalState: { h: res.finalH, c: cellState ? res.finalC : null } };
  }

  exportWeights(): Record<string, { shape: number[]; data: Float32Array }> {
    return this.base.exportWeights();
  }

  importWeights(weights: Record<string, { shape: number[]; data: Float32Array }>): void {
    this.base.importWeights(weights);
  }

  releaseBuffers(): void {
    this.kernel?.release();
  }

  dispose(): void {
    this.kernel?.release();
    this.base.dispose();
  }
}
