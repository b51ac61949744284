// The adapter's breakpoints: exception filters with editable thresholds (non-finite, exploding,
// vanishing, saturation, loss spike), function breakpoints (conditions in the expression
// language) and breakpoints on lines of the training text, with hit counts and log points.
// `check` decides whether a held step stops, and says why. No vscode import.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { basename, resolve } from 'node:path';
import { evaluateAst, formatNumber, formatValue, isTrue, type Env } from '../../core/debugExpr/evaluate';
import { ExprError, namesIn, parseExpression, type Expr } from '../../core/debugExpr/parse';
import { cellQuantities, STEP_NAMES, stepEnv } from '../../core/debugExpr/stepScope';
import { SATURATION_HIGH, SATURATION_LOW } from '../../core/analysis/saturation';
import { summariseReach } from '../../core/analysis/gradientReach';
import { SIGMOID_GATES, type CellKind } from '../../protocol/spec';
import type { DataText } from './frames';
import type { StepRecord } from './runtime';
import type { Stop } from './stepping';

// #region exception filters
interface FilterDef {
  id: string;
  label: string;
  description: string;
  /** The editable threshold (the filter's condition), and its default. */
  threshold?: { default: number; what: string };
}
export const EXCEPTION_FILTERS: readonly FilterDef[] = [
  { id: 'nonFinite', label: 'Non-finite loss or gradient', description: 'Stop when the loss, a gradient or an update is NaN or ±Infinity.' },
  { id: 'exploding', label: 'Exploding gradient', description: 'Stop when the global gradient norm before clipping exceeds the threshold.', threshold: { default: 10, what: 'norm' } },
  { id: 'vanishing', label: 'Vanishing gradient', description: 'Stop when the gradient reach at the longest lag (τ) falls below the threshold times its peak.', threshold: { default: 1e-3, what: 'ε' } },
  { id: 'saturation', label: 'Gate saturation', description: 'Stop when the fraction of sigmoid-gate values below 0.1 or above 0.9 exceeds the threshold.', threshold: { default: 0.5, what: 'fraction' } },
  { id: 'lossSpike', label: 'Loss spike', description: 'Stop when the loss exceeds the threshold times the mean of the previous 20 steps.', threshold: { default: 3, what: 'k' } },
];

/** The filters as the initialize response lists them (non-finite and exploding on by default). */
export function exceptionBreakpointFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  return EXCEPTION_FILTERS.map((f) => ({
    filter: f.id,
    label: f.label,
    description: f.description,
    default: f.id === 'nonFinite' || f.id === 'exploding',
    supportsCondition: !!f.threshold,
    conditionDescription: f.threshold ? `${f.threshold.what} (default ${f.threshold.default})` : undefined,
  }));
}
// #endregion

// #region hit counts
interface HitCondition { op: '>=' | '>' | '==' | '<' | '<=' | '%'; n: number }
/** `5`, `>= 5`, `== 5`, `% 5`… A plain number means "from the N-th hit on" (as js-debug reads it). */
function parseHitCondition(s: string): HitCondition {
  const m = /^\s*(>=|>|==|=|<=|<|%)?\s*(\d+)\s*$/.exec(s);
  if (!m) throw new ExprError(`hit count '${s}' is not a number with an optional >=, >, ==, <, <= or %`, 0);
  return { op: (m[1] === '=' ? '==' : m[1] ?? '>=') as HitCondition['op'], n: Number(m[2]) };
}
function hitReached(h: HitCondition | undefined, hits: number): boolean {
  if (!h) return true;
  switch (h.op) {
    case '>=': return hits >= h.n;
    case '>': return hits > h.n;
    case '==': return hits === h.n;
    case '<': return hits < h.n;
    case '<=': return hits <= h.n;
    case '%': return h.n > 0 && hits % h.n === 0;
  }
}
// #endregion

interface Condition { id: number; label: string; when: Expr | null; hit?: HitCondition; hits: number; logMessage?: string }
interface SourceBp extends Condition { line: number }

export class Breakpoints {
  private filters = new Map<string, number>();
  private functionBps: Condition[] = [];
  private sourceBps: SourceBp[] = [];
  private nextBpId = 1;
  /** Steps already checked (a step is checked once, whether held or ended on). */
  private readonly checked = new Set<number>();
  /** Loss of every checked step (the loss-spike filter's history). */
  private readonly losses: number[] = [];

  /**
   * @param log writes a line to the Debug Console (log points, conditions that fail to evaluate)
   * @param target the run's cell (conditions may only name its quantities) and training text
   */
  constructor(
    private readonly log: (text: string) => void,
    private readonly target: () => { cell: CellKind | null; text: DataText | null },
  ) {}

