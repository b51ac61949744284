// jacobianSpectra against explicit Jacobians: J_t built column by column by finite differences of
// one step of the float64 reference cell, its largest singular value from a Jacobi eigen-solve
// of JᵀJ; lag products likewise; and the lecture's claim ∂c_t/∂c_{t-1} = diag(f_t).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CELL_KINDS, GATE_ORDER, hasCellState } from '../../../src/protocol/spec';
import type { ModelSpec } from '../../../src/protocol/spec';
import type { ModelIO } from '../../../src/core/types';
import { referenceCellStep, referenceForwardBackward } from '../../../src/core/float64Reference';
import type { RefLayerWeights } from '../../../src/core/float64Reference';
import { EXACT_UP_TO, cellBlock, defaultLags, forgetPathProduct, jacobianMatrix, jacobianOperator, jacobianSpectra } from '../../../src/core/analysis/jacobian';
import { central, largestSingularValue, matMul, modelSpec, randomBatch, randomWeights, rng, symmetricEigenvalues } from './helpers';

interface Trajectory {
  spec: ModelSpec;
  w: RefLayerWeights;
  xs: Float64Array[];
  h0: Float64Array;
  c0: Float64Array;
  /** Recorded values [T, H] as a trace has them. */
  values: Record<string, Float64Array>;
}

/** Runs one layer for T steps from a random initial state and records it like a trace. */
function trajectory(spec: ModelSpec, T: number, seed: number, scale = 0.8): Trajectory {
  const rand = rng(seed);
  const H = spec.hiddenSize;
  const GH = GATE_ORDER[spec.cell].length * H;
  const inW = 3;
  const u = (n: number, s: number) => Float64Array.from({ length: n }, () => (rand() * 2 - 1) * s);
  const w: RefLayerWeights = { Wx: u(inW * GH, scale), Wh: u(H * GH, scale), b: u(GH, 0.5), inputWidth: inW };
  const xs = Array.from({ length: T }, () => u(inW, 1));
  const h0 = u(H, 0.5), c0 = u(H, 0.5);
  const values: Record<string, Float64Array> = { h: new Float64Array(T * H) };
  if (hasCellState(spec.cell)) values.c = new Float64Array(T * H);
  for (const g of GATE_ORDER[spec.cell]) values[g] = new Float64Array(T * H);
  let h: Float64Array = h0, c: Float64Array | null = hasCellState(spec.cell) ? c0 : null;
  for (let t = 0; t < T; t++) {
    const r = referenceCellStep(spec, w, xs[t], h, c);
    values.h.set(r.h, t * H);
    if (r.c) values.c.set(r.c, t * H);
    GATE_ORDER[spec.cell].forEach((g, k) => values[g].set(r.gates.subarray(k * H, (k + 1) * H), t * H));
    h = r.h;
    c = r.c;
  }
  return { spec, w, xs, h0, c0, values };
}

