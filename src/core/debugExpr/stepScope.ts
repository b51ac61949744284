// The names an expression sees when the debugger is paused: the step's metrics, and, when the
// step was traced, every recorded quantity of every layer. At the step level a per-timestep
// quantity is its whole [T, H] matrix (row-major) or [T] vector; at a timestep frame t it is
// row t (an [H] vector) or the number at t.

import { CELL_KINDS, GATE_ORDER, hasCellState, type CellKind } from '../../protocol/spec';
import { summariseReach } from '../analysis/gradientReach';
import type { LayerTrace, MetricsRecord, TraceSnapshot } from '../../protocol/trace';
import { Layered, type Env, type EnvFunction, type EnvValue } from './evaluate';
import { ExprError } from './parse';

export interface StepView {
  metrics: MetricsRecord;
  /** The step's trace (the traced sample), when it was recorded. */
  snapshot?: TraceSnapshot | null;
  /** Selected timestep frame, or null at the step level. */
  t?: number | null;
}

/** Scalars every step has. */
export const STEP_NAMES = ['step', 'loss', 'valLoss', 'gradNorm', 'gradNormClipped', 'clipScale', 'clipped', 'lr'] as const;
/** Per-timestep gradient quantities besides the gates and states (LSTM-only ones marked). */
const GRADIENT_NAMES = ['dh', 'dhNorm', 'reachH', 'sigma'];
const CELL_GRADIENT_NAMES = ['dc', 'dcNorm', 'reachC'];
/** Every name any cell's trace can have. */
const ALL_TRACE_NAMES = new Set<string>(['t', 'T', 'tau', 'stepLoss', 'h', 'c', ...GRADIENT_NAMES, ...CELL_GRADIENT_NAMES, ...CELL_KINDS.flatMap((k) => GATE_ORDER[k])]);

/** The quantities of one cell kind, in the order the Variables view and errors list them. */
export function cellQuantities(cell: CellKind): string[] {
  const lstm = hasCellState(cell);
  return [...GATE_ORDER[cell], ...(lstm ? ['c'] : []), 'h', 'dh', ...(lstm ? ['dc'] : []), 'dhNorm', ...(lstm ? ['dcNorm'] : []), 'reachH', ...(lstm ? ['reachC'] : []), 'sigma'];
}

function toF64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}

/** Row t of a [T, H] matrix, or the whole matrix at the step level. */
function rowOrAll(m: Float32Array, units: number, t: number | null): Float64Array {
  return t === null ? toF64(m) : toF64(m.subarray(t * units, (t + 1) * units));
}
function atOrAll(v: Float32Array, t: number | null): number | Float64Array {
  return t === null ? toF64(v) : v[t];
}

/** The per-layer [T, H] and [T] arrays of a trace under their expression names. */
export function layerArrays(l: LayerTrace): { matrices: Record<string, Float32Array>; series: Record<string, Float32Array> } {
  const matrices: Record<string, Float32Array> = { ...l.values, dh: l.dh };
  if (l.dc) matrices.dc = l.dc;
  const series: Record<string, Float32Array> = { dhNorm: l.dhNorm, reachH: l.reachH };
  if (l.dcNorm) series.dcNorm = l.dcNorm;
  if (l.reachC) series.reachC = l.reachC;
  if (l.jacobianSigma) series.sigma = l.jacobianSigma;
  return { matrices, series };
}

/** The environment of a paused step (and frame) for evaluateExpression. */
export function stepEnv(view: StepView): Env {
  const { metrics: m } = view;
  const snap = view.snapshot ?? null;
  const t = snap && view.t !== undefined && view.t !== null ? view.t : null;
  const values = new Map<string, EnvValue>();
  values.set('step', m.step);
  values.set('loss', m.loss);
  if (m.valLoss !== undefined) values.set('valLoss', m.valLoss);
  values.set('gradNorm', m.gradNorm);
  values.set('gradNormClipped', m.gradNormClipped);
  values.set('clipScale', m.gradNorm > 0 && Number.isFinite(m.gradNorm) ? m.gradNormClipped / m.gradNorm : 1);
  values.set('clipped', m.clipped);
  values.set('lr', m.learningRate);
  const functions = new Map<string, EnvFunction>();
  if (snap) {
    values.set('T', snap.steps);
    const tau = snap.reachFrom < 0 ? snap.steps - 1 : snap.reachFrom;
    values.set('tau', tau);
    if (t !== null) values.set('t', t);
    values.set('stepLoss', atOrAll(snap.stepLoss, t));
    const names = new Set<string>();
    for (const l of snap.layers) {
      const { matrices, series } = layerArrays(l);
      Object.keys(matrices).forEach((k) => names.add(k));
      Object.keys(series).forEach((k) => names.add(k));
    }
    for (const name of names) {
      const perLayer = snap.layers.map((l) => {
        const { matrices, series } = layerArrays(l);
        if (matrices[name]) return rowOrAll(matrices[name], l.units, t);
        if (series[name]) return atOrAll(series[name], t);
        return NaN;
      });
      values.set(name, new Layered(name, perLayer));
    }
    functions.set('reach', (args, at): number => {
      if (args.length < 1 || args.length > 2) throw new ExprError(`reach(lag[, layer]) takes 1 or 2 arguments, got ${args.length}`, at);
      const lag = args[0], layer = args[1] ?? 0;
      if (typeof lag !== 'number' || !Number.isInteger(lag) || lag < 0 || lag > tau) throw new ExprError(`reach(lag): lag must be an integer in 0..${tau} (τ = ${tau})`, at);
      if (typeof layer !== 'number' || !snap.layers[layer]) throw new ExprError(`reach(lag, layer): layer must be one of 0..${snap.layers.length - 1}`, at);
      const r = snap.layers[layer].reachH;
      const { peak } = summariseReach(r, tau);
      return peak > 0 ? r[tau - lag] / peak : 0;
    });
  }
  return {
    values,
    functions,
    explainMissing(name: string): string | undefined {
      if (!ALL_TRACE_NAMES.has(name)) return undefined;
      if (!snap) return `'${name}' needs a trace, and step ${m.step} was not traced (set traceEvery in the launch configuration)`;
      if (name === 't') return `'t' is the timestep of a frame; step into the step to select one`;
      return `'${name}' is not a quantity of the ${snap.cell} cell; its quantities are ${cellQuantities(snap.cell).join(', ')}`;
    },
  };
}
