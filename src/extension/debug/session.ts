// The `rnn` debug adapter (Debug Adapter Protocol), structured like vscode-mock-debug: a
// DebugSession over a runtime (runtime.ts) that drives the trainer one step at a time. At every
// step the session checks the exception filters, function breakpoints (conditions in the
// expression language) and source breakpoints on lines of the data file, and stops or steps on.
// Paused, the call stack is the traced sample's timesteps (newest first, as BPTT walks them) and
// the Variables view shows gates, states, gradients and the step's scalars. No vscode import.

import {
  Breakpoint, DebugSession, Handles, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { completionsFor, evaluateAst, formatNumber, formatValue, isTrue, type Env, type Value } from '../../core/debugExpr/evaluate';
import { ExprError, namesIn, parseExpression, type Expr } from '../../core/debugExpr/parse';
import { cellQuantities, layerArrays, STEP_NAMES, stepEnv } from '../../core/debugExpr/stepScope';
import { SATURATION_HIGH, SATURATION_LOW } from '../../core/saturation';
import { summariseReach } from '../../protocol/gradientReach';
import { buildTextMap, type TextMap } from '../../protocol/textMap';
import { GATE_ORDER, type CellKind } from '../../protocol/spec';
import type { TraceSnapshot } from '../../protocol/trace';
import { resolveLaunch, SteppedRun, type ResolvedLaunch, type StepRecord, type TrainerProvider } from './runtime';

const THREAD = 1;
/** Frame id of the step-level frame; timestep t is frame FIRST_T_FRAME + t. */
const STEP_FRAME = 1;
const FIRST_T_FRAME = 2;

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
/** Gates squashed by a sigmoid (saturation means stuck open or shut); g, n and a are tanh / pre-activations. */
const SIGMOID_GATES = new Set(['f', 'i', 'o', 'z', 'r']);
// #endregion

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

interface Condition { id: number; label: string; when: Expr | null; hit?: HitCondition; hits: number; logMessage?: string }
interface SourceBp extends Condition { line: number }

type VarNode =
  | { kind: 'step'; rec: StepRecord }
  | { kind: 'layer'; group: 'gates' | 'state' | 'gradients'; snap: TraceSnapshot; layer: number; t: number | null }
  | { kind: 'vector'; data: ArrayLike<number>; name: string }
  | { kind: 'matrix'; data: Float32Array; rows: number; cols: number; name: string }
  | { kind: 'record'; entries: [string, number][] };

interface Stop { reason: string; description: string; text?: string; t: number | null; exceptionId?: string }

export interface SessionOptions {
  trainers: TrainerProvider;
  /** Seconds Stop waits for the current step before killing the trainer. */
  stopTimeoutMs?: number;
  /** Called at every stop (the panel and the sidebar views follow the paused step). */
  onStopped?(runId: string, step: number, t: number | null): void;
}

export class RnnDebugSession extends DebugSession {
  private run: SteppedRun | null = null;
  private launch: ResolvedLaunch | null = null;
  private cell: CellKind | null = null;
  private text: { file: string; map: TextMap; lineStarts: number[] } | null = null;
  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((r) => (this.configurationDone = r));

  /** The paused position; null while running. */
  private at: { step: number; t: number | null } | null = null;
  /** What the next `held` should do besides checking breakpoints. */
  private want: 'pause' | 'step' | null = null;
  private ended = false;
  private lastStop: Stop | null = null;
  private readonly checked = new Set<number>();
  private readonly losses: number[] = [];

  private filters = new Map<string, number>();
  private functionBps: Condition[] = [];
  private sourceBps: SourceBp[] = [];
  private nextBpId = 1;
  private handles = new Handles<VarNode>();

  constructor(private readonly options: SessionOptions) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsStepBack: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['(', '['],
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({
        filter: f.id,
        label: f.label,
        description: f.description,
        default: f.id === 'nonFinite' || f.id === 'exploding',
        supportsCondition: !!f.threshold,
        conditionDescription: f.threshold ? `${f.threshold.what} (default ${f.threshold.default})` : undefined,
      })),
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configurationDone();
  }

  // #region launch / attach / stop
  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    let launch: ResolvedLaunch;
    try {
      launch = resolveLaunch((args ?? {}) as Record<string, unknown>);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1001, format: (e as Error).message, showUser: true });
      return;
    }
    this.setTarget(launch);
    this.sendEvent(new InitializedEvent());
    await this.configured;
    let run: SteppedRun;
    try {
      run = new SteppedRun(this.options.trainers.launch(launch.spec, launch.baseDir));
    } catch (e) {
      this.sendErrorResponse(response, { id: 1002, format: (e as Error).message, showUser: true });
      return;
    }
    this.attachRun(run);
    this.log(`RNN Debugger: run ${run.runId}${run.runDir ? ` → ${run.runDir}` : ''}\n`);
    this.sendResponse(response);
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): Promise<void> {
    const runId = (args as { runId?: unknown }).runId;
    const handle = typeof runId === 'string' && runId ? this.options.trainers.attach?.(runId) : undefined;
    if (!handle) {
      const msg = typeof runId !== 'string' || !runId ? `attach configuration: 'runId' must name a run started by Train RNN` : `attach configuration: 'runId': no live run ${runId}`;
      this.sendErrorResponse(response, { id: 1003, format: msg, showUser: true });
      return;
    }
    const spec = handle.client.lastStatus?.spec;
    if (spec) this.setTarget({ spec, baseDir: undefined, textFile: spec.data.kind === 'text' ? spec.data.path : undefined, stopOnEntry: false });
    this.sendEvent(new InitializedEvent());
    await this.configured;
    const run = new SteppedRun(handle);
    this.attachRun(run);
    // A running trainer holds before its next step; from there the session steps it.
    run.pause();
    this.sendResponse(response);
  }

  private setTarget(launch: ResolvedLaunch): void {
    this.launch = launch;
    this.cell = launch.spec.model.cell;
    if (launch.textFile) {
      try {
        const raw = readFileSync(launch.textFile, 'utf8');
        const lineStarts = [0];
        for (let i = 0; i < raw.length; i++) {
          const c = raw.charCodeAt(i);
          if (c === 10 || (c === 13 && raw.charCodeAt(i + 1) !== 10)) lineStarts.push(i + 1);
        }
        this.text = { file: resolve(launch.textFile), map: buildTextMap(raw), lineStarts };
      } catch {
        this.text = null; // the trainer says why it cannot read it
      }
    }
  }

  private attachRun(run: SteppedRun): void {
    this.run = run;
    run.onLog((line) => this.log(line + '\n'));
    run.onHeld((step) => this.onHeld(step));
    run.onEnded(({ status, exit }) => {
      // The step that ended the run (e.g. a non-finite loss) is recorded but never held: check it.
      const last = run.lastStep;
      let stop: Stop | null = null;
      if (last > 0 && !this.checked.has(last)) stop = this.check(last);
      if (!stop && status?.state === 'failed' && this.filters.has('nonFinite') && /non-finite|not finite|NaN|Infinity/.test(status.reason ?? '')) {
        stop = { reason: 'exception', exceptionId: 'nonFinite', description: 'Non-finite loss or gradient', text: status.reason, t: null };
      }
      this.ended = true;
      const how = status ? `${status.state}${status.reason ? `: ${status.reason}` : ''}` : exit.crash ?? `exit ${exit.code}`;
      this.log(`RNN Debugger: run ${run.runId} ${how}\n`);
      if (stop && last > 0) this.stopAt(last, stop);
      else this.sendEvent(new TerminatedEvent());
    });
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): Promise<void> {
    await this.endRun(args?.terminateDebuggee);
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.endRun(true);
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  /** Stop ends a launched run like Stop Training (final status 'stopped', folder kept); an attached run runs on. */
  private async endRun(terminate: boolean | undefined): Promise<void> {
    const run = this.run;
    if (!run || run.ended) return;
    if (run.handle.owned || terminate === true) await run.stop(this.options.stopTimeoutMs ?? 15_000);
    else run.resume();
  }
  // #endregion

  // #region stepping
  private onHeld(step: number): void {
    if (!this.run) return;
    if (step === 0) {
      if (this.launch?.stopOnEntry && this.want !== 'step') this.stopAt(0, { reason: 'entry', description: 'Before step 1', t: null });
      else this.run.step();
      return;
    }
    const hit = this.checked.has(step) ? null : this.check(step);
    const want = this.want;
    this.want = null;
    if (hit) this.stopAt(step, hit);
    else if (want === 'pause') this.stopAt(step, { reason: 'pause', description: `Paused after step ${step}`, t: null });
    else if (want === 'step') this.stopAt(step, { reason: 'step', description: `Step ${step}`, t: null });
    else this.run.step();
  }

  private stopAt(step: number, stop: Stop): void {
    this.at = { step, t: stop.t };
    this.lastStop = stop;
    this.handles.reset();
    const ev = new StoppedEvent(stop.reason, THREAD, stop.text) as DebugProtocol.StoppedEvent;
    ev.body.description = stop.description;
    ev.body.allThreadsStopped = true;
    this.sendEvent(ev);
    if (this.run && step > 0 && this.run.record(step)?.snapshot) this.options.onStopped?.(this.run.runId, step, stop.t);
  }

  /** Leaves the paused state and runs the trainer on (or ends the session if the run has ended). */
  private resumeRun(want: 'step' | null): void {
    this.at = null;
    this.want = want;
    if (this.ended || !this.run) {
      this.sendEvent(new TerminatedEvent());
      return;
    }
    this.run.step();
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    this.resumeRun(null);
  }

  /** Step Over: one optimisation step. */
  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.sendResponse(response);
    this.resumeRun('step');
  }

  /** Step Into: into the timesteps of the traced sample, then one timestep forward at a time. */
  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.sendResponse(response);
    const at = this.at;
    const snap = at ? this.run?.record(at.step)?.snapshot : null;
    if (!at || !snap) {
      if (at) this.log(`step ${at.step} was not traced: Step Into has no timesteps (set traceEvery in the launch configuration); stepping over\n`);
      this.resumeRun('step');
      return;
    }
    if (at.t === null) return this.stopAt(at.step, { reason: 'step', description: `Step ${at.step}, t = 0`, t: 0 });
    if (at.t + 1 < snap.steps) return this.stopAt(at.step, { reason: 'step', description: `Step ${at.step}, t = ${at.t + 1}`, t: at.t + 1 });
    // Past the last timestep: on to the next optimisation step.
    this.resumeRun('step');
  }

  /** Step Out: from a timestep back to the step level; at the step level, one optimisation step. */
  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.sendResponse(response);
    const at = this.at;
    if (at && at.t !== null) return this.stopAt(at.step, { reason: 'step', description: `Step ${at.step}`, t: null });
    this.resumeRun('step');
  }

  /** Step Back: one timestep back (the trace is recorded, so this is exact); from the step level, to t = T − 1. */
  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.sendResponse(response);
    const at = this.at;
    const snap = at ? this.run?.record(at.step)?.snapshot : null;
    if (!at) return;
    if (!snap) {
      this.log(`step ${at.step} was not traced: there are no timesteps to step back through\n`);
      return this.stopAt(at.step, { reason: 'step', description: `Step ${at.step}`, t: at.t });
    }
    const t = at.t === null ? snap.steps - 1 : Math.max(0, at.t - 1);
    this.stopAt(at.step, { reason: 'step', description: `Step ${at.step}, t = ${t}`, t });
  }

  /** Reverse Continue: back along the timesteps to the previous source breakpoint's timestep, else to t = 0. */
  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.sendResponse(response);
    const at = this.at;
    const snap = at ? this.run?.record(at.step)?.snapshot : null;
    if (!at || !snap) return;
    const from = at.t === null ? snap.steps : at.t;
    const lines = new Set(this.sourceBps.map((b) => b.line));
    for (let t = from - 1; t >= 0; t--) {
      const loc = this.location(snap, t);
      if (loc && lines.has(loc.line)) return this.stopAt(at.step, { reason: 'breakpoint', description: `Breakpoint at line ${loc.line}, t = ${t}`, t });
    }
    this.stopAt(at.step, { reason: 'step', description: `Step ${at.step}, t = 0`, t: 0 });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.sendResponse(response);
    if (this.at) return;
    this.want = 'pause';
    // Normally the trainer is held already and `held` comes after its step; if someone resumed
    // it (Resume Training), this holds it again.
    this.run?.pause();
  }
  // #endregion

  // #region breakpoints
  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
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
    response.body = { breakpoints };
    this.sendResponse(response);
  }

  /** Checks that a condition parses and only names what this run has; throws ExprError. */
  private compile(src: string): Expr {
    const e = parseExpression(src);
    if (this.cell) {
      const known = new Set<string>([...STEP_NAMES, ...cellQuantities(this.cell), 't', 'T', 'tau', 'stepLoss']);
      for (const n of namesIn(e)) {
        if (n.endsWith('()') || /^layer\d+$/.test(n) || known.has(n)) continue;
        const other = /^[a-z]$/.test(n) || n === 'c' || n === 'dc';
        throw new ExprError(other ? `'${n}' is not a quantity of the ${this.cell} cell; its quantities are ${cellQuantities(this.cell).join(', ')}` : `unknown name '${n}'; names: ${[...known].join(', ')}`, 0);
      }
    }
    return e;
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
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
    response.body = { breakpoints };
    this.sendResponse(response);
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const path = args.source.path ? resolve(args.source.path) : '';
    const isData = !!this.text && path === this.text.file;
    if (isData) this.sourceBps = [];
    const breakpoints: DebugProtocol.Breakpoint[] = [];
    for (const b of args.breakpoints ?? []) {
      const line = b.line;
      if (!isData) {
        breakpoints.push({ verified: false, line, message: this.text ? `RNN breakpoints go on lines of the training text ${basename(this.text.file)}` : 'this run has no training text: use the exception filters or a function breakpoint with a condition' });
        continue;
      }
      try {
        if (line < 1 || line > this.text!.lineStarts.length) throw new ExprError(`line ${line} is past the end of ${basename(this.text!.file)}`, 0);
        const when = b.condition?.trim() ? this.compile(b.condition) : null;
        const hit = b.hitCondition?.trim() ? parseHitCondition(b.hitCondition) : undefined;
        if (b.logMessage) for (const m of b.logMessage.matchAll(/\{([^}]*)\}/g)) this.compile(m[1]);
        const id = this.nextBpId++;
        this.sourceBps.push({ id, label: `line ${line}`, line, when, hit, hits: 0, logMessage: b.logMessage });
        breakpoints.push(new Breakpoint(true, line) as DebugProtocol.Breakpoint);
        breakpoints[breakpoints.length - 1].id = id;
      } catch (e) {
        breakpoints.push({ verified: false, line, message: (e as Error).message });
      }
    }
    response.body = { breakpoints };
    this.sendResponse(response);
  }

  /** Whether step `step` should stop (and how); updates hit counts and writes log points. */
  private check(step: number): Stop | null {
    this.checked.add(step);
    const rec = this.run?.record(step);
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
          if (frac > satMax) return exc('saturation', `step ${step}, layer ${l.layer}: ${(frac * 100).toFixed(1)}% of gate ${g} saturated (> ${satMax * 100}%)`);
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
    if (snap && this.text && this.sourceBps.length && snap.textStart !== undefined) {
      for (let t = 0; t < snap.steps; t++) {
        const loc = this.location(snap, t);
        if (!loc) continue;
        for (const b of this.sourceBps) {
          if (b.line !== loc.line) continue;
          // A line is hit once per step: at the first timestep that reads a character of it.
          if (t > 0 && this.location(snap, t - 1)?.line === loc.line) continue;
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
      this.log(msg + '\n', 'console');
      return false;
    }
    return true;
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.lastStop;
    response.body = { exceptionId: s?.exceptionId ?? 'none', description: s?.text ?? s?.description, breakMode: 'always', details: { message: s?.text } };
    this.sendResponse(response);
  }
  // #endregion

  // #region call stack and variables
  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD, this.run ? `run ${this.run.runId}` : 'run')] };
    this.sendResponse(response);
  }

  /** Line and column (1-based) in the data file of the character timestep t reads. */
  private location(snap: TraceSnapshot, t: number): { line: number; column: number } | null {
    if (!this.text || snap.textStart === undefined) return null;
    const k = snap.textStart + t;
    if (k < 0 || k >= this.text.map.steps) return null;
    const offset = this.text.map.starts[k];
    const ls = this.text.lineStarts;
    let lo = 0, hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ls[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - ls[lo] + 1 };
  }

  private tokenLabel(snap: TraceSnapshot, t: number): string {
    const vocab = this.run?.lastStatus?.vocabulary;
    if (snap.tokens && vocab) return JSON.stringify(vocab[snap.tokens[t]] ?? '?');
    if (snap.tokens) return `token ${snap.tokens[t]}`;
    if (snap.inputs) {
      const w = snap.inputs.length / snap.steps;
      return `x = (${Array.from(snap.inputs.subarray(t * w, t * w + Math.min(w, 3)), formatNumber).join(', ')}${w > 3 ? ', …' : ''})`;
    }
    return `t ${t}`;
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const at = this.at;
    if (!at) {
      response.body = { stackFrames: [], totalFrames: 0 };
      return this.sendResponse(response);
    }
    const snap = this.run?.record(at.step)?.snapshot;
    const specSource = this.launch?.specFile ? new Source(basename(this.launch.specFile), this.convertDebuggerPathToClient(this.launch.specFile)) : undefined;
    if (at.t === null || !snap) {
      // VS Code loads the first frame, then asks for the rest from startFrame 1: there is none.
      if ((args.startFrame ?? 0) > 0) {
        response.body = { stackFrames: [], totalFrames: 1 };
        return this.sendResponse(response);
      }
      const f = new StackFrame(STEP_FRAME, at.step === 0 ? 'before step 1' : `step ${at.step}`, specSource, specSource ? 1 : 0, 1);
      response.body = { stackFrames: [f], totalFrames: 1 };
      return this.sendResponse(response);
    }
    const start = args.startFrame ?? 0;
    const count = args.levels && args.levels > 0 ? args.levels : at.t + 1;
    const frames: StackFrame[] = [];
    for (let i = start; i < Math.min(at.t + 1, start + count); i++) {
      const t = at.t - i;
      const loc = this.location(snap, t);
      const src = loc && this.text ? new Source(basename(this.text.file), this.convertDebuggerPathToClient(this.text.file)) : undefined;
      const f = new StackFrame(FIRST_T_FRAME + t, `${this.tokenLabel(snap, t)} t=${t}`, src, loc?.line ?? 0, loc?.column ?? 0) as DebugProtocol.StackFrame;
      if (loc) { f.endLine = loc.line; f.endColumn = loc.column + 1; }
      frames.push(f as StackFrame);
    }
    response.body = { stackFrames: frames, totalFrames: at.t + 1 };
    this.sendResponse(response);
  }

  private frameT(frameId: number | undefined): number | null {
    if (frameId === undefined) return this.at?.t ?? null;
    return frameId >= FIRST_T_FRAME ? frameId - FIRST_T_FRAME : null;
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const rec = this.at ? this.run?.record(this.at.step) : undefined;
    const scopes: DebugProtocol.Scope[] = [];
    if (rec) {
      scopes.push(new Scope('Step', this.handles.create({ kind: 'step', rec }), false));
      const t = this.frameT(args.frameId);
      const snap = rec.snapshot;
      if (snap) {
        for (const l of snap.layers) {
          const suffix = snap.layers.length > 1 || l.layer > 0 ? ` · layer ${l.layer}` : '';
          scopes.push(new Scope(`Gates${suffix}`, this.handles.create({ kind: 'layer', group: 'gates', snap, layer: l.layer, t }), false));
          scopes.push(new Scope(`State${suffix}`, this.handles.create({ kind: 'layer', group: 'state', snap, layer: l.layer, t }), false));
          scopes.push(new Scope(`Gradients${suffix}`, this.handles.create({ kind: 'layer', group: 'gradients', snap, layer: l.layer, t }), false));
        }
      }
    }
    response.body = { scopes };
    this.sendResponse(response);
  }

  /** A variable for a number, an [H] vector (paged) or a [T, H] matrix (rows paged). */
  private variable(name: string, value: number | boolean | ArrayLike<number>, opts: { gate?: boolean; evaluateName?: string; matrix?: { rows: number; cols: number } } = {}): DebugProtocol.Variable {
    if (typeof value === 'number' || typeof value === 'boolean') return { name, value: typeof value === 'number' ? formatNumber(value) : String(value), variablesReference: 0, evaluateName: opts.evaluateName };
    if (opts.matrix && value instanceof Float32Array) {
      const ref = this.handles.create({ kind: 'matrix', data: value, rows: opts.matrix.rows, cols: opts.matrix.cols, name });
      return { name, value: `[${opts.matrix.rows} × ${opts.matrix.cols}] ${summary(value, opts.gate)}`, variablesReference: ref, indexedVariables: opts.matrix.rows, evaluateName: opts.evaluateName };
    }
    const ref = this.handles.create({ kind: 'vector', data: value, name });
    return { name, value: `[${value.length}] ${summary(value, opts.gate)}`, variablesReference: ref, indexedVariables: value.length, evaluateName: opts.evaluateName };
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const node = this.handles.get(args.variablesReference);
    let vars: DebugProtocol.Variable[] = [];
    if (node) vars = this.children(node, args);
    response.body = { variables: vars };
    this.sendResponse(response);
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
      case 'layer': {
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
            vars.unshift({ name: 'input', value: this.tokenLabel(snap, t), variablesReference: 0 });
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
  }
  // #endregion

  // #region evaluate and completions
  private envAt(frameId: number | undefined): Env | null {
    const rec = this.at ? this.run?.record(this.at.step) : undefined;
    if (!rec) return null;
    return stepEnv({ metrics: rec.metrics, snapshot: rec.snapshot, t: this.frameT(frameId) });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const env = this.envAt(args.frameId);
    if (!env) {
      this.sendErrorResponse(response, { id: 2001, format: 'the run is not paused at a step', showUser: false });
      return;
    }
    let value: Value;
    try {
      value = evaluateAst(parseExpression(args.expression), env);
    } catch (e) {
      this.sendErrorResponse(response, { id: 2002, format: e instanceof ExprError ? e.message : `internal error: ${(e as Error).message}`, showUser: false });
      return;
    }
    if (value instanceof Float64Array) {
      const v = this.variable(args.expression, value);
      response.body = { result: v.value, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables };
    } else {
      response.body = { result: formatValue(value), variablesReference: 0 };
    }
    this.sendResponse(response);
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    const env = this.envAt(args.frameId) ?? stepEnv({ metrics: { step: 0, loss: 0, gradNorm: 0, gradNormClipped: 0, clipped: false, learningRate: 0, groupNorms: {}, seconds: 0, time: 0 } });
    const before = args.text.slice(0, Math.max(0, args.column - 1));
    const prefix = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before)?.[0] ?? '';
    response.body = {
      targets: completionsFor(prefix, env).map((c) => ({ label: c.label, type: c.kind, start: args.column - 1 - prefix.length, length: prefix.length })),
    };
    this.sendResponse(response);
  }
  // #endregion

  private log(text: string, category: 'console' | 'stdout' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
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
