// Evaluates a parsed debugger expression over the quantities of one paused step or timestep.
// Names and functions are looked up in Maps this module or the caller builds (never in an
// object, so `constructor`, `__proto__` or `toString` are just unknown names); values are
// numbers, booleans and Float64Array vectors. Arithmetic broadcasts a number over a vector.

import { SATURATION_HIGH, SATURATION_LOW } from '../analysis/saturation';
import { ExprError, parseExpression, type Expr } from './parse';

/** A quantity recorded per layer: `f[layer1]` picks one; used bare it means layer 0. */
export class Layered {
  constructor(readonly name: string, readonly perLayer: readonly (number | Float64Array)[]) {}
}

export type Value = number | boolean | Float64Array;
export type EnvValue = Value | Layered;
export type EnvFunction = (args: Value[], at: number) => Value;

export interface Env {
  /** The quantities in scope, by name. */
  values: ReadonlyMap<string, EnvValue>;
  /** Extra functions of the scope (e.g. reach(lag) needs the trace). */
  functions?: ReadonlyMap<string, EnvFunction>;
  /** For names the scope does not have: why (e.g. "the GRU has no 'o'; its quantities are …"). */
  explainMissing?(name: string): string | undefined;
}

function vec(v: Value, fn: string, at: number): Float64Array {
  if (v instanceof Float64Array) return v;
  if (typeof v === 'number') return Float64Array.of(v);
  throw new ExprError(`${fn}() needs numbers, got a boolean`, at);
}
function num(v: Value, what: string, at: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v.length === 1) return v[0];
  throw new ExprError(`${what} needs a single number, got a vector of ${v.length}; reduce it with mean(), max(), … or index it`, at);
}
function truthy(v: Value, what: string, at: number): boolean {
  if (typeof v === 'boolean') return v;
  const n = num(v, what, at);
  return n !== 0 && !Number.isNaN(n);
}
function nonEmpty(x: Float64Array, fn: string, at: number): void {
  if (!x.length) throw new ExprError(`${fn}() of an empty vector`, at);
}

const BUILTINS: ReadonlyMap<string, { arity: [number, number]; fn: (args: Value[], at: number, name: string) => Value }> = new Map<string, { arity: [number, number]; fn: (args: Value[], at: number, name: string) => Value }>([
  ['mean', { arity: [1, 1], fn: ([a], at, n) => { const x = vec(a, n, at); nonEmpty(x, n, at); let s = 0; for (const v of x) s += v; return s / x.length; } }],
  ['sum', { arity: [1, 1], fn: ([a], at, n) => { let s = 0; for (const v of vec(a, n, at)) s += v; return s; } }],
  ['max', { arity: [1, 1], fn: ([a], at, n) => { const x = vec(a, n, at); nonEmpty(x, n, at); let m = -Infinity; for (const v of x) m = v > m || Number.isNaN(v) ? v : m; return m; } }],
  ['min', { arity: [1, 1], fn: ([a], at, n) => { const x = vec(a, n, at); nonEmpty(x, n, at); let m = Infinity; for (const v of x) m = v < m || Number.isNaN(v) ? v : m; return m; } }],
  ['norm', { arity: [1, 1], fn: ([a], at, n) => { let s = 0; for (const v of vec(a, n, at)) s += v * v; return Math.sqrt(s); } }],
  ['abs', { arity: [1, 1], fn: ([a], at, n) => (typeof a === 'number' ? Math.abs(a) : vec(a, n, at).map(Math.abs)) }],
  ['len', { arity: [1, 1], fn: ([a], at, n) => vec(a, n, at).length }],
  ['finite', { arity: [1, 1], fn: ([a], at, n) => vec(a, n, at).every(Number.isFinite) }],
  ['argmax', { arity: [1, 1], fn: ([a], at, n) => { const x = vec(a, n, at); nonEmpty(x, n, at); let k = 0; for (let j = 1; j < x.length; j++) if (x[j] > x[k]) k = j; return k; } }],
  ['argmin', { arity: [1, 1], fn: ([a], at, n) => { const x = vec(a, n, at); nonEmpty(x, n, at); let k = 0; for (let j = 1; j < x.length; j++) if (x[j] < x[k]) k = j; return k; } }],
  ['topk', {
    arity: [2, 2],
    fn: ([a, kv], at, n) => {
      const x = vec(a, n, at);
      const k = num(kv, 'topk(x, k): k', at);
      if (!Number.isInteger(k) || k < 1) throw new ExprError(`topk(x, k): k must be a positive integer, got ${k}`, at);
      const idx = Array.from(x, (_, j) => j).sort((p, q) => x[q] - x[p] || p - q);
      return Float64Array.from(idx.slice(0, k));
    },
  }],
  ['sat', {
    arity: [1, 1],
    fn: ([a], at, n) => {
      const x = vec(a, n, at);
      nonEmpty(x, n, at);
      let s = 0;
      for (const v of x) if (v < SATURATION_LOW || v > SATURATION_HIGH) s++;
      return s / x.length;
    },
  }],
]);

