// The trace of one sample on the op-by-op tfjs engine: values (h, c, gates) recorded in a
// second pass on that sample alone, the gradient reach from its loss ℓ_τ, saturation and the
// Jacobian spectra: everything a snapshot holds.

import * as tf from '@tensorflow/tfjs';
import { SIGMOID_GATES } from '../../protocol/spec';
import type { LayerTrace, TraceSnapshot } from '../../protocol/trace';
import { jacobianSpectra } from '../analysis/jacobian';
import { gateSaturation } from '../analysis/saturation';
import type { Batch, RecurrentState, TraceRequest } from '../types';
import type { EngineParts, LayerReach } from './engineParts';
import { disposePassData, preparePass } from './passData';
import { unrollPass, type PassHooks, type Recording } from './unroll';

/** ‖row_t‖₂ of a [T, H] matrix, [T] (also the fused path's). */
export function rowNorms(m: Float32Array, T: number, H: number): Float32Array {
  const out = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += m[t * H + j] * m[t * H + j];
    out[t] = Math.sqrt(s);
  }
  return out;
}

/**
 * The trace of one sample: values (h, c, gates) and the gradient reach from a second pass on
 * that sample alone (samples do not interact, so its B = 1 forward gives the same values),
 * with loss ℓ_τ (unnormalised, unmasked) and hooks on every traced layer.
 */
export function recordTrace(
  e: EngineParts,
  batch: Batch,
  initial: RecurrentState | null,
  trace: TraceRequest,
  layers: number[],
  dhRows: Float32Array[],
  dcRows: Float32Array[] | null,
  stepLoss: Float32Array,
): { snapshot: TraceSnapshot; reach: LayerReach[] } {
  const T = batch.steps;
  const H = e.H;
  const tau = trace.reachFrom < 0 ? T - 1 : Math.min(trace.reachFrom, T - 1);
  const rh: (tf.Tensor | null)[][] = layers.map(() => new Array<tf.Tensor | null>(T).fill(null));
  const rc: (tf.Tensor | null)[][] = layers.map(() => new Array<tf.Tensor | null>(T).fill(null));
  const slot = new Map(layers.map((l, k) => [l, k]));
  const record: Recording = new Map(layers.map((l) => [l, {} as Record<string, tf.Tensor2D[]>]));
  const data = preparePass(e, batch, initial, { sample: trace.sample, lossAt: tau });
  const hooks: PassHooks = {
    layers: new Set(layers),
    onDh: (l, t, dy) => { rh[slot.get(l)!][t] = tf.keep(dy.clone()); },
    onDc: (l, t, dy) => { rc[slot.get(l)!][t] = tf.keep(dy.clone()); },
  };
  // Differentiate w.r.t. the initial states: every h_t, c_t of every layer lies on a path from
  // them to ℓ_τ, and no weight gradient is computed for nothing.
  const xs = [...data.h0, ...(data.c0 ?? [])];
  const cellState = e.hasC;
  const rows = (store: (tf.Tensor | null)[]): Float32Array => {
    const m = new Float32Array(T * H);
    store.forEach((r, t) => r && m.set(r.dataSync(), t * H));
    return m;
  };
  try {
    const res = tf.engine().gradients(() => unrollPass(e, data, hooks, record, false).loss, xs, undefined, true);
    res.value.dispose();
    tf.dispose(res.grads.filter((g): g is tf.Tensor => g != null));
    const reach: LayerReach[] = [];
    const layerTraces: LayerTrace[] = layers.map((l, k) => {
      const rec = record.get(l)!;
      const values: Record<string, Float32Array> = {};
      for (const [name, list] of Object.entries(rec)) values[name] = rows(list);
      const reachH = rows(rh[k]);
      const reachC = cellState ? rows(rc[k]) : undefined;
      reach.push(cellState ? { reachH, reachC } : { reachH });
      const saturation: LayerTrace['saturation'] = {};
      for (const gate of e.gates) if (SIGMOID_GATES.has(gate)) saturation[gate] = gateSaturation(values[gate], T, H);
      const lt: LayerTrace = {
        layer: l,
        units: H,
        values,
        dh: dhRows[k],
        dhNorm: rowNorms(dhRows[k], T, H),
        reachH: rowNorms(reachH, T, H),
        saturation,
      };
      if (cellState && dcRows && reachC) {
        lt.dc = dcRows[k];
        lt.dcNorm = rowNorms(dcRows[k], T, H);
        lt.reachC = rowNorms(reachC, T, H);
      }
      if (trace.jacobian) {
        const s = trace.sample;
        const spectra = jacobianSpectra({
          cell: e.spec.cell,
          spec: e.spec,
          Wh: e.params[`layer${l}.Wh`].dataSync() as Float32Array,
          H,
          values,
          initialH: initial?.h?.[l]?.subarray(s * H, (s + 1) * H),
          initialC: initial?.c?.[l]?.subarray(s * H, (s + 1) * H),
          reachFrom: tau,
        });
        lt.jacobianSigma = spectra.sigma;
        lt.jacobianLagSigma = spectra.lagSigma;
        lt.jacobianLags = spectra.lags;
        if (spectra.unconverged) lt.jacobianUnconverged = spectra.unconverged;
      }
      return lt;
    });
    const s = trace.sample;
    const snapshot: TraceSnapshot = {
      step: 0, // the model does not count optimisation steps: the training loop sets it
      sample: s,
      cell: e.spec.cell,
      steps: T,
      tokens: batch.tokens ? batch.tokens.slice(s * T, (s + 1) * T) : null,
      inputs: batch.inputs ? batch.inputs.slice(s * T * e.io.inputSize, (s + 1) * T * e.io.inputSize) : null,
      stepLoss,
      reachFrom: tau,
      layers: layerTraces,
    };
    return { snapshot, reach };
  } finally {
    disposePassData(data);
    rh.forEach((s) => s.forEach((t) => t?.dispose()));
    rc.forEach((s) => s.forEach((t) => t?.dispose()));
    for (const rec of record.values()) for (const list of Object.values(rec)) tf.dispose(list);
  }
}
