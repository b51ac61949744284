// Jacobian diagnostics of one recurrent layer from its recorded trace: the spectral norm of the
// one-step Jacobian J_t = ∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}) at every t, and of the products
// J_τ ⋯ J_{τ-k+1} over lags k (lecture §1–2). Plain TypeScript, no tfjs: runs on any trace.

import type { CellKind, ModelSpec } from '../../protocol/spec';
import { GATE_ORDER } from '../../protocol/spec';
import { fixedVector, largestEigenvalue } from './lanczos';

/** What the Jacobian of one layer is built from. */
export interface JacobianArgs {
  cell: CellKind;
  /** For the activations (cellActivation, candidateActivation, rnnActivation). */
  spec: ModelSpec;
  /** Recurrent weights of the layer, [H, G·H] row-major, column block k = GATE_ORDER[cell][k]. */
  Wh: Float32Array | Float64Array;
  /** Hidden size H. */
  H: number;
  /**
   * Recorded values of the traced sample, [T, H] each, as in LayerTrace.values. Needed:
   * LSTM family 'c', 'f', 'g' and 'i' / 'o' where the variant has them (h is not needed);
   * GRU 'h', 'z', 'r', 'n'; RNN 'a' (pre-activation; 'h' is used if 'a' is absent).
   * Everything is recoverable from these: σ' = s(1−s), tanh' = 1 − y², relu' = [y > 0].
   */
  values: Record<string, ArrayLike<number>>;
  /** h_{-1} [H] (default zeros): the GRU's J_0 depends on it. */
  initialH?: ArrayLike<number>;
  /** c_{-1} [H] (default zeros): the LSTM's J_0 depends on it. */
  initialC?: ArrayLike<number>;
  /** τ, the end of the lag products; −1 = the last step. */
  reachFrom: number;
  /** Lags k, 1 ≤ k ≤ τ+1 (others are dropped); default 1, 2, 4, … ≤ τ+1, and τ+1. */
  lags?: number[];
  /**
   * Most Lanczos iterations per timestep and per lag when the state has more than EXACT_UP_TO
   * dimensions (default 64); up to EXACT_UP_TO the iteration may run to exactness.
   */
  iterations?: number;
  /** Accept σ² once the Lanczos residual bound is below this, relatively (default 1e-6: σ within 5e-7, below float32 resolution of the result). */
  tolerance?: number;
}

export interface JacobianSpectra {
  /** Largest singular value of J_t per timestep, [T]. */
  sigma: Float32Array;
  /** Largest singular value of J_τ ⋯ J_{τ-k+1} for k = lags[j], [L]; saturates to 0 / Infinity outside float32 range. */
  lagSigma: Float32Array;
  /** The lags actually computed, [L]. */
  lags: Int32Array;
  /** log10 of lagSigma without float32 range limits (products of 1000 Jacobians reach 1e-300), [L]. */
  lagLog10Sigma: Float64Array;
  /** How many of sigma and lagSigma missed the tolerance within `iterations` (0 up to EXACT_UP_TO dimensions). */
  unconverged: number;
}

/** Default lags for τ: 1, 2, 4, … up to τ+1, and τ+1 itself. */
export function defaultLags(tau: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= tau + 1; k *= 2) out.push(k);
  if (out[out.length - 1] !== tau + 1) out.push(tau + 1);
  return out;
}

/**
 * The one-step Jacobians of one layer as matrix-free operators, [n, n] with n = 2H for the LSTM
 * family (state (h, c)) and n = H for GRU and RNN. Vectors are laid out [h; c].
 */
export interface JacobianOperator {
  /** Dimension of the state: 2H (LSTM family) or H. */
  n: number;
  /** Number of timesteps T. */
  steps: number;
  /** out = J_t · v. */
  apply(t: number, v: Float64Array, out: Float64Array): void;
  /** out = J_tᵀ · w. */
  applyT(t: number, w: Float64Array, out: Float64Array): void;
}

/**
 * u[k] = Σ_i v[i]·W[i, c0 + k] for k < c1 − c0: a row vector times a column range of W [H, GH].
 * Four rows per pass so each u[k] is loaded and stored a quarter as often (2.5× faster in V8).
 */
