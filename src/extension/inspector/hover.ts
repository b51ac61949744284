// The inspector's hover over one character, built as Markdown text by a pure function (the
// vscode part wraps it in a MarkdownString without HTML or command links): timestep, the
// character, every gate and state of the chosen unit, gradients, and the most active units. The
// same hover explains a character of the training text from the traced sample of the step a
// debug session is paused at (sampleHoverAt).

import { GATE_ORDER, hasCellState } from '../../protocol/spec';
import { charAtStep, offsetToStep, type TextMap } from '../../protocol/textMap';
import type { LayerTrace, TraceSnapshot } from '../../protocol/trace';
import { isPerUnit, quantityLabel, type Quantity } from './quantities';

/** Backslash-escape every ASCII punctuation character Markdown could read as syntax. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~&:"'$=]/g, (c) => '\\' + c);
}

/** How a character reads in the hover: visible glyph (escaped) or a name, plus its code point. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const names: Record<number, string> = { 10: 'line break', 9: 'tab', 32: 'space', 13: 'carriage return' };
  if (names[cp]) return `${names[cp]} (${code})`;
  // Control and format characters, combining marks and lone surrogates have no glyph of their own.
  if (/[\p{Cc}\p{Cf}\p{M}\p{Cs}\p{Zl}\p{Zp}]/u.test(ch)) return code;
  return `“${escapeMarkdown(ch)}” (${code})`;
}

/** States and gates with 4 decimals (values the user compares with the trace file). */
export function fmtValue(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/** Gradients span many orders of magnitude: 4 significant digits in exponent form. */
export function fmtGrad(v: number): string {
  return Number.isFinite(v) ? v.toExponential(3) : String(v);
}

export interface HoverInput {
  /** The trace of the inspected text. */
  trace: TraceSnapshot;
  /** Timestep (index into the trace). */
  t: number;
  /** The character the model read at t. */
  char: string;
  layer: number;
  unit: number;
  /** The quantity the text is tinted by; the top units are ranked by its |value| at t. */
  quantity: Quantity;
  /** Name of the run and optimisation step of the model that produced the trace. */
  runName?: string;
  modelStep?: number;
  /** How many top units to list (default 5). */
  topK?: number;
  /**
   * Document timestep of trace step 0, when only a window of a long text was evaluated: the hover
   * shows document timesteps (t = stepOffset + trace index).
   */
  stepOffset?: number;
  /** The character was not in the model's vocabulary and was fed as this one instead. */
  readAs?: string;
  /** The trace is the traced sample of the step a debug session is paused at (not an evaluation of the text). */
  pausedStep?: number;
  /** t is the timestep of the frame selected in the Call Stack. */
  selectedFrame?: boolean;
}

export function layerOf(trace: TraceSnapshot, layer: number): LayerTrace | undefined {
  return trace.layers.find((l) => l.layer === layer);
}

/** Units with the largest |m[t, ·]|, best first. */
export function topUnitsAt(m: Float32Array, units: number, t: number, k: number): { unit: number; value: number }[] {
  const row: { unit: number; value: number }[] = [];
  for (let u = 0; u < units; u++) row.push({ unit: u, value: m[t * units + u] });
  row.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.unit - b.unit);
  return row.slice(0, k);
}

