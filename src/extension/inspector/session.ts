// One inspected document: its text map, the trace the model produced for (a window of) it, which
// of those values are still valid after edits, and the colour runs of a visible range. Pure (no
// vscode), so the editor glue stays thin and the costly parts are unit-tested and benchmarked.

import type { ModelSpec } from '../../protocol/spec';
import type { TraceSnapshot } from '../../protocol/trace';
import { buildTextMap, charAtStep, commonPrefixSteps, fitToVocabulary, stepsInRange, offsetToStep, type TextMap } from '../../protocol/textMap';
import { hoverMarkdown, layerOf } from './hover';
import { binRuns, isPerUnit, PALETTE, quantitySeries, scaleFor, type Quantity, type Scale } from './quantities';

/** How far the evaluated window may grow past maxCharacters to hold what is on screen. */
export const WINDOW_GROWTH = 4;

/** What to send to the model: a window of the document's timesteps, fitted to the vocabulary. */
export interface EvalPlan {
  /** Document timestep of the window's first character. */
  start: number;
  /** The window's model text (line ends normalised), as the document reads now. */
  modelText: string;
  /** What the model is fed: modelText with unknown characters replaced. */
  fedText: string;
  substituted: number[];
  replacement: string;
}

export interface ViewChoice {
  layer: number;
  unit: number;
  quantity: Quantity;
}

/** Decorations of one palette slot: document offset ranges [start, end), flat pairs. */
export interface SlotRanges {
  slot: number;
  offsets: number[];
}

export class InspectSession {
  text = '';
  map: TextMap = buildTextMap('');
  /** The trace of the last evaluation, its window start and the model text it read. */
  trace: TraceSnapshot | null = null;
  windowStart = 0;
  private evaluatedModelText = '';
  private substituted = new Map<number, string>();
  /** Trace steps whose states and gates still match the document (causal: edits after them do not matter). */
  validStates = 0;
  /** Trace steps whose gradients still match (gradients depend on the future: any edit in the window voids them). */
  validGrads = 0;
  /** Optimisation step of the model that produced the trace (from the run's status at request time). */
  modelStep: number | undefined;
  private cache = new Map<string, { series: Float32Array; scale: Scale } | null>();

  constructor(
    readonly uri: string,
    public runId: string,
  ) {}

  /** The document changed (or was first read): re-map offsets and re-check what the trace still covers. */
  setText(text: string): void {
    this.text = text;
    this.map = buildTextMap(text);
    this.updateValidity();
  }

  private updateValidity(): void {
    const T = this.trace?.steps ?? 0;
    if (!this.trace) {
      this.validStates = this.validGrads = 0;
      return;
    }
    const same = this.map.modelText === this.evaluatedModelText;
    const prefix = same ? Number.MAX_SAFE_INTEGER : commonPrefixSteps(this.evaluatedModelText, this.map.modelText);
    this.validStates = Math.max(0, Math.min(T, prefix - this.windowStart));
    this.validGrads = prefix >= this.windowStart + T ? T : 0;
  }

  /**
   * The window to evaluate: the whole text when it has at most maxChars characters, otherwise a
   * window that holds the visible steps [v0, v1) with up to a quarter of maxChars of context
   * before them (to warm up the state), clipped to the text. It is maxChars long, longer when
   * more is on screen (lines of ~1000 characters put far more than maxChars in view), up to
   * WINDOW_GROWTH × maxChars; beyond that the top of the visible range is evaluated.
   */
  planEval(visible: number | readonly [number, number], maxChars: number, vocabulary: readonly string[] | undefined): EvalPlan {
    const T = this.map.steps;
    const [v0, v1] = typeof visible === 'number' ? [visible, visible] : visible;
    let start = 0;
    let end = T;
    if (T > maxChars) {
      const context = Math.floor(maxChars / 4);
      const len = Math.min(T, Math.max(maxChars, Math.min(v1 - v0 + context, WINDOW_GROWTH * maxChars)));
      const slack = Math.max(0, len - (v1 - v0));
      start = Math.max(0, Math.min(T - len, v0 - Math.min(context, slack)));
      end = start + len;
    }
    const modelText = T === this.map.modelText.length
      ? this.map.modelText.slice(start, end)
      : Array.from(this.map.modelText).slice(start, end).join('');
    const fit = vocabulary && vocabulary.length ? fitToVocabulary(modelText, vocabulary) : { text: modelText, substituted: [], replacement: ' ' };
    return { start, modelText, fedText: fit.text, substituted: fit.substituted, replacement: fit.replacement };
  }

