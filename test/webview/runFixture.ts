// Hand-computed run data with known values for the panel, report and diagnostics tests: an LSTM
// on tokens whose gradient reach halves every step (so it falls below 1e-3 of its peak at lag 10),
// two forget gates shut, clipping on every 7th step and a token that looks like HTML.

import type { RunSpec } from '../../src/protocol/spec';
import type { LayerTrace, MetricsRecord, RunStatus, TracePrediction, TraceSnapshot } from '../../src/protocol/trace';
import type { RunData } from '../../src/protocol/webview';

/** A token that must be shown as text, never parsed. */
export const HTML_TOKEN = '<img src=x onerror="window.__xss=1">';
export const VOCABULARY = ['a', 'b', ' ', HTML_TOKEN, 'é'];

export interface FixtureOptions { id?: string; name?: string; steps?: number; T?: number; H?: number; failedAt?: number; snapshotEvery?: number; lossScale?: number }

export function spec(T: number, H: number, steps: number): RunSpec {
  return {
    name: 'fixture',
    data: { kind: 'delayed-recall', length: T },
    model: { cell: 'lstm', hiddenSize: H, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false, cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh' },
    train: { optimizer: 'adam', learningRate: 0.01, batchSize: 4, seqLength: T, steps, clipNorm: 1, carryState: false, validationFraction: 0.1, validateEvery: 10 },
    trace: { samples: [0], every: 20, reachFrom: -1, jacobian: true },
    backend: 'cpu',
    seed: 1,
  };
}

/** Loss 1 / (1 + 0.05·s)·lossScale; validation every 10 steps; gradient norm 5 (clipped to 1) on every 7th step, else 0.5. */
export function metricsAt(s: number, lossScale = 1): MetricsRecord {
  const gradNorm = s % 7 === 0 ? 5 : 0.5;
  return {
    step: s, loss: lossScale / (1 + 0.05 * s), ...(s % 10 === 0 ? { valLoss: lossScale / (1 + 0.05 * s) + 0.01 } : {}),
    gradNorm, gradNormClipped: Math.min(gradNorm, 1), clipped: gradNorm > 1, learningRate: 0.01 * (1 - s / 1000),
    groupNorms: { 'layer0.Wh': gradNorm / 2 }, seconds: 0.01, time: 1_700_000_000_000 + s * 10,
  };
}

/** One snapshot [T, H]: c_t,u = sin(0.4·t + u)·(1 + 0.3·u) + step/1000, etc. */
export function snapshotAt(step: number, T: number, H: number): TraceSnapshot {
  const tau = T - 1;
  const m = (fn: (t: number, u: number) => number) => {
    const a = new Float32Array(T * H);
    for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) a[t * H + u] = fn(t, u);
    return a;
  };
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const c = m((t, u) => Math.sin(0.4 * t + u) * (1 + 0.3 * u) + step / 1000);
  // Units 0 and 1 have their forget gate shut (0.05); the others are open (0.9 .. 0.98).
  const f = m((t, u) => (u < 2 ? 0.05 : 0.9 + (0.02 * u) / H + 0.001 * t));
  const i = m((t, u) => sig(Math.cos(t + 2 * u)));
  const g = m((t, u) => Math.tanh(Math.sin(0.7 * t - u)));
  const o = m((t, u) => sig(0.5 * u - 1 + 0.1 * t));
  const h = m((t, u) => o[t * H + u] * Math.tanh(c[t * H + u]));
  const values: Record<string, Float32Array> = { c, h, f, i, g, o };
  const saturation: LayerTrace['saturation'] = {};
  for (const name of ['f', 'i', 'g', 'o']) {
    const v = values[name];
    const low = new Float32Array(H), high = new Float32Array(H);
    for (let u = 0; u < H; u++) {
      for (let t = 0; t < T; t++) { if (v[t * H + u] < 0.1) low[u]++; if (v[t * H + u] > 0.9) high[u]++; }
      low[u] /= T; high[u] /= T;
    }
    saturation[name] = { low, high };
  }
  const reachC = new Float32Array(T), reachH = new Float32Array(T);
  for (let t = 0; t <= tau; t++) { reachC[t] = 2 * 0.5 ** (tau - t); reachH[t] = 0.8 ** (tau - t); }
  const dc = m((t, u) => 0.5 ** (tau - t) * (u + 1) * 0.1);
  const dh = m((t, u) => 0.8 ** (tau - t) * (u % 2 ? -0.1 : 0.1));
  const norm = (a: Float32Array) => Float32Array.from({ length: T }, (_, t) => Math.hypot(...a.subarray(t * H, (t + 1) * H)));
  const layer: LayerTrace = {
    layer: 0, units: H, values, dh, dc, dhNorm: norm(dh), dcNorm: norm(dc), reachH, reachC,
    jacobianSigma: Float32Array.from({ length: T }, (_, t) => 0.5 + 0.05 * t),
    jacobianLagSigma: new Float32Array([0.5, 0.25, 0.0625, 0.00390625]),
    jacobianLags: new Int32Array([1, 2, 4, 8]),
    saturation,
  };
  return {
    step, sample: 0, cell: 'lstm', steps: T,
    tokens: Int32Array.from({ length: T }, (_, t) => t % VOCABULARY.length),
    inputs: null,
    stepLoss: Float32Array.from({ length: T }, (_, t) => (t === tau ? 1.5 : 0)),
    reachFrom: tau, layers: [layer],
  };
}