  /** Whether the filter is on. */
  has(filterId: string): boolean {
    return this.filters.has(filterId);
  }

  /** Whether `step` has been checked already. */
  wasChecked(step: number): boolean {
    return this.checked.has(step);
  }

  /** Lines of the training text with a breakpoint (Reverse Continue walks back to them). */
  sourceLines(): Set<number> {
    return new Set(this.sourceBps.map((b) => b.line));
  }

  setExceptionFilters(args: DebugProtocol.SetExceptionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const options = [...(args.filters ?? []).map((filterId) => ({ filterId, condition: undefined as string | undefined })), ...(args.filterOptions ?? [])];
    this.filters = new Map();
    const breakpoints: DebugProtocol.Breakpoint[] = [];
    for (const o of options) {
      const def = EXCEPTION_FILTERS.find((f) => f.id === o.filterId);
      if (!def) { breakpoints.push({ verified: false, message: `unknown filter '${o.filterId}'` }); continue; }
      let threshold = def.threshold?.default ?? 0;
      if (def.threshold && o.condition !== undefined && o.condition.trim() !== '') {
        const v = Number(o.condition.trim());
        if (!Number.isFinite(v) || v < 0) {
          breakpoints.push({ verified: false, message: `${def.label}: the condition is the ${def.threshold.what} threshold, a number ≥ 0; got '${o.condition}'` });
          continue;
        }
        threshold = v;
      }
      this.filters.set(def.id, threshold);
      breakpoints.push({ verified: true });
    }
    return breakpoints;
  }

  /** Checks that a condition parses and only names what this run has; throws ExprError. */
  private compile(src: string): Expr {
    const e = parseExpression(src);
    const { cell } = this.target();
    if (cell) {
      const known = new Set<string>([...STEP_NAMES, ...cellQuantities(cell), 't', 'T', 'tau', 'stepLoss']);
      for (const n of namesIn(e)) {
        if (n.endsWith('()') || /^layer\d+$/.test(n) || known.has(n)) continue;
        const other = /^[a-z]$/.test(n) || n === 'c' || n === 'dc';
        throw new ExprError(other ? `'${n}' is not a quantity of the ${cell} cell; its quantities are ${cellQuantities(cell).join(', ')}` : `unknown name '${n}'; names: ${[...known].join(', ')}`, 0);
      }
    }
    return e;
  }

  setFunctionBreakpoints(args: DebugProtocol.SetFunctionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    this.functionBps = [];
    const breakpoints: DebugProtocol.Breakpoint[] = [];
    for (const b of args.breakpoints) {
      try {
        // The breakpoint's name is its condition (e.g. `gradNorm > 5 && step > 100`); a
        // condition set on it as well must hold too.
        const name = this.compile(b.name);
        const extra = b.condition?.trim() ? this.compile(b.condition) : null;
        const when: Expr = extra ? { kind: 'binary', op: '&&', left: name, right: extra, at: 0 } : name;
        const id = this.nextBpId++;
        this.functionBps.push({ id, label: b.name, when, hit: b.hitCondition?.trim() ? parseHitCondition(b.hitCondition) : undefined, hits: 0 });
        breakpoints.push({ id, verified: true });
      } catch (e) {
        breakpoints.push({ verified: false, message: (e as Error).message });
      }
    }
    return breakpoints;
  }

