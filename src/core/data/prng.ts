// The one seeded pseudo-random generator of the core (mulberry32), so that data generation,
// splits and batching are reproducible from RunSpec.seed alone.

/** A deterministic stream of uniform numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
}

/** mulberry32: 32-bit state, period 2^32, good enough for data generation and fast in JS. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    uniform: (lo, hi) => lo + (hi - lo) * next(),
  };
}

/**
 * A seed for an independent sub-stream (e.g. 'train' vs 'validation'), so that adding draws to
 * one stream never shifts another. FNV-1a over the label, mixed with the run seed.
 */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One round of mulberry32 to spread nearby seeds apart.
  return Math.floor(mulberry32(h).next() * 4294967296) >>> 0;
}