export function makeRun(o: FixtureOptions = {}): RunData {
  const steps = o.steps ?? 60, T = o.T ?? 16, H = o.H ?? 6, every = o.snapshotEvery ?? 20;
  const id = o.id ?? 'run-a';
  const metrics: MetricsRecord[] = [];
  for (let s = 1; s <= steps; s++) {
    const r = metricsAt(s, o.lossScale);
    if (o.failedAt !== undefined && s === o.failedAt) r.loss = NaN;
    metrics.push(r);
    if (o.failedAt !== undefined && s === o.failedAt) break;
  }
  const last = metrics[metrics.length - 1].step;
  const snapshots: TraceSnapshot[] = [];
  for (let s = every; s <= last; s += every) snapshots.push(snapshotAt(s, T, H));
  const status: RunStatus = {
    id, name: o.name ?? 'LSTM on delayed recall', state: o.failedAt !== undefined ? 'failed' : 'running', step: last,
    backend: 'cpu', vocabulary: VOCABULARY, baseline: 0.5, startedAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000 + last * 10,
    spec: spec(T, H, steps),
    ...(o.failedAt !== undefined ? { reason: `loss became NaN at step ${o.failedAt}` } : {}),
  };
  return { status, metrics, snapshots };
}

/**
 * Token predictions over T steps of a V-token vocabulary: the target at t is token (t + 1) mod V;
 * every third step the model's top-1 is the target (p = 0.5 + 0.4·sin²t), otherwise the next
 * token (p = 0.55) and the target gets 0.02 + 0.4·sin²t.
 */
export function tokenPrediction(T: number, V: number, mask?: Float32Array): TracePrediction {
  const target = Int32Array.from({ length: T }, (_, t) => (t + 1) % V);
  const top = Int32Array.from({ length: T }, (_, t) => (t % 3 === 0 ? target[t] : (target[t] + 1) % V));
  const targetProb = Float32Array.from({ length: T }, (_, t) => (t % 3 === 0 ? 0.5 : 0.02) + 0.4 * Math.sin(t) ** 2);
  const topProb = Float32Array.from({ length: T }, (_, t) => (t % 3 === 0 ? targetProb[t] : 0.55));
  return { kind: 'tokens', target, targetProb, top, topProb, mask: mask ?? new Float32Array(T).fill(1) };
}

/** Next-value predictions of one column: target x_{t+1} = sin(0.5(t + 1)), predicted 0.9·target + 0.05·cos t. */
export function valuePrediction(T: number, mask?: Float32Array): TracePrediction {
  const target = Float32Array.from({ length: T }, (_, t) => Math.sin(0.5 * (t + 1)));
  const predicted = Float32Array.from({ length: T }, (_, t) => 0.9 * target[t] + 0.05 * Math.cos(t));
  return { kind: 'values', outputs: 1, predicted, target, mask: mask ?? new Float32Array(T).fill(1) };
}