/** Names of the built-in functions (completions, docs). */
export const BUILTIN_FUNCTIONS: readonly string[] = [...BUILTINS.keys(), 'reach'];

const LAYER_NAME = /^layer(\d+)$/;

function arith(op: '+' | '-' | '*' | '/', a: number, b: number): number {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
  }
}
function compare(op: '<' | '<=' | '>' | '>=' | '==' | '!=', a: number, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** Elementwise a ∘ b with a number broadcast over a vector; vectors must have equal lengths. */
function broadcast(a: Value, b: Value, at: number, opText: string, f: (x: number, y: number) => number): Value {
  if (typeof a === 'boolean' || typeof b === 'boolean') throw new ExprError(`'${opText}' at column ${at + 1} needs numbers, got a boolean`, at);
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  if (typeof a === 'number') return (b as Float64Array).map((y) => f(a, y));
  if (typeof b === 'number') return a.map((x) => f(x, b));
  if (a.length !== b.length) throw new ExprError(`'${opText}' at column ${at + 1}: vectors of ${a.length} and ${b.length} values`, at);
  return a.map((x, j) => f(x, b[j]));
}

export function evaluateAst(e: Expr, env: Env): Value {
  const resolve = (v: EnvValue): Value => (v instanceof Layered ? v.perLayer[0] : v);
  const ev = (x: Expr): Value => {
    switch (x.kind) {
      case 'num': return x.value;
      case 'name': return resolve(lookup(x.name, x.at));
      case 'unary': {
        const v = ev(x.arg);
        if (x.op === '!') return !truthy(v, "'!'", x.at);
        return broadcast(0, v, x.at, '-', (p, q) => p - q);
      }
      case 'binary': {
        if (x.op === '&&') return truthy(ev(x.left), "'&&'", x.at) && truthy(ev(x.right), "'&&'", x.at);
        if (x.op === '||') return truthy(ev(x.left), "'||'", x.at) || truthy(ev(x.right), "'||'", x.at);
        const a = ev(x.left), b = ev(x.right);
        if (x.op === '+' || x.op === '-' || x.op === '*' || x.op === '/') { const op = x.op; return broadcast(a, b, x.at, op, (p, q) => arith(op, p, q)); }
        const op = x.op;
        if (typeof a === 'boolean' && typeof b === 'boolean' && (op === '==' || op === '!=')) return op === '==' ? a === b : a !== b;
        const r = broadcast(a, b, x.at, op, (p, q) => (compare(op, p, q) ? 1 : 0));
        return typeof r === 'number' ? r === 1 : r;
      }
      case 'call': {
        if (x.name === 'reach' || env.functions?.has(x.name)) {
          const fn = env.functions?.get(x.name);
          if (!fn) throw new ExprError(`${x.name}() needs a trace of this step (none was recorded)`, x.at);
          return fn(x.args.map(ev), x.at);
        }
        const b = BUILTINS.get(x.name);
        if (!b) throw new ExprError(`unknown function '${x.name}' at column ${x.at + 1}; functions: ${BUILTIN_FUNCTIONS.join(', ')}`, x.at);
        if (x.args.length < b.arity[0] || x.args.length > b.arity[1]) {
          throw new ExprError(`${x.name}() takes ${b.arity[0] === b.arity[1] ? b.arity[0] : `${b.arity[0]}–${b.arity[1]}`} argument${b.arity[1] > 1 ? 's' : ''}, got ${x.args.length}`, x.at);
        }
        return b.fn(x.args.map(ev), x.at, x.name);
      }
      case 'index': {
        // Layer selection: f[layer1].
        if (x.index.kind === 'name' && LAYER_NAME.test(x.index.name) && !env.values.has(x.index.name)) {
          const target = x.target.kind === 'name' ? lookup(x.target.name, x.target.at) : ev(x.target);
          const k = Number(LAYER_NAME.exec(x.index.name)![1]);
          if (!(target instanceof Layered)) throw new ExprError(`'${x.index.name}' at column ${x.index.at + 1} selects a layer, but this value is not per layer`, x.index.at);
          if (k >= target.perLayer.length) throw new ExprError(`'${target.name}' has layers 0–${target.perLayer.length - 1} in this trace, not ${k}`, x.index.at);
          return target.perLayer[k];
        }
        const t = ev(x.target);
        const i = num(ev(x.index), 'an index', x.index.at);
        const v = vec(t, 'indexing', x.at);
        const j = i < 0 ? v.length + i : i;
        if (!Number.isInteger(j) || j < 0 || j >= v.length) throw new ExprError(`index ${i} at column ${x.index.at + 1} is outside 0..${v.length - 1}`, x.index.at);
        return v[j];
      }
      case 'slice': {
        const v = vec(ev(x.target), 'slicing', x.at);
        const bound = (b: Expr | null, dflt: number): number => {
          if (!b) return dflt;
          const n = num(ev(b), 'a slice bound', b.at);
          if (!Number.isInteger(n)) throw new ExprError(`slice bound ${n} at column ${b.at + 1} is not an integer`, b.at);
          return Math.max(0, Math.min(v.length, n < 0 ? v.length + n : n));
        };
        const from = bound(x.from, 0), to = bound(x.to, v.length);
        return v.slice(from, Math.max(from, to));
      }
    }
  };
  const lookup = (name: string, at: number): EnvValue => {
    const v = env.values.get(name);
    if (v !== undefined) return v;
    const why = env.explainMissing?.(name);
    throw new ExprError(why ?? `unknown name '${name}' at column ${at + 1}; names: ${[...env.values.keys()].join(', ')}`, at);
  };
  return ev(e);
}

/** Parses and evaluates `src` in `env`; throws ExprError (one line) on any problem. */
export function evaluateExpression(src: string, env: Env): Value {
  return evaluateAst(parseExpression(src), env);
}

/** Whether a value counts as true (a breakpoint condition). */
export function isTrue(v: Value): boolean {
  return truthy(v, 'a condition', 0);
}

/** Short text for a value: numbers to 6 significant digits, vectors summarised past 8 values. */
export function formatValue(v: Value): string {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatNumber(v);
  if (v.length <= 8) return `[${Array.from(v, formatNumber).join(', ')}]`;
  return `[${Array.from(v.subarray(0, 8), formatNumber).join(', ')}, …] (${v.length} values)`;
}

export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

/** Names and functions starting with `prefix` (Debug Console completions). */
export function completionsFor(prefix: string, env: Env): { label: string; kind: 'variable' | 'function' }[] {
  const names = [...env.values.keys()].filter((n) => n.startsWith(prefix)).map((label) => ({ label, kind: 'variable' as const }));
  const fns = [...new Set([...BUILTIN_FUNCTIONS, ...(env.functions?.keys() ?? [])])].filter((n) => n.startsWith(prefix)).map((label) => ({ label, kind: 'function' as const }));
  return [...names, ...fns];
}
