// What the inline inspector can tint the text by, and how a value becomes one of a fixed palette
// of colour bins. Pure (no vscode): the decoration types are built from PALETTE once, and every
// character is put into the bin of its value.

import { GATE_ORDER, hasCellState, SIGMOID_GATES, type CellKind, type ModelSpec } from '../../protocol/spec';
import type { LayerTrace } from '../../protocol/trace';

/**
 * A quantity: a state or gate of the chosen unit ('c', 'h', 'f', 'i', 'g', 'o', 'z', 'r', 'n', 'a'),
 * the unit's gradient ('dh' = ∂L/∂h_t[unit], 'dc' = ∂L/∂c_t[unit]), or a per-timestep gradient
 * norm over all units ('dhNorm' = ‖∂L/∂h_t‖, 'dcNorm' = ‖∂L/∂c_t‖).
 */
export type Quantity = string;

/** Quantities available for a cell, in the order the quick pick lists them. */
export function quantitiesFor(cell: CellKind): Quantity[] {
  const lstm = hasCellState(cell);
  return [
    ...(lstm ? ['c'] : []),
    'h',
    ...GATE_ORDER[cell],
    ...(lstm ? ['dc'] : []),
    'dh',
    ...(lstm ? ['dcNorm'] : []),
    'dhNorm',
  ];
}

/** Short human label: "c", "f", "∂L/∂c (unit)", "‖∂L/∂c_t‖". */
export function quantityLabel(q: Quantity): string {
  switch (q) {
    case 'dc':
      return '∂L/∂c';
    case 'dh':
      return '∂L/∂h';
    case 'dcNorm':
      return '‖∂L/∂c_t‖';
    case 'dhNorm':
      return '‖∂L/∂h_t‖';
    default:
      return q;
  }
}

/** What the quantity is, in words (quick pick detail). */
export function quantityDescription(q: Quantity, cell: CellKind): string {
  const gates: Record<string, string> = {
    c: 'cell state c_t (long-term memory)',
    h: 'hidden state h_t (output)',
    f: 'forget gate f_t: 1 = keep c, 0 = forget',
    i: 'input gate i_t: whether to write into c',
    g: 'candidate g_t: what would be written',
    o: 'output gate o_t: how much of c shows in h',
    z: 'update gate z_t',
    r: 'reset gate r_t',
    n: 'candidate n_t',
    a: cell === 'rnn' ? 'pre-activation a_t' : q,
    dc: 'gradient ∂L/∂c_t of this unit (signed)',
    dh: 'gradient ∂L/∂h_t of this unit (signed)',
    dcNorm: 'gradient norm over all units, log scale (how far back the loss reaches)',
    dhNorm: 'gradient norm over all units, log scale',
  };
  return gates[q] ?? q;
}

export function isPerUnit(q: Quantity): boolean {
  return q !== 'dcNorm' && q !== 'dhNorm';
}

/**
 * The values of quantity q over time for one unit of a layer, [T] (a strided copy out of the
 * row-major [T, H] matrix), or null when the layer does not record it.
 */
export function quantitySeries(layer: LayerTrace, q: Quantity, unit: number): Float32Array | null {
  if (q === 'dcNorm') return layer.dcNorm ?? null;
  if (q === 'dhNorm') return layer.dhNorm;
  const m = q === 'dh' ? layer.dh : q === 'dc' ? layer.dc : layer.values[q];
  if (!m) return null;
  const H = layer.units;
  if (!(unit >= 0 && unit < H)) return null;
  const T = Math.floor(m.length / H);
  const out = new Float32Array(T);
  for (let t = 0; t < T; t++) out[t] = m[t * H + unit];
  return out;
}

// #region colour scale

export type ScaleKind = 'diverging' | 'sequential' | 'log';

/**
 * How values map to [0, 1] intensity. diverging: sign → hue, |v|/hi → level (symmetric ±hi).
 * sequential: (v − lo)/(hi − lo). log: (ln v − ln lo)/(ln hi − ln lo), for positive magnitudes.
 */
export interface Scale {
  kind: ScaleKind;
  lo: number;
  hi: number;
}

/** Intensity levels per hue; with three hues that is 24 decoration types, created once. */
export const LEVELS = 8;
export const HUES = ['negative', 'positive', 'sequential'] as const;
export type Hue = (typeof HUES)[number];

export interface PaletteEntry {
  hue: Hue;
  /** 1 … LEVELS. */
  level: number;
  /** Theme colour id contributed in package.json. */
  colorId: string;
}

function colorIdOf(hue: Hue, level: number): string {
  return `rnnDebugger.inspector${hue[0].toUpperCase()}${hue.slice(1)}${level}`;
}

/** Every decoration type of the inspector: slot = index in this array. */
export const PALETTE: readonly PaletteEntry[] = HUES.flatMap((hue) =>
  Array.from({ length: LEVELS }, (_, k) => ({ hue, level: k + 1, colorId: colorIdOf(hue, k + 1) })),
);

/** Slot in PALETTE of a hue and level (1 … LEVELS). */
export function paletteSlot(hue: Hue, level: number): number {
  return HUES.indexOf(hue) * LEVELS + (level - 1);
}