function vecTimesCols(W: Float64Array, GH: number, H: number, v: ArrayLike<number>, c0: number, c1: number, u: Float64Array): void {
  const n = c1 - c0;
  u.fill(0, 0, n);
  let i = 0;
  for (; i + 3 < H; i += 4) {
    const a = v[i], b = v[i + 1], c = v[i + 2], d = v[i + 3];
    if (a === 0 && b === 0 && c === 0 && d === 0) continue;
    const r0 = i * GH + c0, r1 = r0 + GH, r2 = r1 + GH, r3 = r2 + GH;
    for (let k = 0; k < n; k++) u[k] += a * W[r0 + k] + b * W[r1 + k] + c * W[r2 + k] + d * W[r3 + k];
  }
  for (; i < H; i++) {
    const a = v[i];
    const r0 = i * GH + c0;
    for (let k = 0; k < n; k++) u[k] += a * W[r0 + k];
  }
}

/** out[i] = Σ_k W[i, c0 + k]·q[k]: a column range of W [H, GH] times a vector, four rows per pass. */
function colsTimesVec(W: Float64Array, GH: number, H: number, q: Float64Array, c0: number, c1: number, out: Float64Array): void {
  const n = c1 - c0;
  let i = 0;
  for (; i + 3 < H; i += 4) {
    const r0 = i * GH + c0, r1 = r0 + GH, r2 = r1 + GH, r3 = r2 + GH;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < n; k++) {
      const qk = q[k];
      s0 += W[r0 + k] * qk;
      s1 += W[r1 + k] * qk;
      s2 += W[r2 + k] * qk;
      s3 += W[r3 + k] * qk;
    }
    out[i] = s0; out[i + 1] = s1; out[i + 2] = s2; out[i + 3] = s3;
  }
  for (; i < H; i++) {
    const r0 = i * GH + c0;
    let s0 = 0;
    for (let k = 0; k < n; k++) s0 += W[r0 + k] * q[k];
    out[i] = s0;
  }
}

function need(values: Record<string, ArrayLike<number>>, name: string, cell: CellKind): ArrayLike<number> {
  const v = values[name];
  if (!v) throw new Error(`jacobian: ${cell} needs recorded values '${name}'`);
  return v;
}

/**
 * Builds J_t·v and J_tᵀ·w from the recorded values. Per-step coefficients are precomputed once
 * ([T, H] each, a few × T·H floats), so each product costs one pass over Wh: H·G·H multiply-adds.
 */