/** J_t = ∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}) by central differences of one reference step, [n, n]. */
function finiteDifferenceJacobian(tr: Trajectory, t: number): Float64Array {
  const H = tr.spec.hiddenSize;
  const lstm = hasCellState(tr.spec.cell);
  const n = lstm ? 2 * H : H;
  const hPrev = t > 0 ? tr.values.h.slice((t - 1) * H, t * H) : tr.h0.slice();
  const cPrev = lstm ? (t > 0 ? tr.values.c.slice((t - 1) * H, t * H) : tr.c0.slice()) : null;
  const J = new Float64Array(n * n);
  for (let col = 0; col < n; col++) {
    for (let row = 0; row < n; row++) {
      J[row * n + col] = central((d) => {
        const hp = hPrev.slice(), cp = cPrev ? cPrev.slice() : null;
        if (col < H) hp[col] += d; else (cp as Float64Array)[col - H] += d;
        const r = referenceCellStep(tr.spec, tr.w, tr.xs[t], hp, cp);
        return row < H ? r.h[row] : (r.c as Float64Array)[row - H];
      }, 1e-5); // small: relu kinks (c_t ≈ 5e-4 occurs) must not fall inside ±2ε
    }
  }
  return J;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

const VARIANTS: ModelSpec[] = [
  ...CELL_KINDS.map((cell) => modelSpec(cell, { hiddenSize: 3 })),
  modelSpec('lstm', { hiddenSize: 3, cellActivation: 'relu', candidateActivation: 'relu' }),
  modelSpec('rnn', { hiddenSize: 3, rnnActivation: 'relu' }),
];
const label = (s: ModelSpec) => `${s.cell}${s.cellActivation === 'relu' || (s.cell === 'rnn' && s.rnnActivation === 'relu') ? ' (relu)' : ''}`;

for (const [k, spec] of VARIANTS.entries()) {
  test(`matrix-free J·v and Jᵀ·w equal the finite-difference Jacobian: ${label(spec)}`, () => {
    const T = 6;
    const tr = trajectory(spec, T, 50 + k);
    const H = spec.hiddenSize;
    const op = jacobianOperator({ cell: spec.cell, spec, Wh: Float64Array.from(tr.w.Wh), H, values: tr.values, initialH: tr.h0, initialC: tr.c0 });
    const n = op.n;
    for (let t = 0; t < T; t++) {
      const fd = finiteDifferenceJacobian(tr, t);
      const J = jacobianMatrix(op, t);
      assert.ok(maxAbsDiff(J, fd) < 1e-9, `t=${t}: |J − J_fd| = ${maxAbsDiff(J, fd)}`);
      // Jᵀ: column k of Jᵀ is applyT(e_k).
      const e = new Float64Array(n), out = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        e.fill(0); e[r] = 1;
        op.applyT(t, e, out);
        for (let c = 0; c < n; c++) assert.ok(Math.abs(out[c] - fd[r * n + c]) < 1e-9, `Jᵀ t=${t} [${c},${r}]`);
      }
    }
  });

  test(`sigma[t] and lagSigma equal σ_max of the explicit matrices: ${label(spec)}`, (ctx) => {
    const T = 9;
    const tr = trajectory(spec, T, 80 + k, 1.2);
    const H = spec.hiddenSize;
    const tau = 7;
    const fd = Array.from({ length: T }, (_, t) => finiteDifferenceJacobian(tr, t));
    const n = hasCellState(spec.cell) ? 2 * H : H;
    const res = jacobianSpectra({
      cell: spec.cell, spec, Wh: Float32Array.from(tr.w.Wh), H, values: tr.values, initialH: tr.h0, initialC: tr.c0,
      reachFrom: tau, iterations: 200, tolerance: 0,
    });
    // Float32 Wh in the operator, float64 in the reference: agreement to float32 precision.
    let worst = 0;
    for (let t = 0; t < T; t++) {
      const exact = largestSingularValue(fd[t], n);
      worst = Math.max(worst, Math.abs(res.sigma[t] - exact) / exact);
    }
    assert.deepEqual(Array.from(res.lags), [1, 2, 4, 8]);
    let worstLag = 0;
    res.lags.forEach((lag, j) => {
      let P = fd[tau];
      for (let s = tau - 1; s > tau - lag; s--) P = matMul(P, fd[s], n); // J_τ ⋯ J_{τ-k+1}
      const exact = largestSingularValue(P, n);
      worstLag = Math.max(worstLag, Math.abs(res.lagSigma[j] - exact) / exact);
      assert.ok(Math.abs(res.lagLog10Sigma[j] - Math.log10(exact)) < 1e-6, `lag ${lag}: log10 ${res.lagLog10Sigma[j]} vs ${Math.log10(exact)}`);
    });
    ctx.diagnostic(`relative error sigma ${worst.toExponential(1)}, lags ${worstLag.toExponential(1)}`);
    assert.ok(worst < 1e-5, `sigma relative error ${worst}`);
    assert.ok(worstLag < 1e-5, `lagSigma relative error ${worstLag}`);
  });
}