function tanhBounded(q: Quantity, cell: CellKind, model: ModelSpec | undefined): boolean {
  // Bounded by construction in (−1, 1): shown on a fixed ±1 scale, so 0.05 never looks saturated.
  if (cell === 'gru') return q === 'h' || q === 'n';
  if (cell === 'rnn') return q === 'h' && (model?.rnnActivation ?? 'tanh') === 'tanh';
  if (q === 'g') return (model?.candidateActivation ?? 'tanh') === 'tanh';
  // h = o ⊙ act(c) with o ∈ [0, 1] (or h = act(c) without an output gate).
  if (q === 'h') return (model?.cellActivation ?? 'tanh') === 'tanh';
  return false;
}

/**
 * The scale of quantity q: gates (sigmoid) sequential on [0, 1]; tanh-bounded states diverging on
 * ±1; unbounded signed values (c, relu states, a, per-unit gradients) diverging on ±max|v| of the
 * series; gradient norms on a log scale from max/10⁶ (or the smallest positive value) to max.
 */
export function scaleFor(q: Quantity, cell: CellKind, model: ModelSpec | undefined, series: Float32Array): Scale {
  if (SIGMOID_GATES.has(q)) return { kind: 'sequential', lo: 0, hi: 1 };
  if (q === 'dcNorm' || q === 'dhNorm') {
    let hi = 0;
    let minPos = Number.POSITIVE_INFINITY;
    for (const v of series) {
      if (v > hi) hi = v;
      if (v > 0 && v < minPos) minPos = v;
    }
    if (hi <= 0) return { kind: 'log', lo: 1, hi: 1 };
    return { kind: 'log', lo: Math.max(minPos, hi * 1e-6), hi };
  }
  if (tanhBounded(q, cell, model)) return { kind: 'diverging', lo: -1, hi: 1 };
  let m = 0;
  for (const v of series) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return { kind: 'diverging', lo: -m, hi: m };
}

/**
 * PALETTE slot of a value, or -1 for "no tint" (near zero, NaN, or outside a log scale).
 * Levels round, so |v| under half a level stays untinted and the text stays readable.
 */
export function binOf(scale: Scale, v: number): number {
  if (!Number.isFinite(v)) return -1;
  let x: number;
  let hue: Hue = 'sequential';
  if (scale.kind === 'diverging') {
    if (scale.hi <= 0) return -1;
    x = Math.abs(v) / scale.hi;
    hue = v < 0 ? 'negative' : 'positive';
  } else if (scale.kind === 'sequential') {
    x = scale.hi > scale.lo ? (v - scale.lo) / (scale.hi - scale.lo) : 0;
  } else {
    if (v <= 0 || scale.hi <= 0) return -1;
    x = scale.hi > scale.lo ? (Math.log(v) - Math.log(scale.lo)) / (Math.log(scale.hi) - Math.log(scale.lo)) : 1;
  }
  const level = Math.min(LEVELS, Math.max(0, Math.round(x * LEVELS)));
  return level === 0 ? -1 : paletteSlot(hue, level);
}

/**
 * Runs of equal bins over timesteps [t0, t1): per PALETTE slot a flat list of [start, end) step
 * pairs. Adjacent characters of one bin become one range, so a uniform stretch costs one decoration.
 */
export function binRuns(series: Float32Array, scale: Scale, t0: number, t1: number): number[][] {
  const runs: number[][] = PALETTE.map(() => []);
  const end = Math.min(t1, series.length);
  let cur = -1;
  let start = t0;
  for (let t = Math.max(0, t0); t < end; t++) {
    const b = binOf(scale, series[t]);
    if (b !== cur) {
      if (cur >= 0) runs[cur].push(start, t);
      cur = b;
      start = t;
    }
  }
  if (cur >= 0 && end > start) runs[cur].push(start, end);
  return runs;
}

/** Default colours of the palette for package.json `contributes.colors` (theme-aware ends). */
export function paletteContributions(): { id: string; description: string; defaults: Record<string, string> }[] {
  // Strongest level = the scale's end colour; weaker levels fade its alpha so text stays legible.
  const ends: Record<Hue, { dark: string; light: string; hc: string; hcLight: string; what: string }> = {
    positive: { dark: '#ff6b3d', light: '#e8590c', hc: '#ff8c5a', hcLight: '#b33c00', what: 'positive values (c, h, g, gradients)' },
    negative: { dark: '#4dabf7', light: '#1971c2', hc: '#74c0fc', hcLight: '#0b4f9c', what: 'negative values (c, h, g, gradients)' },
    sequential: { dark: '#69db7c', light: '#2b8a3e', hc: '#8ce99a', hcLight: '#1b5e2b', what: 'gate openness and gradient norms' },
  };
  const alpha = (level: number, max: number): string =>
    Math.round(255 * (0.08 + ((max - 0.08) * (level - 1)) / (LEVELS - 1)))
      .toString(16)
      .padStart(2, '0');
  return PALETTE.map(({ hue, level, colorId }) => {
    const e = ends[hue];
    return {
      id: colorId,
      description: `RNN Debugger inspector: tint of ${e.what}, level ${level} of ${LEVELS}${level === LEVELS ? ' (the end of the scale)' : ''}.`,
      defaults: {
        dark: e.dark + alpha(level, 0.6),
        light: e.light + alpha(level, 0.5),
        highContrast: e.hc + alpha(level, 0.7),
        highContrastLight: e.hcLight + alpha(level, 0.6),
      },
    };
  });
}

// #endregion

/** Status bar text: "RNN: c · L0 · unit 12" (norms are not per unit). */
export function statusText(q: Quantity, layer: number, unit: number): string {
  return isPerUnit(q) ? `RNN: ${quantityLabel(q)} · L${layer} · unit ${unit}` : `RNN: ${quantityLabel(q)} · L${layer}`;
}
