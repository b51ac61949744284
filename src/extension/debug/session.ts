// The `rnn` debug adapter (Debug Adapter Protocol), structured like vscode-mock-debug: a
// DebugSession over a runtime (runtime.ts) that drives the trainer one step at a time. This file
// is the protocol front: launch / attach / stop, and each request handed to its part —
// breakpoints.ts (filters, conditions, lines of the text), stepping.ts (where a stop or a step
// goes), frames.ts (the Call Stack of timesteps) and variables.ts (scopes and values); the Debug
// Console and hovers evaluate the expression language of core/debugExpr. No vscode import.

import { DebugSession, InitializedEvent, OutputEvent, Source, StoppedEvent, TerminatedEvent, Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { basename } from 'node:path';
import { completionsFor, evaluateAst, formatValue, type Env, type Value } from '../../core/debugExpr/evaluate';
import { ExprError, parseExpression } from '../../core/debugExpr/parse';
import { stepEnv } from '../../core/debugExpr/stepScope';
import type { CellKind } from '../../protocol/spec';
import type { TraceSnapshot } from '../../protocol/trace';
import type { DebugStop } from '../runStore';
import { Breakpoints, exceptionBreakpointFilters } from './breakpoints';
import { DataText, stackFrames, timestepOfFrame, tokenLabel, type Position } from './frames';
import { resolveLaunch, SteppedRun, type ResolvedLaunch, type TrainerProvider } from './runtime';
import { afterStep, atEntry, reverseContinue, stepBack, stepInto, stepOut, type Move, type Stop, type Want } from './stepping';
import { VariableTree } from './variables';

const THREAD = 1;

export interface SessionOptions {
  trainers: TrainerProvider;
  /** Seconds Stop waits for the current step before killing the trainer. */
  stopTimeoutMs?: number;
  /** Called at every stop of a traced or untraced step after step 0 (the panel and the views follow it). */
  onStopped?(stop: DebugStop): void;
  /** Called when the session leaves the paused state (Continue, a step, the end of the run). */
  onResumed?(runId: string): void;
}

export class RnnDebugSession extends DebugSession {
  private run: SteppedRun | null = null;
  private launch: ResolvedLaunch | null = null;
  private cell: CellKind | null = null;
  private text: DataText | null = null;
  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((r) => (this.configurationDone = r));

  /** The paused position; null while running. */
  private at: Position | null = null;
  /** What the next `held` should do besides checking breakpoints. */
  private want: Want = null;
  private ended = false;
  private lastStop: Stop | null = null;

  private readonly breakpoints = new Breakpoints((text) => this.log(text), () => ({ cell: this.cell, text: this.text }));
  private readonly variables = new VariableTree((snap, t) => tokenLabel(snap, t, this.run?.lastStatus?.vocabulary));

  constructor(private readonly options: SessionOptions) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** The run's id and where it is paused (null while it runs). */
  get paused(): { runId: string; step: number; t: number | null } | null {
    return this.run && this.at ? { runId: this.run.runId, ...this.at } : null;
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
      exceptionBreakpointFilters: exceptionBreakpointFilters(),
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
    if (launch.textFile) this.text = DataText.read(launch.textFile);
  }

  private attachRun(run: SteppedRun): void {
    this.run = run;
    run.onLog((line) => this.log(line + '\n'));
    run.onHeld((step) => this.onHeld(step));
    run.onEnded(({ status, exit }) => {
      // The step that ended the run (e.g. a non-finite loss) is recorded but never held: check it.
      const last = run.lastStep;
      let stop: Stop | null = null;
      if (last > 0 && !this.breakpoints.wasChecked(last)) stop = this.breakpoints.check(last, run.record(last));
      if (!stop && status?.state === 'failed' && this.breakpoints.has('nonFinite') && /non-finite|not finite|NaN|Infinity/.test(status.reason ?? '')) {
        stop = { reason: 'exception', exceptionId: 'nonFinite', description: 'Non-finite loss or gradient', text: status.reason, t: null };
      }
      this.ended = true;
      const how = status ? `${status.state}${status.reason ? `: ${status.reason}` : ''}` : exit.crash ?? `exit ${exit.code}`;
      this.log(`RNN Debugger: run ${run.runId} ${how}\n`);
      if (stop && last > 0) this.stopAt(last, stop);
      else this.terminate();
    });
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): Promise<void> {
    await this.endRun(args?.terminateDebuggee);
    this.leavePaused();
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.endRun(true);
    this.sendResponse(response);
    this.terminate();
  }

  /** Stop ends a launched run like Stop Training (final status 'stopped', folder kept); an attached run runs on. */
  private async endRun(terminate: boolean | undefined): Promise<void> {
    const run = this.run;
    if (!run || run.ended) return;
    if (run.handle.owned || terminate === true) await run.stop(this.options.stopTimeoutMs ?? 15_000);
    else run.resume();
  }

  private terminate(): void {
    this.leavePaused();
    this.sendEvent(new TerminatedEvent());
  }
  // #endregion

  // #region execution control (decisions in stepping.ts)
  private onHeld(step: number): void {
    if (!this.run) return;
    if (step === 0) return this.apply(atEntry(!!this.launch?.stopOnEntry, this.want), 0);
    const hit = this.breakpoints.wasChecked(step) ? null : this.breakpoints.check(step, this.run.record(step));
    const want = this.want;
    this.want = null;
    this.apply(afterStep(step, hit, want), step);
  }

  /** Carries out a move: stop at `step` (the paused one unless given), or run the trainer one step. */
  private apply(move: Move, step = this.at?.step): void {
    if (move.kind === 'none') return;
    if (move.note) this.log(move.note + '\n');
    if (move.kind === 'stop' && step !== undefined) this.stopAt(step, move.stop);
    else if (move.kind === 'run') {
      if (this.at) this.resumeRun('step');
      else this.run?.step();
    }
  }

  private stopAt(step: number, stop: Stop): void {
    this.at = { step, t: stop.t };
    this.lastStop = stop;
    this.variables.reset();
    const ev = new StoppedEvent(stop.reason, THREAD, stop.text) as DebugProtocol.StoppedEvent;
    ev.body.description = stop.description;
    ev.body.allThreadsStopped = true;
    this.sendEvent(ev);
    const rec = this.run && step > 0 ? this.run.record(step) : undefined;
    if (this.run && rec) this.options.onStopped?.({ runId: this.run.runId, step, t: stop.t, snapshot: rec.snapshot, dataFile: this.text?.file });
  }

  /** Leaves the paused state and runs the trainer on (or ends the session if the run has ended). */
  private resumeRun(want: Want): void {
    this.leavePaused();
    this.want = want;
    if (this.ended || !this.run) {
      this.sendEvent(new TerminatedEvent());
      return;
    }
    this.run.step();
  }

  private leavePaused(): void {
    const wasPaused = this.at !== null;
    this.at = null;
    if (wasPaused && this.run) this.options.onResumed?.(this.run.runId);
  }

  /** The paused step's traced sample, if it was traced. */
  private sample(): TraceSnapshot | null {
    return this.at ? this.run?.record(this.at.step)?.snapshot ?? null : null;
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

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.sendResponse(response);
    this.applyOrStep(stepInto(this.at, this.sample()?.steps ?? null));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.sendResponse(response);
    this.applyOrStep(stepOut(this.at));
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.sendResponse(response);
    this.apply(stepBack(this.at, this.sample()?.steps ?? null));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.sendResponse(response);
    const snap = this.sample();
    const text = this.text;
    const sample = snap ? { steps: snap.steps, locate: (t: number) => text?.location(snap, t) ?? null } : null;
    this.apply(reverseContinue(this.at, sample, this.breakpoints.sourceLines()));
  }

  /** A stepping request: a stop inside the paused step, or (also when not paused) one optimisation step. */
  private applyOrStep(move: Move): void {
    if (move.kind === 'run') {
      if (move.note) this.log(move.note + '\n');
      this.resumeRun('step');
    } else this.apply(move);
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

  // #region breakpoints (breakpoints.ts)
  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    response.body = { breakpoints: this.breakpoints.setExceptionFilters(args) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    response.body = { breakpoints: this.breakpoints.setFunctionBreakpoints(args) };
    this.sendResponse(response);
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    response.body = { breakpoints: this.breakpoints.setSourceBreakpoints(args) };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.lastStop;
    response.body = { exceptionId: s?.exceptionId ?? 'none', description: s?.text ?? s?.description, breakMode: 'always', details: { message: s?.text } };
    this.sendResponse(response);
  }
  // #endregion

  // #region call stack and variables (frames.ts, variables.ts)
  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD, this.run ? `run ${this.run.runId}` : 'run')] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    response.body = this.at
      ? stackFrames(this.at, args, {
        snap: this.sample(),
        text: this.text,
        vocabulary: this.run?.lastStatus?.vocabulary,
        source: (path) => new Source(basename(path), this.convertDebuggerPathToClient(path)),
        specFile: this.launch?.specFile,
      })
      : { stackFrames: [], totalFrames: 0 };
    this.sendResponse(response);
  }

  /** The timestep of a frame (no frame: the paused one's). */
  private frameT(frameId: number | undefined): number | null {
    return frameId === undefined ? this.at?.t ?? null : timestepOfFrame(frameId);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const rec = this.at ? this.run?.record(this.at.step) : undefined;
    response.body = { scopes: this.variables.scopes(rec, this.frameT(args.frameId)) };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    response.body = { variables: this.variables.variables(args) };
    this.sendResponse(response);
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
      const v = this.variables.variable(args.expression, value);
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
