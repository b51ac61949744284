// Colour maps for the heatmaps: a diverging map for signed quantities (c, h, g, n, a) and a
// sequential one for gates in [0, 1]. Pure: 256-entry RGBA lookup tables and value → index.

/** Which colour scale a heatmap uses. */
export type ScaleKind = 'diverging' | 'sequential';

/** A value range mapped onto the 256 colours of a lookup table. */
export interface ColourScale {
  kind: ScaleKind;
  lo: number;
  hi: number;
}

/** Colour stops [position in 0..1, r, g, b]. */
type Stop = readonly [number, number, number, number];

/** Blue → light grey → red (a "coolwarm" map): equal lightness at ±v, white-ish at zero. */
const DIVERGING: readonly Stop[] = [
  [0, 59, 76, 192],
  [0.25, 124, 159, 249],
  [0.5, 221, 221, 221],
  [0.75, 238, 133, 106],
  [1, 180, 4, 38],
];

/** Viridis, sampled: perceptually uniform and readable for colour-blind users. */
const SEQUENTIAL: readonly Stop[] = [
  [0, 68, 1, 84],
  [0.125, 71, 44, 122],
  [0.25, 59, 81, 139],
  [0.375, 44, 113, 142],
  [0.5, 33, 144, 141],
  [0.625, 39, 173, 129],
  [0.75, 92, 200, 99],
  [0.875, 170, 220, 50],
  [1, 253, 231, 37],
];

/** Colour of values that are not finite (NaN, ±Infinity): magenta, never part of a map. */
export const NON_FINITE_RGBA: readonly [number, number, number, number] = [255, 0, 255, 255];

const lutCache = new Map<ScaleKind, Uint8ClampedArray>();

/** The 256-colour RGBA lookup table of a scale kind, [256 * 4]. */
export function lookupTable(kind: ScaleKind): Uint8ClampedArray {
  const cached = lutCache.get(kind);
  if (cached) return cached;
  const stops = kind === 'diverging' ? DIVERGING : SEQUENTIAL;
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let k = 0;
    while (k < stops.length - 2 && x > stops[k + 1][0]) k++;
    const [x0, r0, g0, b0] = stops[k];
    const [x1, r1, g1, b1] = stops[k + 1];
    const u = (x - x0) / (x1 - x0);
    lut[i * 4] = Math.round(r0 + (r1 - r0) * u);
    lut[i * 4 + 1] = Math.round(g0 + (g1 - g0) * u);
    lut[i * 4 + 2] = Math.round(b0 + (b1 - b0) * u);
    lut[i * 4 + 3] = 255;
  }
  lutCache.set(kind, lut);
  return lut;
}

/** Index 0..255 of value v in [lo, hi] (clamped); -1 for non-finite values. */
export function colourIndex(v: number, scale: ColourScale): number {
  if (!Number.isFinite(v)) return -1;
  const span = scale.hi - scale.lo;
  const u = span > 0 ? (v - scale.lo) / span : 0.5;
  return Math.max(0, Math.min(255, Math.round(u * 255)));
}

/** RGBA of value v on a scale. */
export function colourOf(v: number, scale: ColourScale): [number, number, number, number] {
  const i = colourIndex(v, scale);
  if (i < 0) return [...NON_FINITE_RGBA];
  const lut = lookupTable(scale.kind);
  return [lut[i * 4], lut[i * 4 + 1], lut[i * 4 + 2], lut[i * 4 + 3]];
}

/** Signed quantities (cell state, hidden state, candidates, pre-activations) get a diverging scale. */
export function isSigned(name: string): boolean {
  return name === 'c' || name === 'h' || name === 'g' || name === 'n' || name === 'a';
}

/**
 * The scale of one heatmap: gates are fixed to [0, 1] so colours mean the same in every
 * snapshot; signed quantities are symmetric around 0 at the largest finite |value|.
 */
export function scaleFor(name: string, values: ArrayLike<number>): ColourScale {
  if (!isSigned(name)) return { kind: 'sequential', lo: 0, hi: 1 };
  let m = 0;
  for (let k = 0; k < values.length; k++) {
    const a = Math.abs(values[k]);
    if (a > m && Number.isFinite(a)) m = a;
  }
  if (m === 0) m = 1;
  return { kind: 'diverging', lo: -m, hi: m };
}

/**
 * Writes the RGBA pixels of a [T, H] row-major matrix into `out` as an image H rows high and T
 * columns wide (time along x): pixel (x = t, y = row) shows unit `order[row]`. `out` is
 * [H * T * 4] (an ImageData's data). This is the hot loop of a heatmap update.
 */
export function paintHeatmap(
  values: ArrayLike<number>,
  steps: number,
  units: number,
  order: ArrayLike<number>,
  scale: ColourScale,
  out: Uint8ClampedArray,
): void {
  const lut32 = new Uint32Array(lookupTable(scale.kind).buffer.slice(0));
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >> 2);
  const bad = new Uint32Array(new Uint8ClampedArray(NON_FINITE_RGBA).buffer)[0];
  const span = scale.hi - scale.lo;
  const k = span > 0 ? 255 / span : 0;
  const lo = scale.lo;
  for (let row = 0; row < units; row++) {
    const u = order[row];
    const base = row * steps;
    for (let t = 0; t < steps; t++) {
      const v = values[t * units + u];
      if (v !== v || v === Infinity || v === -Infinity) { out32[base + t] = bad; continue; }
      let i = span > 0 ? Math.round((v - lo) * k) : 128;
      if (i < 0) i = 0; else if (i > 255) i = 255;
      out32[base + t] = lut32[i];
    }
  }
}
