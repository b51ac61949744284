// The largest eigenvalue of a symmetric positive semidefinite operator given only as A·v: Lanczos
// with full reorthogonalisation. Used for σ_max² of Jacobians and of their products (AᵀA).
//
// Why Lanczos and not power iteration: power iteration converges like (λ₂/λ₁)^k and stalls on σ₂
// when σ₂/σ₁ is 0.8–0.96, which recorded Jacobians often are (8 iterations read 5–16 % low on
// real traces). Lanczos converges like a Chebyshev polynomial in the gap, and it stops on a
// guaranteed bound rather than on "the estimate stopped moving": for the Ritz pair (θ, y),
// ‖A y − θ y‖ = β_k·|s_k| bounds the distance from θ to an eigenvalue of A. With full
// reorthogonalisation the Krylov basis stays orthogonal, so after n iterations (or an invariant
// subspace) the Ritz values are the eigenvalues of A on that subspace: exact up to rounding.

export interface LargestEigen {
  /** The largest Ritz value θ (≥ 0). */
  value: number;
  /** Its unit Ritz vector, for warm starts. */
  vector: Float64Array;
  /** Whether the residual bound met the tolerance (or the Krylov space was exhausted). */
  converged: boolean;
  /** Lanczos iterations run (= A·v products). */
  iterations: number;
}

export interface LanczosOptions {
  /** Most iterations; capped at n (where the result is exact). */
  maxIterations: number;
  /** Stop once ‖A y − θ y‖ ≤ tolerance·θ. */
  tolerance: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/**
 * Number of eigenvalues of the symmetric tridiagonal (alpha[0..m), beta[0..m-1)) that are < x
 * (Sturm sequence count of the LDLᵀ pivots).
 */
function countBelow(alpha: Float64Array, beta: Float64Array, m: number, x: number): number {
  let count = 0;
  let d = 1;
  for (let i = 0; i < m; i++) {
    const b2 = i > 0 ? beta[i - 1] * beta[i - 1] : 0;
    d = alpha[i] - x - (i > 0 ? b2 / d : 0);
    if (d === 0) d = -1e-300; // x hits a pivot exactly: perturb to the left side
    if (d < 0) count++;
  }
  return count;
}

/** The largest eigenvalue of the tridiagonal by bisection on the Sturm count, to full precision. */
function largestTridiagonal(alpha: Float64Array, beta: Float64Array, m: number): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < m; i++) {
    const r = (i > 0 ? Math.abs(beta[i - 1]) : 0) + (i < m - 1 ? Math.abs(beta[i]) : 0);
    lo = Math.min(lo, alpha[i] - r);
    hi = Math.max(hi, alpha[i] + r);
  }
  for (let it = 0; it < 200 && hi - lo > 4e-16 * Math.max(Math.abs(lo), Math.abs(hi)); it++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (countBelow(alpha, beta, m, mid) === m) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The unit eigenvector of the tridiagonal for eigenvalue theta, by two steps of inverse iteration
 * (Gaussian elimination with partial pivoting on the shifted tridiagonal).
 */
function tridiagonalEigenvector(alpha: Float64Array, beta: Float64Array, m: number, theta: number): Float64Array {
  const scale = Math.max(Math.abs(theta), 1e-300);
  const shift = theta + 1e-13 * scale; // not exactly singular
  // Rows of the band: diagonal d, super-diagonals u1, u2 (fill-in from pivoting), sub-diagonal l.
  const d = new Float64Array(m), u1 = new Float64Array(m), u2 = new Float64Array(m), l = new Float64Array(m);
  const x = new Float64Array(m).fill(1);
  const swapped = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    d[i] = alpha[i] - shift;
    u1[i] = i < m - 1 ? beta[i] : 0;
    l[i] = i < m - 1 ? beta[i] : 0;
  }
  // LU with partial pivoting, factors kept for two solves.
  const mult = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) {
    if (Math.abs(l[i]) > Math.abs(d[i])) {
      // Swap rows i and i+1.
      swapped[i] = 1;
      const d1 = d[i + 1], u11 = u1[i + 1];
      const nd = l[i], nu1 = d1, nu2 = u11;
      const od = d[i], ou1 = u1[i];
      d[i] = nd; u1[i] = nu1; u2[i] = nu2;
      const f = od / nd;
      mult[i] = f;
      d[i + 1] = ou1 - f * nu1;
      u1[i + 1] = -f * nu2;
    } else {
      const piv = d[i] === 0 ? 1e-300 : d[i];
      d[i] = piv;
      const f = l[i] / piv;
      mult[i] = f;
      u2[i] = 0;
      d[i + 1] -= f * u1[i];
    }
  }
  if (d[m - 1] === 0) d[m - 1] = 1e-300 * scale;
  for (let pass = 0; pass < 2; pass++) {
    // Forward: apply the row swaps and multipliers to x.
    for (let i = 0; i < m - 1; i++) {
      if (swapped[i]) { const t = x[i]; x[i] = x[i + 1]; x[i + 1] = t; }
      x[i + 1] -= mult[i] * x[i];
    }
    // Back substitution with the upper band (d, u1, u2).
    for (let i = m - 1; i >= 0; i--) {
      let s = x[i];
      if (i + 1 < m) s -= u1[i] * x[i + 1];
      if (i + 2 < m) s -= u2[i] * x[i + 2];
      x[i] = s / d[i];
    }
    let nx = 0;
    for (let i = 0; i < m; i++) nx += x[i] * x[i];
    nx = Math.sqrt(nx);
    if (!(nx > 0) || !Number.isFinite(nx)) { x.fill(0); x[m - 1] = 1; break; }
    for (let i = 0; i < m; i++) x[i] /= nx;
  }
  return x;
}