for (const cell of CELL_KINDS.filter(hasCellState)) {
  test(`the (c, c) block of J_t is diag(f_t), and its running product is forgetPathProduct: ${cell}`, () => {
    const spec = modelSpec(cell, { hiddenSize: 4 });
    const T = 6;
    const tr = trajectory(spec, T, 7);
    const H = 4;
    const tau = 4;
    const blocks = Array.from({ length: T }, (_, t) => cellBlock(finiteDifferenceJacobian(tr, t), H));
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < H; r++) for (let c = 0; c < H; c++) {
        const expected = r === c ? tr.values.f[t * H + r] : 0;
        assert.ok(Math.abs(blocks[t][r * H + c] - expected) < 1e-10, `t=${t} [${r},${c}] = ${blocks[t][r * H + c]}, expected ${expected}`);
      }
    }
    const path = forgetPathProduct(tr.values.f, T, H, tau);
    for (let t = 0; t < T; t++) {
      // ∂c_τ/∂c_t along c alone = block_τ ⋯ block_{t+1}.
      let P: Float64Array = Float64Array.from({ length: H * H }, (_, k) => (k % (H + 1) === 0 ? 1 : 0));
      for (let s = tau; s > t; s--) P = matMul(P, blocks[s], H);
      for (let j = 0; j < H; j++) {
        const expected = t > tau ? 0 : P[j * H + j];
        assert.ok(Math.abs(path[t * H + j] - expected) < 1e-9, `t=${t} unit ${j}: ${path[t * H + j]} vs ${expected}`);
      }
    }
  });
}

test('stacked layers: the upper layer\'s Jacobian from the reference trace holds its input fixed', () => {
  // Layer 1 of a 2-layer GRU and LSTM traced by the full reference: J_t of layer 1 with x_t = h_t of layer 0.
  for (const cell of ['lstm', 'gru'] as const) {
    const spec = modelSpec(cell, { hiddenSize: 3, layers: 2 });
    const io: ModelIO = { vocabSize: 4, inputSize: 0, outputSize: 4, loss: 'xent' };
    const rand = rng(99);
    const weights = randomWeights(spec, io, rand, 1);
    const batch = randomBatch(io, 1, 5, rand);
    const ref = referenceForwardBackward(spec, io, weights, batch, { sample: 0, reachFrom: -1 });
    const H = 3;
    const w: RefLayerWeights = { Wx: weights['layer1.Wx'].data, Wh: weights['layer1.Wh'].data, b: weights['layer1.b'].data, inputWidth: H };
    const tr: Trajectory = {
      spec, w, values: ref.layers[1].values, h0: new Float64Array(H), c0: new Float64Array(H),
      xs: Array.from({ length: 5 }, (_, t) => ref.layers[0].values.h.slice(t * H, (t + 1) * H)),
    };
    const res = jacobianSpectra({ cell, spec, Wh: Float64Array.from(w.Wh), H, values: tr.values, reachFrom: -1, iterations: 300, tolerance: 0 });
    for (let t = 0; t < 5; t++) {
      const exact = largestSingularValue(finiteDifferenceJacobian(tr, t), hasCellState(cell) ? 2 * H : H);
      assert.ok(Math.abs(res.sigma[t] - exact) / exact < 1e-7, `${cell} t=${t}: ${res.sigma[t]} vs ${exact}`); // float32 output
    }
    assert.deepEqual(Array.from(res.lags), [1, 2, 4, 5]);
  }
});

test('default settings on a realistic layer: accuracy of the warm-started estimate', (ctx) => {
  // H = 24 LSTM over 60 steps with weights of a trained-looking scale; exact values from Jacobi.
  const spec = modelSpec('lstm', { hiddenSize: 24 });
  const T = 60;
  const tr = trajectory(spec, T, 5, 0.35);
  const H = 24;
  const op = jacobianOperator({ cell: 'lstm', spec, Wh: Float64Array.from(tr.w.Wh), H, values: tr.values, initialH: tr.h0, initialC: tr.c0 });
  const res = jacobianSpectra({ cell: 'lstm', spec, Wh: Float64Array.from(tr.w.Wh), H, values: tr.values, initialH: tr.h0, initialC: tr.c0, reachFrom: -1 });
  const exact = Array.from({ length: T }, (_, t) => largestSingularValue(jacobianMatrix(op, t), 2 * H));
  const errs = exact.map((e, t) => (e - res.sigma[t]) / e);
  const worst = Math.max(...errs.map(Math.abs));
  const mean = errs.reduce((a, b) => a + Math.abs(b), 0) / T;
  ctx.diagnostic(`default settings: sigma relative error mean ${mean.toExponential(1)}, worst ${worst.toExponential(1)}`);
  // Ritz values never exceed σ_max² (interlacing): only underestimates, up to float32 rounding of the output.
  for (const e of errs) assert.ok(e > -1e-6);
  assert.ok(worst < 1e-6, `worst relative error ${worst}`);
  assert.ok(mean < 1e-6, `mean relative error ${mean}`);
});

