// Deterministic weight initialisation for the recurrent engine: a seeded PRNG of our own (so a
// seed gives the same weights on every backend and tfjs version), Glorot-uniform, orthogonal.

/** splitmix32-style hash: mixes a seed and a string (a parameter name) into one 32-bit state. */
export function hashSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let k = 0; k < name.length; k++) {
    h = Math.imul(h ^ name.charCodeAt(k), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * mulberry32: a small, fast, well-mixed 32-bit generator. One stream per parameter (seeded by
 * hashSeed(seed, name)) so adding a parameter never changes the others' values.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal by Box–Muller (one value per call; simplicity over speed, init only). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(u) finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Glorot/Xavier uniform for a [fanIn, fanOut] matrix: U(±sqrt(6 / (fanIn + fanOut))). */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let k = 0; k < out.length; k++) out[k] = rng.uniform(-limit, limit);
  return out;
}

/**
 * A random orthogonal [n, n] matrix (row-major): modified Gram–Schmidt on a Gaussian matrix,
 * computed in float64. Gram–Schmidt on the rows of a Gaussian matrix gives the Haar measure
 * (the sign ambiguity of QR does not arise: each row is normalised to a positive projection).
 */
export function orthogonal(rng: Rng, n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let k = 0; k < q.length; k++) q[k] = rng.normal();
  for (let r = 0; r < n; r++) {
    const row = r * n;
    // Twice for numerical orthogonality ("twice is enough", Giraud et al. 2005).
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < r; p++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += q[row + k] * q[p * n + k];
        for (let k = 0; k < n; k++) q[row + k] -= dot * q[p * n + k];
      }
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[row + k] * q[row + k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < n; k++) q[row + k] /= norm;
  }
  return q;
}

/**
 * Recurrent matrix [H, G·H] with one H×H block per gate: each block orthogonal (Saxe et al. 2014),
 * or the identity for ReLU RNNs (Le et al. 2015). Per-block orthogonality (rather than Keras'
 * semi-orthogonal [H, G·H]) makes every gate's recurrent map norm-preserving at initialisation.
 */
export function recurrentInit(rng: Rng, H: number, G: number, identity: boolean): Float32Array {
  const out = new Float32Array(H * G * H);
  for (let g = 0; g < G; g++) {
    const block = identity ? null : orthogonal(rng, H);
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < H; c++) {
        out[r * G * H + g * H + c] = block ? block[r * H + c] : r === c ? 1 : 0;
      }
    }
  }
  return out;
}