/** Markdown of the hover; null when the trace has no such timestep or layer. */
export function hoverMarkdown(inp: HoverInput): string | null {
  const { trace, t, layer, unit } = inp;
  const L = layerOf(trace, layer);
  if (!L || t < 0 || t >= trace.steps || unit < 0 || unit >= L.units) return null;
  const H = L.units;
  const at = (m: Float32Array | undefined): number | undefined => (m ? m[t * H + unit] : undefined);
  const lines: string[] = [];
  const who = [
    inp.runName ? `run ${escapeMarkdown(inp.runName)}` : '',
    inp.modelStep !== undefined ? `model at step ${inp.modelStep}` : '',
    inp.pausedStep !== undefined ? `paused at step ${inp.pausedStep}, its traced sample` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  lines.push(`**RNN Debugger**${who ? ' · ' + who : ''}`, '');
  const off = inp.stepOffset ?? 0;
  lines.push(`t = ${off + t}${inp.selectedFrame ? ' (the selected frame)' : ''} · ${describeChar(inp.char)} · layer ${layer} · unit ${unit}`, '');
  if (inp.readAs !== undefined) lines.push(`Not in the model's vocabulary: read as ${describeChar(inp.readAs)}.`, '');
  if (off > 0) lines.push(`Evaluated window starts at t = ${off} (from a zero state).`, '');

  const names = [...(hasCellState(trace.cell) ? ['c'] : []), 'h', ...GATE_ORDER[trace.cell]];
  lines.push('| | unit ' + unit + ' |', '|:--|--:|');
  for (const name of names) {
    const v = at(L.values[name]);
    if (v !== undefined) lines.push(`| ${name} | ${fmtValue(v)} |`);
  }
  const dh = at(L.dh);
  if (dh !== undefined) lines.push(`| ∂L/∂h | ${fmtGrad(dh)} |`);
  const dc = at(L.dc);
  if (dc !== undefined) lines.push(`| ∂L/∂c | ${fmtGrad(dc)} |`);
  lines.push('');

  const norms = [`‖∂L/∂h_t‖ = ${fmtGrad(L.dhNorm[t])}`];
  if (L.dcNorm) norms.push(`‖∂L/∂c_t‖ = ${fmtGrad(L.dcNorm[t])}`);
  if (trace.stepLoss[t] !== undefined) norms.push(`ℓ_t = ${fmtValue(trace.stepLoss[t])}`);
  lines.push(norms.join(' · '), '');

  const rankBy = isPerUnit(inp.quantity) ? inp.quantity : hasCellState(trace.cell) ? 'c' : 'h';
  const m = rankBy === 'dh' ? L.dh : rankBy === 'dc' ? L.dc : L.values[rankBy];
  if (m) {
    const fmt = rankBy === 'dh' || rankBy === 'dc' ? fmtGrad : fmtValue;
    const top = topUnitsAt(m, H, t, inp.topK ?? 5);
    lines.push(`Top units at t = ${off + t} by |${quantityLabel(rankBy)}|: ` + top.map((x) => `${x.unit} (${fmt(x.value)})`).join(', '));
  }
  return lines.join('\n');
}

/** Where the debugger holds a run: the paused step, its traced sample and the selected frame's timestep. */
export interface PausedSample {
  step: number;
  /** The step's traced sample of the training text (textStart: the text timestep of its t = 0). */
  snapshot: TraceSnapshot;
  /** Timestep of the frame selected in the Call Stack (null: the step-level frame). */
  t: number | null;
}

/**
 * The hover over the character at a document offset of the training text while the debugger is
 * paused: the values the paused step's traced sample has at that character (t counts from the
 * sample's start, as the Call Stack's frames do), and the character's document range. Null when
 * the sample does not read that character (or the snapshot is not of a text sample).
 */
export function sampleHoverAt(
  paused: PausedSample,
  doc: { text: string; map: TextMap; offset: number },
  view: { layer: number; unit: number; quantity: Quantity; runName?: string },
): { markdown: string; range: [number, number] } | null {
  const start = paused.snapshot.textStart;
  const k = offsetToStep(doc.map, doc.offset);
  if (start === undefined || k < 0) return null;
  const t = k - start;
  if (t < 0 || t >= paused.snapshot.steps) return null;
  const markdown = hoverMarkdown({
    trace: paused.snapshot,
    t,
    char: charAtStep(doc.text, doc.map, k),
    layer: view.layer,
    unit: view.unit,
    quantity: view.quantity,
    runName: view.runName,
    pausedStep: paused.step,
    selectedFrame: paused.t === t,
  });
  return markdown ? { markdown, range: [doc.map.starts[k], doc.map.starts[k + 1]] } : null;
}