test('defaultLags: powers of two up to τ+1, then τ+1', () => {
  assert.deepEqual(defaultLags(0), [1]);
  assert.deepEqual(defaultLags(3), [1, 2, 4]);
  assert.deepEqual(defaultLags(9), [1, 2, 4, 8, 10]);
  assert.deepEqual(defaultLags(999), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]);
});

test('lags outside 1…τ+1 are dropped; a zero Jacobian gives σ = 0 and log10 = −∞', () => {
  const spec = modelSpec('rnn', { hiddenSize: 3, rnnActivation: 'relu' });
  const H = 3, T = 4;
  // Every pre-activation negative: relu' = 0, so J_t = 0 for all t.
  const values = { a: Float64Array.from({ length: T * H }, () => -1), h: new Float64Array(T * H) };
  const res = jacobianSpectra({ cell: 'rnn', spec, Wh: Float64Array.from({ length: H * H }, () => 0.5), H, values, reachFrom: 2, lags: [0, 1, 3, 4, 2] });
  assert.deepEqual(Array.from(res.lags), [1, 3, 2]);
  assert.deepEqual(Array.from(res.sigma), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(res.lagSigma), [0, 0, 0]);
  assert.deepEqual(Array.from(res.lagLog10Sigma), [-Infinity, -Infinity, -Infinity]);
});

test('long products neither underflow nor overflow: log10 σ of 400 contracting steps', () => {
  // Linear-regime tanh RNN with Wh = 0.1·I: J_t ≈ 0.1·diag(1 − h²), the product over 400 steps ≈ 1e-400.
  const H = 2, T = 400;
  const spec = modelSpec('rnn', { hiddenSize: H });
  const Wh = Float64Array.from([0.1, 0, 0, 0.1]);
  const values = { a: new Float64Array(T * H), h: new Float64Array(T * H) }; // a = 0: tanh' = 1
  const res = jacobianSpectra({ cell: 'rnn', spec, Wh, H, values, reachFrom: -1, lags: [1, 400] });
  assert.ok(Math.abs(res.lagLog10Sigma[0] - -1) < 1e-9);
  assert.ok(Math.abs(res.lagLog10Sigma[1] - -400) < 1e-6, `${res.lagLog10Sigma[1]}`);
  assert.equal(res.lagSigma[1], 0); // below float32 range
  assert.ok(Math.abs(res.sigma[17] - 0.1) < 1e-7);
});

test('missing recorded values are named in the error', () => {
  const spec = modelSpec('gru', { hiddenSize: 2 });
  assert.throws(() => jacobianSpectra({ cell: 'gru', spec, Wh: new Float64Array(12), H: 2, values: { h: new Float64Array(4), z: new Float64Array(4), n: new Float64Array(4) }, reachFrom: -1 }), /'r'/);
  assert.throws(() => jacobianSpectra({ cell: 'lstm', spec, Wh: new Float64Array(7), H: 2, values: {}, reachFrom: -1 }), /Wh/);
});

/** A fixed random orthogonal n×n matrix (Gram–Schmidt of uniform columns), row-major. */
function orthogonal(n: number, seed: number): Float64Array {
  const rand = rng(seed);
  const Q = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const v = Float64Array.from({ length: n }, () => rand() * 2 - 1);
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += v[r] * Q[r * n + p];
        for (let r = 0; r < n; r++) v[r] -= d * Q[r * n + p];
      }
    }
    const nv = Math.hypot(...v);
    for (let r = 0; r < n; r++) Q[r * n + c] = v[r] / nv;
  }
  return Q;
}