/**
 * Largest eigenvalue of the symmetric PSD operator `apply` (out = A·v) of dimension n, from
 * `start` (need not be normalised; a zero start is replaced by a fixed vector).
 */
export function largestEigenvalue(n: number, apply: (v: Float64Array, out: Float64Array) => void, start: Float64Array,
  opts: LanczosOptions): LargestEigen {
  const m = Math.max(1, Math.min(n, Math.floor(opts.maxIterations)));
  const V: Float64Array[] = [];
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m);
  let q: Float64Array = Float64Array.from(start);
  let nq = Math.sqrt(dot(q, q));
  if (!(nq > 0)) { q = fixedVector(n, 1); nq = 1; }
  for (let k = 0; k < n; k++) q[k] /= nq;
  const w = new Float64Array(n);
  let theta = 0;
  let s: Float64Array = new Float64Array(1).fill(1);
  let converged = false;
  let j = 0;
  for (; j < m; j++) {
    V.push(q);
    apply(q, w);
    const a = dot(q, w);
    alpha[j] = a;
    // Full reorthogonalisation against the whole basis; a second pass only when the first removed
    // most of w (the DGKS test, ‖w‖ dropped below 1/√2), which is when one pass can leave w
    // measurably non-orthogonal ("twice is enough").
    const before = Math.sqrt(dot(w, w));
    let b = before;
    for (let pass = 0; pass < 2; pass++) {
      for (const v of V) {
        const c = dot(v, w);
        for (let k = 0; k < n; k++) w[k] -= c * v[k];
      }
      const after = Math.sqrt(dot(w, w));
      const again = after < Math.SQRT1_2 * b;
      b = after;
      if (!again) break;
    }
    beta[j] = b;
    theta = largestTridiagonal(alpha, beta, j + 1);
    s = tridiagonalEigenvector(alpha, beta, j + 1, theta);
    const residual = b * Math.abs(s[j]);
    // An invariant subspace (b ≈ 0 relative to what A produced) or the whole space: exact.
    const anorm = Math.max(Math.abs(theta), Math.abs(a), 1e-300);
    if (b <= 1e-14 * anorm || j + 1 === n) { converged = true; j++; break; }
    if (residual <= opts.tolerance * Math.max(theta, 1e-300)) { converged = true; j++; break; }
    if (!(theta > 0)) { converged = theta === 0; j++; break; } // A·q = 0 and nothing else found
    q = new Float64Array(n);
    for (let k = 0; k < n; k++) q[k] = w[k] / b;
  }
  const vector = new Float64Array(n);
  for (let i = 0; i < V.length && i < s.length; i++) {
    const c = s[i];
    const v = V[i];
    for (let k = 0; k < n; k++) vector[k] += c * v[k];
  }
  return { value: Math.max(0, theta), vector, converged, iterations: j };
}

/** A fixed pseudo-random unit vector (results do not depend on Math.random). */
export function fixedVector(n: number, seed: number): Float64Array {
  const v = new Float64Array(n);
  let a = seed >>> 0;
  for (let k = 0; k < n; k++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    v[k] = a / 4294967296 - 0.5;
  }
  const s = Math.sqrt(dot(v, v));
  for (let k = 0; k < n; k++) v[k] /= s;
  return v;
}
