// The instrumented recurrent engine: LSTM (and its variants), GRU and vanilla RNN unrolled op by
// op in TensorFlow.js, with BPTT, per-timestep gradients ∂L/∂h_t, ∂L/∂c_t, the gradient reach
// and the per-timestep trace every view of the extension is drawn from. Clear first, then
// reasonably fast; the fused kernels (core/fast, core/gpu) take its parameters and are checked
// against it, and it against the float64 reference (core/float64Reference.ts).

import * as tf from '@tensorflow/tfjs';
import { GATE_ORDER, hasCellState, type ModelSpec } from '../../protocol/spec';
import type { Batch, ModelIO, RecurrentModel, RecurrentState, StepResult, TraceRequest } from '../types';
import type { EngineParts, LayerReach } from './engineParts';
import { checkModelShape, initialWeights } from './initialWeights';
import { checkBatch, disposePassData, preparePass } from './passData';
import { recordTrace } from './recording';
import { unrollPass, type PassHooks, type PassOut } from './unroll';

/** Extra construction options that are not part of the ModelSpec. */
export interface CreateModelOptions {
  /**
   * T_max of the chrono initialisation (Tallec & Ollivier 2018): the longest dependency the
   * model is expected to bridge, normally the training sequence length. Default 100, a typical
   * truncated-BPTT window; ignored unless spec.chronoInit.
   */
  chronoMaxLength?: number;
}

/** A RecurrentModel that also exposes the raw reach vectors of its last traced pass (tests, perf comparison). */
export interface InstrumentedModel extends RecurrentModel {
  /** Per traced layer, the reach vectors behind the last trace's reachH/reachC norms. */
  readonly lastReach: LayerReach[] | null;
}

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

class Engine implements InstrumentedModel, EngineParts {
  readonly spec: ModelSpec;
  readonly io: ModelIO;
  readonly params: Record<string, tf.Variable>;
  lastReach: LayerReach[] | null = null;
  readonly H: number;
  readonly G: number;
  readonly gates: readonly string[];
  private readonly order: string[];
  private readonly uid: number;

  constructor(spec: ModelSpec, io: ModelIO, seed: number, options: CreateModelOptions) {
    checkModelShape(spec, io);
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
    checkBatch(this.io, batch);
    const { B, T } = { B: batch.batchSize, T: batch.steps };
    const H = this.H;
    const cellState = hasCellState(this.spec.cell);
    const traceLayers = trace ? this.tracedLayers(trace) : [];
    if (trace && (trace.sample < 0 || trace.sample >= B)) throw new Error(`trace sample ${trace.sample} outside batch of ${B}`);
    const dh: (tf.Tensor | null)[][] = traceLayers.map(() => new Array<tf.Tensor | null>(T).fill(null));
    const dc: (tf.Tensor | null)[][] = traceLayers.map(() => new Array<tf.Tensor | null>(T).fill(null));
    const slot = new Map(traceLayers.map((l, k) => [l, k]));
    const data = preparePass(this, batch, initial ?? null, null);
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
        out = unrollPass(this, data, hooks, null, trace != null);
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
        const recorded = recordTrace(this, batch, initial ?? null, trace, traceLayers, dhRows, dcRows, stepLoss);
        result.trace = recorded.snapshot;
        this.lastReach = recorded.reach;
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
    checkBatch(this.io, batch);
    const data = preparePass(this, batch, initial ?? null, null);
    try {
      const res = tf.tidy(() => {
        const o = unrollPass(this, data, null, null, false);
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

  get hasC(): boolean {
    return hasCellState(this.spec.cell);
  }

  private tracedLayers(trace: TraceRequest): number[] {
    const all = Array.from({ length: this.spec.layers }, (_, l) => l);
    if (!trace.layers) return all;
    return all.filter((l) => trace.layers!.includes(l));
  }
}

function readState(o: PassOut): RecurrentState {
  return {
    h: o.finalH.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
    c: o.finalC ? o.finalC.map((t) => Float32Array.from(t.dataSync() as Float32Array)) : null,
  };
}