export function jacobianOperator(args: Omit<JacobianArgs, 'reachFrom' | 'lags' | 'iterations'>): JacobianOperator {
  const { cell, spec, H, values } = args;
  const G = GATE_ORDER[cell].length;
  const GH = G * H;
  if (args.Wh.length !== H * GH) throw new Error(`jacobian: Wh has ${args.Wh.length} values, expected [${H}, ${GH}]`);
  // One float64 copy: faster inner loops than mixed float32 reads, and exact for float32 weights.
  const Wh = Float64Array.from(args.Wh);
  const first = cell === 'rnn' ? (values.a ?? values.h) : cell === 'gru' ? values.h : values.c;
  if (!first) throw new Error(`jacobian: ${cell} needs recorded values '${cell === 'rnn' ? 'a' : cell === 'gru' ? 'h' : 'c'}'`);
  const T = Math.floor(first.length / H);
  const TH = T * H;

  const rowTimes = (v: ArrayLike<number>, c0: number, c1: number, u: Float64Array): void => vecTimesCols(Wh, GH, H, v, c0, c1, u);
  const timesCol = (q: Float64Array, c0: number, c1: number, out: Float64Array): void => colsTimesVec(Wh, GH, H, q, c0, c1, out);
  const u = new Float64Array(GH);
  const q = new Float64Array(GH);

  if (cell === 'rnn') {
    // h = act(a), a = … + h_{t-1}·Wh:  J = diag(act'(a)) Whᵀ.
    const d = new Float64Array(TH);
    const src = values.a ?? values.h;
    const relu = spec.rnnActivation === 'relu';
    const fromH = !values.a;
    for (let k = 0; k < TH; k++) {
      const y = src[k];
      d[k] = relu ? (y > 0 ? 1 : 0) : fromH ? 1 - y * y : 1 - Math.tanh(y) ** 2;
    }
    return {
      n: H, steps: T,
      apply(t, v, out) {
        rowTimes(v, 0, H, u);
        for (let j = 0; j < H; j++) out[j] = d[t * H + j] * u[j];
      },
      applyT(t, w, out) {
        for (let j = 0; j < H; j++) q[j] = d[t * H + j] * w[j];
        timesCol(q, 0, H, out);
      },
    };
  }

  if (cell === 'gru') {
    const h = need(values, 'h', cell), z = need(values, 'z', cell), r = need(values, 'r', cell), nn = need(values, 'n', cell);
    // h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n,  n = tanh(… + (r ⊙ h_{t-1})·Wh_n):
    // J v = kz ⊙ (v·Wh_z) + z ⊙ v + kn ⊙ ((kr ⊙ (v·Wh_r) ⊙ h_{t-1} + r ⊙ v)·Wh_n)
    const kz = new Float64Array(TH), kr = new Float64Array(TH), kn = new Float64Array(TH), hp = new Float64Array(TH);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        const k = t * H + j;
        const hPrev = t > 0 ? h[k - H] : args.initialH ? args.initialH[j] : 0;
        hp[k] = hPrev;
        kz[k] = z[k] * (1 - z[k]) * (hPrev - nn[k]); // ∂h/∂z̄
        kr[k] = r[k] * (1 - r[k]); // ∂r/∂r̄
        kn[k] = (1 - z[k]) * (1 - nn[k] * nn[k]); // ∂h/∂n̄
      }
    }
    const drh = new Float64Array(H);
    const un = new Float64Array(H);
    return {
      n: H, steps: T,
      apply(t, v, out) {
        const o = t * H;
        rowTimes(v, 0, 2 * H, u); // z̄ and r̄ blocks
        for (let j = 0; j < H; j++) drh[j] = kr[o + j] * u[H + j] * hp[o + j] + r[o + j] * v[j]; // d(r ⊙ h_{t-1})
        rowTimes(drh, 2 * H, 3 * H, un);
        for (let j = 0; j < H; j++) out[j] = kz[o + j] * u[j] + z[o + j] * v[j] + kn[o + j] * un[j];
      },
      applyT(t, w, out) {
        const o = t * H;
        for (let j = 0; j < H; j++) q[j] = w[j] * kn[o + j];
        timesCol(q, 2 * H, 3 * H, drh); // cotangent of r ⊙ h_{t-1}
        for (let j = 0; j < H; j++) {
          q[j] = w[j] * kz[o + j];
          q[H + j] = drh[j] * hp[o + j] * kr[o + j];
        }
        timesCol(q, 0, 2 * H, out);
        for (let j = 0; j < H; j++) out[j] += w[j] * z[o + j] + drh[j] * r[o + j];
      },
    };
  }

  // LSTM family. c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ act(c_t), gates from h_{t-1}·Wh:
  //   ∂c/∂c_{t-1} = diag(f)                       (the lecture's direct path)
  //   ∂c/∂h_{t-1} = diag(kf) Wh_fᵀ + diag(ki) Wh_iᵀ + diag(kg) Wh_gᵀ
  //   ∂h/∂(·)     = diag(kco) ∂c/∂(·) + diag(ko) Wh_oᵀ (on h_{t-1} only)
  const order = GATE_ORDER[cell];
  const bf = order.indexOf('f'), bi = order.indexOf('i'), bg = order.indexOf('g'), bo = order.indexOf('o');
  const c = need(values, 'c', cell), f = need(values, 'f', cell), g = need(values, 'g', cell);
  const iv = bi >= 0 ? need(values, 'i', cell) : null;
  const ov = bo >= 0 ? need(values, 'o', cell) : null;
  const kf = new Float64Array(TH), ki = new Float64Array(TH), kg = new Float64Array(TH);
  const ko = new Float64Array(TH), kco = new Float64Array(TH), ff = new Float64Array(TH);
  const reluC = spec.cellActivation === 'relu';
  const reluG = spec.candidateActivation === 'relu';
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < H; j++) {
      const k = t * H + j;
      const cPrev = t > 0 ? c[k - H] : args.initialC ? args.initialC[j] : 0;
      const fk = f[k], gk = g[k];
      const ik = iv ? iv[k] : 1;
      const ok = ov ? ov[k] : 1;
      const ac = reluC ? (c[k] > 0 ? c[k] : 0) : Math.tanh(c[k]); // act(c_t)
      const dac = reluC ? (c[k] > 0 ? 1 : 0) : 1 - ac * ac; // act'(c_t)
      ff[k] = fk;
      kf[k] = cPrev * fk * (1 - fk); // ∂c/∂f̄ = c_{t-1} σ'(f̄)
      ki[k] = iv ? gk * ik * (1 - ik) : 0; // ∂c/∂ī = g σ'(ī)
      kg[k] = ik * (reluG ? (gk > 0 ? 1 : 0) : 1 - gk * gk); // ∂c/∂ḡ = i act'(ḡ)
      ko[k] = ov ? ac * ok * (1 - ok) : 0; // ∂h/∂ō = act(c) σ'(ō)
      kco[k] = ok * dac; // ∂h/∂c = o act'(c)
    }
  }
  const dc = new Float64Array(H);
  return {
    n: 2 * H, steps: T,
    apply(t, v, out) {
      const o = t * H;
      rowTimes(v, 0, GH, u); // v_h · Wh, all gate blocks
      for (let j = 0; j < H; j++) {
        const k = o + j;
        let d = ff[k] * v[H + j] + kf[k] * u[bf * H + j] + kg[k] * u[bg * H + j];
        if (bi >= 0) d += ki[k] * u[bi * H + j];
        out[H + j] = d;
        out[j] = kco[k] * d + (bo >= 0 ? ko[k] * u[bo * H + j] : 0);
      }
    },
    applyT(t, w, out) {
      const o = t * H;
      for (let j = 0; j < H; j++) {
        const k = o + j;
        const wc = w[H + j] + w[j] * kco[k]; // total cotangent of c_t
        dc[j] = wc;
        q[bf * H + j] = wc * kf[k];
        q[bg * H + j] = wc * kg[k];
        if (bi >= 0) q[bi * H + j] = wc * ki[k];
        if (bo >= 0) q[bo * H + j] = w[j] * ko[k];
      }
      timesCol(q, 0, GH, out); // Wh · q → the h_{t-1} part
      for (let j = 0; j < H; j++) out[H + j] = dc[j] * ff[o + j];
    },
  };
}

