// Small hand-made runs for the host tests: a status, metrics and a snapshot with typed arrays.

import type { MetricsRecord, RunStatus, TraceSnapshot } from '../../../src/protocol/trace';
import type { RunSpec } from '../../../src/protocol/spec';

export function tinySpec(over: Partial<RunSpec> = {}): RunSpec {
  return {
    data: { kind: 'adding', length: 6 },
    model: {
      cell: 'lstm', hiddenSize: 4, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
      cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh',
    },
    train: {
      optimizer: 'adam', learningRate: 0.01, batchSize: 4, seqLength: 6, steps: 6, clipNorm: 1,
      carryState: false, validationFraction: 0.1, validateEvery: 3,
    },
    trace: { samples: [0], every: 2, reachFrom: -1, jacobian: false },
    backend: 'cpu',
    seed: 3,
    ...over,
  };
}

export function status(id: string, over: Partial<RunStatus> = {}): RunStatus {
  return { id, name: `run ${id}`, state: 'running', step: 0, startedAt: 1, updatedAt: 1, spec: tinySpec(), ...over };
}

export function metrics(step: number): MetricsRecord {
  return {
    step, loss: 1 / (step + 1), gradNorm: 2, gradNormClipped: 1, clipped: true, learningRate: 0.01,
    groupNorms: { 'layer0.Wh': 0.5 }, seconds: 0.01, time: 1000 + step,
  };
}

/** A snapshot of T timesteps and H units whose arrays hold recognisable values. */
export function snapshot(step: number, T = 5, H = 3): TraceSnapshot {
  const mat = (k: number) => Float32Array.from({ length: T * H }, (_, i) => k + i / 100);
  const vec = (k: number) => Float32Array.from({ length: T }, (_, i) => k + i);
  return {
    step, sample: 0, cell: 'lstm', steps: T, tokens: null,
    inputs: Float32Array.from({ length: T * 2 }, (_, i) => i),
    stepLoss: vec(0), reachFrom: T - 1,
    layers: [{
      layer: 0, units: H,
      values: { h: mat(1), c: mat(2), f: mat(3), i: mat(4), g: mat(5), o: mat(6) },
      dh: mat(7), dc: mat(8), dhNorm: vec(9), dcNorm: vec(10), reachH: vec(11), reachC: vec(12),
      saturation: { f: { low: new Float32Array(H), high: new Float32Array(H).fill(0.5) } },
    }],
  };
}