  /**
   * A trace came back for `plan`. `textAtRequest` is the document's full model text when the
   * request was made (edits since then leave only the unchanged prefix valid).
   */
  acceptTrace(trace: TraceSnapshot, plan: EvalPlan, textAtRequest: string, modelStep?: number): void {
    this.trace = trace;
    this.windowStart = plan.start;
    this.evaluatedModelText = textAtRequest;
    this.substituted = new Map(plan.substituted.map((t) => [t, plan.replacement]));
    this.modelStep = modelStep;
    this.cache.clear();
    this.updateValidity();
  }

  /**
   * Would a new window show more of the visible steps [v0, v1) than the current one? True when
   * part of the range lies outside the evaluated window and a window of maxChars could hold it.
   */
  needsWindowFor(v0: number, v1: number, maxChars: number): boolean {
    if (!this.trace) return true;
    const w0 = this.windowStart;
    const w1 = w0 + this.trace.steps;
    const want0 = Math.max(0, v0);
    const want1 = Math.min(this.map.steps, v1, want0 + WINDOW_GROWTH * maxChars);
    return want0 < w0 || want1 > w1;
  }

  /** Does the trace cover document step t with valid values of q? */
  covers(t: number, q: Quantity): boolean {
    const local = t - this.windowStart;
    return !!this.trace && local >= 0 && local < (isGradient(q) ? this.validGrads : this.validStates);
  }

  /** Series and colour scale of one unit's quantity over the whole trace (cached per choice). */
  seriesOf(v: ViewChoice, model: ModelSpec | undefined): { series: Float32Array; scale: Scale } | null {
    if (!this.trace) return null;
    const key = `${v.layer}:${isPerUnit(v.quantity) ? v.unit : '*'}:${v.quantity}`;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      const L = layerOf(this.trace, v.layer);
      const series = L ? quantitySeries(L, v.quantity, v.unit) : null;
      hit = series ? { series, scale: scaleFor(v.quantity, this.trace.cell, model, series) } : null;
      this.cache.set(key, hit);
    }
    return hit;
  }

  /**
   * Colour runs for the document range [startOffset, endOffset) (the visible lines): per palette
   * slot, document offset pairs. Only valid trace steps inside the range are tinted.
   */
  decorations(v: ViewChoice, model: ModelSpec | undefined, startOffset: number, endOffset: number): SlotRanges[] {
    const s = this.seriesOf(v, model);
    if (!s) return [];
    const [d0, d1] = stepsInRange(this.map, startOffset, endOffset);
    const valid = isGradient(v.quantity) ? this.validGrads : this.validStates;
    const t0 = Math.max(0, d0 - this.windowStart);
    const t1 = Math.min(valid, d1 - this.windowStart);
    if (t1 <= t0) return [];
    const runs = binRuns(s.series, s.scale, t0, t1);
    const out: SlotRanges[] = [];
    const starts = this.map.starts;
    const ws = this.windowStart;
    for (let slot = 0; slot < PALETTE.length; slot++) {
      const r = runs[slot];
      if (!r.length) continue;
      const offsets = new Array<number>(r.length);
      for (let k = 0; k < r.length; k++) offsets[k] = starts[r[k] + ws];
      out.push({ slot, offsets });
    }
    return out;
  }

  /** The character (code point, line ends as "\n") at document step t. */
  charAt(t: number): string {
    return charAtStep(this.text, this.map, t);
  }

  /** Hover Markdown at a document offset, or null when nothing is shown there. */
  hoverAt(offset: number, v: ViewChoice, runName?: string): string | null {
    if (!this.trace) return null;
    const t = offsetToStep(this.map, offset);
    if (t < 0) return null;
    const local = t - this.windowStart;
    if (local < 0 || local >= this.trace.steps) {
      return `**RNN Debugger** · t = ${t} is outside the evaluated window (t = ${this.windowStart} … ${this.windowStart + this.trace.steps - 1}); scroll here and it is evaluated next.`;
    }
    if (local >= this.validStates) return `**RNN Debugger** · t = ${t}: the text changed here since the model read it; re-evaluating.`;
    const md = hoverMarkdown({
      trace: this.trace,
      t: local,
      char: this.charAt(t),
      layer: v.layer,
      unit: v.unit,
      quantity: v.quantity,
      runName,
      modelStep: this.modelStep,
      stepOffset: this.windowStart,
      readAs: this.substituted.get(local),
    });
    return md && local >= this.validGrads ? md + '\n\n_Gradients are from before the last edit; re-evaluating._' : md;
  }
}

/** Quantities computed by the backward pass (they depend on every later character). */
export function isGradient(q: Quantity): boolean {
  return q === 'dh' || q === 'dc' || q === 'dhNorm' || q === 'dcNorm';
}
