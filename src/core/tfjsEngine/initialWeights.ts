// The engine's parameters before training: their names, shapes and seeded initial values, and
// the checks a model spec and I/O must pass before any is made.

import { GATE_ORDER, type ModelSpec } from '../../protocol/spec';
import { Rng, glorotUniform, hashSeed, recurrentInit } from '../init';
import type { ModelIO } from '../types';

/** Throws when the spec and I/O cannot make a model. */
export function checkModelShape(spec: ModelSpec, io: ModelIO): void {
  if (!GATE_ORDER[spec.cell]) throw new Error(`unknown cell kind '${spec.cell}'`);
  if (!(Number.isInteger(spec.hiddenSize) && spec.hiddenSize > 0)) throw new Error(`hiddenSize must be a positive integer, got ${spec.hiddenSize}`);
  if (!(Number.isInteger(spec.layers) && spec.layers >= 1 && spec.layers <= 3)) throw new Error(`layers must be 1–3, got ${spec.layers}`);
  if ((io.vocabSize > 0) === (io.inputSize > 0)) throw new Error('io needs exactly one of vocabSize (tokens) or inputSize (numeric) > 0');
  if (!(io.outputSize > 0)) throw new Error('io.outputSize must be > 0');
  if (io.vocabSize > 0 && spec.embeddingSize < 0) throw new Error('embeddingSize must be ≥ 0');
}

/** The initial weights, in parameter order (embedding, layers bottom-up, read-out). */
export function initialWeights(spec: ModelSpec, io: ModelIO, seed: number, chronoMax: number): Record<string, { shape: number[]; data: Float32Array }> {
  const H = spec.hiddenSize;
  const gates = GATE_ORDER[spec.cell];
  const G = gates.length;
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  const rng = (name: string): Rng => new Rng(hashSeed(seed, name));
  let inW = io.inputSize;
  if (io.vocabSize > 0) {
    if (spec.embeddingSize > 0) {
      const r = rng('embedding');
      const data = new Float32Array(io.vocabSize * spec.embeddingSize);
      for (let k = 0; k < data.length; k++) data[k] = r.uniform(-0.05, 0.05); // Keras' embedding default
      out.embedding = { shape: [io.vocabSize, spec.embeddingSize], data };
      inW = spec.embeddingSize;
    } else {
      inW = io.vocabSize;
    }
  }
  for (let l = 0; l < spec.layers; l++) {
    const width = l === 0 ? inW : H;
    out[`layer${l}.Wx`] = { shape: [width, G * H], data: glorotUniform(rng(`layer${l}.Wx`), width, G * H) };
    const identity = spec.cell === 'rnn' && spec.rnnActivation === 'relu';
    out[`layer${l}.Wh`] = { shape: [H, G * H], data: recurrentInit(rng(`layer${l}.Wh`), H, G, identity) };
    const b = new Float32Array(G * H);
    const fk = gates.indexOf('f');
    if (fk >= 0) {
      const ik = gates.indexOf('i');
      if (spec.chronoInit) {
        // Chrono: b_f ~ log U[1, T_max − 1] makes forget-gate time constants span 1…T_max; b_i = −b_f.
        const r = rng(`layer${l}.chrono`);
        const hi = Math.max(chronoMax - 1, 1 + 1e-6);
        for (let j = 0; j < H; j++) {
          const bf = Math.log(r.uniform(1, hi));
          b[fk * H + j] = bf;
          if (ik >= 0) b[ik * H + j] = -bf;
        }
      } else {
        for (let j = 0; j < H; j++) b[fk * H + j] = spec.forgetBias;
      }
    }
    out[`layer${l}.b`] = { shape: [G * H], data: b };
  }
  const O = io.outputSize;
  out['readout.W'] = { shape: [H, O], data: glorotUniform(rng('readout.W'), H, O) };
  out['readout.b'] = { shape: [O], data: new Float32Array(O) };
  return out;
}
