// The Variables view of a paused run: the Step scope (loss, gradient norms, clipping, learning
// rate, parameter-group norms), then per layer Gates, State and Gradients of the selected timestep
// (or, at the step level, their [T × H] matrices paged by timestep). No vscode import.

import { Handles, Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { formatNumber } from '../../core/debugExpr/evaluate';
import { layerArrays } from '../../core/debugExpr/stepScope';
import { SATURATION_HIGH, SATURATION_LOW } from '../../core/analysis/saturation';
import { GATE_ORDER, SIGMOID_GATES } from '../../protocol/spec';
import type { TraceSnapshot } from '../../protocol/trace';
import type { StepRecord } from './runtime';

type VarNode =
  | { kind: 'step'; rec: StepRecord }
  | { kind: 'layer'; group: 'gates' | 'state' | 'gradients'; snap: TraceSnapshot; layer: number; t: number | null }
  | { kind: 'vector'; data: ArrayLike<number>; name: string }
  | { kind: 'matrix'; data: Float32Array; rows: number; cols: number; name: string }
  | { kind: 'record'; entries: [string, number][] };

/** Variable references of one stop (reset at every stop: VS Code asks again). */
export class VariableTree {
  private handles = new Handles<VarNode>();

  /** @param inputLabel what timestep t of a sample reads (the State scope's `input`). */
  constructor(private readonly inputLabel: (snap: TraceSnapshot, t: number) => string) {}

  reset(): void {
    this.handles.reset();
  }

  /** Step, then Gates / State / Gradients of each layer at timestep t (null: the step level). */
  scopes(rec: StepRecord | undefined, t: number | null): DebugProtocol.Scope[] {
    const scopes: DebugProtocol.Scope[] = [];
    if (!rec) return scopes;
    scopes.push(new Scope('Step', this.handles.create({ kind: 'step', rec }), false));
    const snap = rec.snapshot;
    if (snap) {
      for (const l of snap.layers) {
        const suffix = snap.layers.length > 1 || l.layer > 0 ? ` · layer ${l.layer}` : '';
        scopes.push(new Scope(`Gates${suffix}`, this.handles.create({ kind: 'layer', group: 'gates', snap, layer: l.layer, t }), false));
        scopes.push(new Scope(`State${suffix}`, this.handles.create({ kind: 'layer', group: 'state', snap, layer: l.layer, t }), false));
        scopes.push(new Scope(`Gradients${suffix}`, this.handles.create({ kind: 'layer', group: 'gradients', snap, layer: l.layer, t }), false));
      }
    }
    return scopes;
  }

  /** A variable for a number, an [H] vector (paged) or a [T, H] matrix (rows paged). */
  variable(name: string, value: number | boolean | ArrayLike<number>, opts: { gate?: boolean; evaluateName?: string; matrix?: { rows: number; cols: number } } = {}): DebugProtocol.Variable {
    if (typeof value === 'number' || typeof value === 'boolean') return { name, value: typeof value === 'number' ? formatNumber(value) : String(value), variablesReference: 0, evaluateName: opts.evaluateName };
    if (opts.matrix && value instanceof Float32Array) {
      const ref = this.handles.create({ kind: 'matrix', data: value, rows: opts.matrix.rows, cols: opts.matrix.cols, name });
      return { name, value: `[${opts.matrix.rows} × ${opts.matrix.cols}] ${summary(value, opts.gate)}`, variablesReference: ref, indexedVariables: opts.matrix.rows, evaluateName: opts.evaluateName };
    }
    const ref = this.handles.create({ kind: 'vector', data: value, name });
    return { name, value: `[${value.length}] ${summary(value, opts.gate)}`, variablesReference: ref, indexedVariables: value.length, evaluateName: opts.evaluateName };
  }

  /** The children of a reference (a page of them for vectors and matrices). */
  variables(args: DebugProtocol.VariablesArguments): DebugProtocol.Variable[] {
    const node = this.handles.get(args.variablesReference);
    return node ? this.children(node, args) : [];
  }

  private children(node: VarNode, args: DebugProtocol.VariablesArguments): DebugProtocol.Variable[] {
    const start = args.start ?? 0;
    switch (node.kind) {
      case 'step': {
        const m = node.rec.metrics;
        const vars = [
          this.variable('step', m.step, { evaluateName: 'step' }),
          this.variable('loss', m.loss, { evaluateName: 'loss' }),
          ...(m.valLoss !== undefined ? [this.variable('valLoss', m.valLoss, { evaluateName: 'valLoss' })] : []),
          this.variable('gradNorm (before clipping)', m.gradNorm, { evaluateName: 'gradNorm' }),
          this.variable('gradNormClipped (after clipping)', m.gradNormClipped, { evaluateName: 'gradNormClipped' }),
          this.variable('clipScale', m.gradNorm > 0 && Number.isFinite(m.gradNorm) ? m.gradNormClipped / m.gradNorm : 1, { evaluateName: 'clipScale' }),
          this.variable('clipped', m.clipped, { evaluateName: 'clipped' }),
          this.variable('lr', m.learningRate, { evaluateName: 'lr' }),
        ];
        const groups = Object.entries(m.groupNorms);
        if (groups.length) {
          vars.push({ name: 'group norms', value: `${groups.length} parameter groups`, variablesReference: this.handles.create({ kind: 'record', entries: groups }), namedVariables: groups.length });
        }
        return vars;
      }
      case 'record':
        return node.entries.map(([k, v]) => this.variable(k, v));
      case 'vector': {
        const count = args.count ?? node.data.length - start;
        const out: DebugProtocol.Variable[] = [];
        for (let j = start; j < Math.min(node.data.length, start + count); j++) out.push({ name: `[${j}]`, value: formatNumber(node.data[j]), variablesReference: 0 });
        return out;
      }
      case 'matrix': {
        const count = args.count ?? node.rows - start;
        const out: DebugProtocol.Variable[] = [];
        for (let r = start; r < Math.min(node.rows, start + count); r++) {
          out.push(this.variable(`t=${r}`, node.data.subarray(r * node.cols, (r + 1) * node.cols), { gate: SIGMOID_GATES.has(node.name) }));
        }
        return out;
      }
      case 'layer':
        return this.layerGroup(node);
    }
  }

  private layerGroup(node: Extract<VarNode, { kind: 'layer' }>): DebugProtocol.Variable[] {
    const { snap, t } = node;
    const l = snap.layers.find((x) => x.layer === node.layer)!;
    const H = l.units;
    const { matrices, series } = layerArrays(l);
    const sel = snap.layers.length > 1 ? `[layer${l.layer}]` : '';
    const mat = (name: string, data: Float32Array, gate = false): DebugProtocol.Variable =>
      t === null ? this.variable(name, data, { gate, matrix: { rows: snap.steps, cols: H }, evaluateName: name + sel }) : this.variable(name, data.subarray(t * H, (t + 1) * H), { gate, evaluateName: name + sel });
    const ser = (label: string, name: string, data: Float32Array | undefined): DebugProtocol.Variable[] =>
      data ? [t === null ? this.variable(label, data, { evaluateName: name + sel }) : this.variable(label, data[t], { evaluateName: name + sel })] : [];
    if (node.group === 'gates') return GATE_ORDER[snap.cell].filter((g) => matrices[g]).map((g) => mat(g, matrices[g], SIGMOID_GATES.has(g)));
    if (node.group === 'state') {
      const vars = ['c', 'h'].filter((k) => matrices[k]).map((k) => mat(k, matrices[k]));
      if (t !== null) {
        vars.unshift({ name: 'input', value: this.inputLabel(snap, t), variablesReference: 0 });
        vars.push(this.variable('stepLoss', snap.stepLoss[t], { evaluateName: 'stepLoss' }));
      }
      return vars;
    }
    const tau = snap.reachFrom;
    const vars = [
      ...(matrices.dc ? [mat('∂L/∂c_t (dc)', matrices.dc)] : []),
      mat('∂L/∂h_t (dh)', matrices.dh),
      ...ser('‖∂L/∂c_t‖ (dcNorm)', 'dcNorm', series.dcNorm),
      ...ser('‖∂L/∂h_t‖ (dhNorm)', 'dhNorm', series.dhNorm),
      ...ser(`reach ‖∂ℓ_τ/∂h_t‖, τ = ${tau} (reachH)`, 'reachH', series.reachH),
      ...ser(`reach ‖∂ℓ_τ/∂c_t‖, τ = ${tau} (reachC)`, 'reachC', series.reachC),
      ...ser('Jacobian σmax (sigma)', 'sigma', series.sigma),
    ];
    if (t !== null && t <= tau) vars.push({ name: 'lag τ − t', value: String(tau - t), variablesReference: 0 });
    return vars;
  }
}

/** min / mean / max of a vector, and for a sigmoid gate how many values are saturated. */
function summary(v: ArrayLike<number>, gate = false): string {
  let min = Infinity, max = -Infinity, sum = 0, sat = 0;
  for (let j = 0; j < v.length; j++) {
    const x = v[j];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    if (x < SATURATION_LOW || x > SATURATION_HIGH) sat++;
  }
  const mean = v.length ? sum / v.length : NaN;
  return `min ${formatNumber(min)} · mean ${formatNumber(mean)} · max ${formatNumber(max)}${gate ? ` · saturated ${sat}/${v.length}` : ''}`;
}