/** The explicit J_t, [n, n] row-major (row = output component), from the operator: for tests and small H. */
export function jacobianMatrix(op: JacobianOperator, t: number): Float64Array {
  const n = op.n;
  const m = new Float64Array(n * n);
  const e = new Float64Array(n);
  const col = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    e.fill(0);
    e[k] = 1;
    op.apply(t, e, col);
    for (let r = 0; r < n; r++) m[r * n + k] = col[r];
  }
  return m;
}

/**
 * The lecture's direct cell path: ∂c_τ/∂c_t along c alone is diag(∏_{k=t+1..τ} f_k). Returns that
 * running product per timestep and unit, [T, H]: 1 at t = τ, 0 after τ. `f` is the recorded
 * forget gate [T, H].
 */
export function forgetPathProduct(f: ArrayLike<number>, T: number, H: number, reachFrom: number): Float64Array {
  const tau = reachFrom < 0 ? T - 1 : reachFrom;
  const out = new Float64Array(T * H);
  if (tau >= T) return out;
  for (let j = 0; j < H; j++) out[tau * H + j] = 1;
  for (let t = tau - 1; t >= 0; t--) for (let j = 0; j < H; j++) out[t * H + j] = out[(t + 1) * H + j] * f[(t + 1) * H + j];
  return out;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

/** State size up to which Lanczos runs to exactness when it must (n iterations on n dimensions). */
export const EXACT_UP_TO = 256;
/** Most Lanczos iterations above EXACT_UP_TO; values that miss the tolerance are counted in `unconverged`. */
const DEFAULT_MAX_ITERATIONS = 64;
/** Relative residual ‖A y − θ y‖ / θ at which an eigenvalue θ of A = JᵀJ is accepted. */
const DEFAULT_TOLERANCE = 1e-6;

/**
 * sigma[t] and the lag products' largest singular values of one layer.
 *
 * Method: Lanczos with full reorthogonalisation (lanczos.ts) on JᵀJ with matrix-free J·v and
 * Jᵀ·u, stopped by the residual bound; up to n = 2H (or H) ≤ EXACT_UP_TO it may run all n
 * iterations, where the result is exact up to rounding, so every value there is exact; above,
 * at most `iterations` and whatever misses the tolerance is counted in `unconverged`. Each t
 * starts from the previous t's vector blended with a fixed one (consecutive Jacobians are alike;
 * the fixed part keeps every direction in the Krylov space). Products P = J_τ⋯J_{τ-k+1} use
 * PᵀP the same way; vectors are renormalised after every factor and the scale is kept as a
 * logarithm (one common scale per lag, so the operator stays linear), so nothing under- or
 * overflows.
 *
 * Cost: one J·v or Jᵀ·u is H·G·H multiply-adds (G = 4 for the LSTM); sigma costs 2 per Lanczos
 * iteration and step, lag k costs 2k per iteration. See bench/jacobian.ts for measured times.
 */
export function jacobianSpectra(args: JacobianArgs): JacobianSpectra {
  const op = jacobianOperator(args);
  const T = op.steps;
  const n = op.n;
  const maxIterations = n <= EXACT_UP_TO ? n : Math.max(1, Math.floor(args.iterations ?? DEFAULT_MAX_ITERATIONS));
  const tolerance = args.tolerance ?? DEFAULT_TOLERANCE;
  const opts = { maxIterations, tolerance };
  const sigma = new Float32Array(T);
  let unconverged = 0;

  const fixed = fixedVector(n, 12345);
  const blend = (prev: Float64Array | null): Float64Array => {
    if (!prev) return Float64Array.from(fixed);
    const np = norm(prev);
    if (!(np > 0)) return Float64Array.from(fixed);
    return Float64Array.from(prev, (x, k) => x / np + 0.25 * fixed[k]);
  };

  // ---- σ_max(J_t) for every t.
  const w = new Float64Array(n);
  let prev: Float64Array | null = null;
  let lastLeft: Float64Array | null = null;
  const tau = args.reachFrom < 0 ? T - 1 : Math.min(args.reachFrom, T - 1);
  for (let t = 0; t < T; t++) {
    const res = largestEigenvalue(n, (v, out) => { op.apply(t, v, w); op.applyT(t, w, out); }, blend(prev), opts);
    if (!res.converged) unconverged++;
    sigma[t] = Math.sqrt(res.value);
    prev = res.vector;
    if (t === tau) {
      // The left singular vector J v / ‖J v‖ starts the lag products (lag 1 is J_τ itself).
      op.apply(t, res.vector, w);
      const nw = norm(w);
      lastLeft = nw > 0 ? w.map((e) => e / nw) : null;
    }
  }

  // ---- products over lags, ending at τ.
  const wanted = (args.lags ?? defaultLags(tau)).filter((k) => Number.isInteger(k) && k >= 1 && k <= tau + 1);
  const lags = Int32Array.from(wanted);
  const lagSigma = new Float32Array(lags.length);
  const lagLog10Sigma = new Float64Array(lags.length);
  if (T === 0) return { sigma, lagSigma, lags, lagLog10Sigma, unconverged };
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  // P Pᵀ u for unit u, as log‖·‖ and the unit direction in a: Pᵀ from the left, then P, renormalising after each factor.
  const productTimes = (k: number, u: Float64Array): number => {
    let logScale = 0;
    a.set(u);
    const nu = norm(a);
    if (!(nu > 0)) return -Infinity;
    logScale += Math.log(nu);
    for (let e = 0; e < n; e++) a[e] /= nu;
    for (let s = tau; s > tau - k; s--) {
      op.applyT(s, a, b);
      const nb = norm(b);
      if (nb === 0) return -Infinity;
      logScale += Math.log(nb);
      for (let e = 0; e < n; e++) a[e] = b[e] / nb;
    }
    for (let s = tau - k + 1; s <= tau; s++) {
      op.apply(s, a, b);
      const nb = norm(b);
      if (nb === 0) return -Infinity;
      logScale += Math.log(nb);
      for (let e = 0; e < n; e++) a[e] = b[e] / nb;
    }
    return logScale;
  };
  let u: Float64Array | null = lastLeft;
  lags.forEach((k, j) => {
    // One scale per lag, from the start vector: A = e^{−scale}·P Pᵀ is linear and within range.
    const start = blend(u);
    const scale = productTimes(k, Float64Array.from(start, (x) => x / norm(start)));
    if (scale === -Infinity) {
      lagLog10Sigma[j] = -Infinity;
      lagSigma[j] = 0;
      return;
    }
    const res = largestEigenvalue(n, (v, out) => {
      const l = productTimes(k, v);
      if (l === -Infinity) { out.fill(0); return; }
      const f = Math.exp(l - scale);
      for (let e = 0; e < n; e++) out[e] = f * a[e];
    }, start, opts);
    if (!res.converged) unconverged++;
    const logSigma = res.value > 0 ? (Math.log(res.value) + scale) / 2 : -Infinity;
    lagLog10Sigma[j] = logSigma / Math.LN10;
    lagSigma[j] = Math.exp(logSigma);
    u = res.vector;
  });
  return { sigma, lagSigma, lags, lagLog10Sigma, unconverged };
}

/** The (c, c) block of the LSTM family's explicit J_t ([2H, 2H] from jacobianMatrix), [H, H]. */
export function cellBlock(J: Float64Array, H: number): Float64Array {
  const out = new Float64Array(H * H);
  for (let r = 0; r < H; r++) for (let k = 0; k < H; k++) out[r * H + k] = J[(H + r) * 2 * H + H + k];
  return out;
}