test('close top singular values (σ₂/σ₁ = 0.98): sigma and lag products are exact with the default settings', (ctx) => {
  // tanh RNN with every pre-activation 0, so J_t = Whᵀ at every step; Wh = Q diag(λ) Qᵀ is symmetric,
  // so σ(J_t) = |λ| and σ(J^k) = |λ|^k exactly: σ_max = 1 at every lag while σ₂ = 0.98.
  const H = 48, T = 40;
  const spec = modelSpec('rnn', { hiddenSize: H });
  const lambda = Float64Array.from({ length: H }, (_, k) => (k === 0 ? 1 : k === 1 ? -0.98 : 0.97 - 0.9 * (k / H)));
  const Q = orthogonal(H, 31);
  const Wh = new Float64Array(H * H);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) {
    let s = 0;
    for (let k = 0; k < H; k++) s += Q[i * H + k] * lambda[k] * Q[j * H + k];
    Wh[i * H + j] = s;
  }
  const values = { a: new Float64Array(T * H), h: new Float64Array(T * H) };
  const res = jacobianSpectra({ cell: 'rnn', spec, Wh, H, values, reachFrom: -1 });
  const worst = Math.max(...Array.from(res.sigma, (s) => Math.abs(s - 1)));
  const worstLog = Math.max(...Array.from(res.lagLog10Sigma, (l) => Math.abs(l)));
  ctx.diagnostic(`|σ − 1| worst ${worst.toExponential(1)}; |log10 σ(lag product)| worst ${worstLog.toExponential(1)}`);
  assert.ok(worst < 1e-6, `σ_max should be 1 at every step, worst |σ − 1| = ${worst}`);
  assert.ok(worstLog < 1e-6, `σ_max of every lag product should be 1: log10 ${Array.from(res.lagLog10Sigma).join(', ')}`);
  assert.equal(res.unconverged, 0);
});

test('recorded steps with σ₂/σ₁ > 0.9: sigma equals an exact SVD, default settings, all five cells', (ctx) => {
  let checked = 0;
  for (const cell of CELL_KINDS) {
    const H = 16, T = 30;
    const spec = modelSpec(cell, { hiddenSize: H });
    const tr = trajectory(spec, T, 17, 0.35);
    const op = jacobianOperator({ cell, spec, Wh: Float64Array.from(tr.w.Wh), H, values: tr.values, initialH: tr.h0, initialC: tr.c0 });
    const res = jacobianSpectra({ cell, spec, Wh: Float64Array.from(tr.w.Wh), H, values: tr.values, initialH: tr.h0, initialC: tr.c0, reachFrom: -1 });
    const n = op.n;
    let worst = 0, close = 0;
    for (let t = 0; t < T; t++) {
      const J = jacobianMatrix(op, t);
      const JtJ = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += J[k * n + i] * J[k * n + j];
        JtJ[i * n + j] = s;
      }
      const ev = symmetricEigenvalues(JtJ, n);
      const s1 = Math.sqrt(ev[0]), s2 = Math.sqrt(Math.max(0, ev[1]));
      if (s2 / s1 <= 0.9) continue;
      close++;
      worst = Math.max(worst, Math.abs(res.sigma[t] - s1) / s1);
    }
    ctx.diagnostic(`${cell}: ${close} of ${T} steps with σ₂/σ₁ > 0.9, worst relative error ${worst.toExponential(1)}`);
    assert.ok(worst < 1e-6, `${cell}: worst relative error ${worst} on steps with σ₂/σ₁ > 0.9`);
    checked += close;
  }
  assert.ok(checked >= 20, `only ${checked} steps had σ₂/σ₁ > 0.9: the test checks too little`);
});

test('above EXACT_UP_TO dimensions the iteration cap is reported as unconverged, not hidden', () => {
  // A tanh RNN with H = 300 > 256, J_t = Whᵀ with a dense spread of singular values: 2 iterations cannot meet the tolerance.
  const H = 300, T = 2;
  const spec = modelSpec('rnn', { hiddenSize: H });
  const rand = rng(5);
  const Wh = Float64Array.from({ length: H * H }, () => (rand() * 2 - 1) / Math.sqrt(H));
  const values = { a: new Float64Array(T * H), h: new Float64Array(T * H) };
  const capped = jacobianSpectra({ cell: 'rnn', spec, Wh, H, values, reachFrom: -1, lags: [1], iterations: 2 });
  assert.equal(capped.unconverged, 3); // both steps and the one lag
  assert.ok(EXACT_UP_TO < H);
});