  setSourceBreakpoints(args: DebugProtocol.SetBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const { text } = this.target();
    const path = args.source.path ? resolve(args.source.path) : '';
    const isData = !!text && path === text.file;
    if (isData) this.sourceBps = [];
    const breakpoints: DebugProtocol.Breakpoint[] = [];
    for (const b of args.breakpoints ?? []) {
      const line = b.line;
      if (!isData || !text) {
        breakpoints.push({ verified: false, line, message: text ? `RNN breakpoints go on lines of the training text ${basename(text.file)}` : 'this run has no training text: use the exception filters or a function breakpoint with a condition' });
        continue;
      }
      try {
        if (line < 1 || line > text.lineCount) throw new ExprError(`line ${line} is past the end of ${basename(text.file)}`, 0);
        const when = b.condition?.trim() ? this.compile(b.condition) : null;
        const hit = b.hitCondition?.trim() ? parseHitCondition(b.hitCondition) : undefined;
        if (b.logMessage) for (const m of b.logMessage.matchAll(/\{([^}]*)\}/g)) this.compile(m[1]);
        const id = this.nextBpId++;
        this.sourceBps.push({ id, label: `line ${line}`, line, when, hit, hits: 0, logMessage: b.logMessage });
        breakpoints.push({ id, verified: true, line });
      } catch (e) {
        breakpoints.push({ verified: false, line, message: (e as Error).message });
      }
    }
    return breakpoints;
  }

  /** Whether step `step` should stop (and how); updates hit counts and writes log points. */
  check(step: number, rec: StepRecord | undefined): Stop | null {
    this.checked.add(step);
    if (!rec) return null;
    const m = rec.metrics;
    const snap = rec.snapshot;
    const prior = this.losses.slice(-20);
    this.losses.push(m.loss);
    const exc = (id: string, text: string, t: number | null = null): Stop => ({ reason: 'exception', exceptionId: id, description: EXCEPTION_FILTERS.find((f) => f.id === id)!.label, text, t });

    if (this.filters.has('nonFinite')) {
      if (!Number.isFinite(m.loss) || !Number.isFinite(m.gradNorm)) return exc('nonFinite', `step ${step}: loss ${m.loss}, gradient norm ${m.gradNorm}`);
    }
    const explode = this.filters.get('exploding');
    if (explode !== undefined && m.gradNorm > explode) {
      return exc('exploding', `step ${step}: gradient norm ${formatNumber(m.gradNorm)} > ${explode} before clipping (after clipping ${formatNumber(m.gradNormClipped)})`);
    }
    const eps = this.filters.get('vanishing');
    if (eps !== undefined && snap) {
      for (const l of snap.layers) {
        const r = summariseReach(l.reachH, snap.reachFrom);
        if (r.peak > 0 && r.ratioAtMaxLag < eps) return exc('vanishing', `step ${step}, layer ${l.layer}: reach at lag ${r.maxLag} is ${r.ratioAtMaxLag.toExponential(2)} of its peak (< ${eps})`);
      }
    }
    const satMax = this.filters.get('saturation');
    if (satMax !== undefined && snap) {
      for (const l of snap.layers) {
        for (const [g, v] of Object.entries(l.values)) {
          if (!SIGMOID_GATES.has(g)) continue;
          let s = 0;
          for (const x of v) if (x < SATURATION_LOW || x > SATURATION_HIGH) s++;
          const frac = s / v.length;
          if (frac > satMax) return exc('saturation', `step ${step}, layer ${l.layer}: ${(frac * 100).toFixed(1)}% of gate ${g} saturated (> ${formatNumber(satMax * 100)}%)`);
        }
      }
    }
    const k = this.filters.get('lossSpike');
    if (k !== undefined && prior.length >= 5) {
      const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
      if (m.loss > k * mean) return exc('lossSpike', `step ${step}: loss ${formatNumber(m.loss)} > ${k} × ${formatNumber(mean)} (mean of the previous ${prior.length} steps)`);
    }

    let stop: Stop | null = null;
    const stepLevel = stepEnv({ metrics: m, snapshot: snap, t: null });
    for (const b of this.functionBps) {
      if (!this.holds(b, stepLevel, step)) continue;
      stop ??= { reason: 'function breakpoint', description: `Breakpoint: ${b.label}`, text: `step ${step}: ${b.label}`, t: null };
    }
    const { text } = this.target();
    if (snap && text && this.sourceBps.length && snap.textStart !== undefined) {
      for (let t = 0; t < snap.steps; t++) {
        const loc = text.location(snap, t);
        if (!loc) continue;
        for (const b of this.sourceBps) {
          if (b.line !== loc.line) continue;
          // A line is hit once per step: at the first timestep that reads a character of it.
          if (t > 0 && text.location(snap, t - 1)?.line === loc.line) continue;
          if (!this.holds(b, stepEnv({ metrics: m, snapshot: snap, t }), step)) continue;
          stop ??= { reason: 'breakpoint', description: `Breakpoint at line ${b.line}`, text: `step ${step}, t = ${t}`, t };
        }
      }
    }
    return stop;
  }

  /** Condition, then hit count; a log point writes its message and never stops. */
  private holds(b: Condition, env: Env, step: number): boolean {
    if (b.when) {
      try {
        if (!isTrue(evaluateAst(b.when, env))) return false;
      } catch (e) {
        this.log(`breakpoint ${b.label} at step ${step}: ${(e as Error).message}\n`);
        return false;
      }
    }
    b.hits++;
    if (!hitReached(b.hit, b.hits)) return false;
    if (b.logMessage !== undefined) {
      const msg = b.logMessage.replace(/\{([^}]*)\}/g, (_, src: string) => {
        try {
          return formatValue(evaluateAst(parseExpression(src), env));
        } catch (e) {
          return `<${(e as Error).message}>`;
        }
      });
      this.log(msg + '\n');
      return false;
    }
    return true;
  }
}
