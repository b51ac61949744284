// The Call Stack of a paused run: one frame for the optimisation step, or, inside a step, the
// traced sample's timesteps newest first (the order BPTT walks them), each named by its input and
// t and located at the character it reads in the training text. No vscode import.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatNumber } from '../../core/debugExpr/evaluate';
import { buildTextMap, type TextMap } from '../../protocol/textMap';
import type { TraceSnapshot } from '../../protocol/trace';

/** Frame id of the step-level frame; timestep t is frame FIRST_T_FRAME + t. */
export const STEP_FRAME = 1;
const FIRST_T_FRAME = 2;

/** The timestep a frame id stands for; null for the step-level frame. */
export function timestepOfFrame(frameId: number): number | null {
  return frameId >= FIRST_T_FRAME ? frameId - FIRST_T_FRAME : null;
}

/** Where the run is paused: an optimisation step (0 = before step 1) and, inside it, a timestep. */
export interface Position {
  step: number;
  t: number | null;
}

/** The character-level training text as the trainer read it: where each timestep's character is. */
export class DataText {
  private constructor(
    /** Absolute path. */
    readonly file: string,
    readonly map: TextMap,
    /** Offset where each line starts (LF, CRLF and lone CR end a line). */
    readonly lineStarts: number[],
  ) {}

  /** Reads the file; null when it cannot (the trainer says why it cannot read it). */
  static read(path: string): DataText | null {
    try {
      const raw = readFileSync(path, 'utf8');
      const lineStarts = [0];
      for (let i = 0; i < raw.length; i++) {
        const c = raw.charCodeAt(i);
        if (c === 10 || (c === 13 && raw.charCodeAt(i + 1) !== 10)) lineStarts.push(i + 1);
      }
      return new DataText(resolve(path), buildTextMap(raw), lineStarts);
    } catch {
      return null;
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Line and column (1-based) in the file of the character timestep t of the sample reads. */
  location(snap: TraceSnapshot, t: number): { line: number; column: number } | null {
    if (snap.textStart === undefined) return null;
    const k = snap.textStart + t;
    if (k < 0 || k >= this.map.steps) return null;
    const offset = this.map.starts[k];
    const ls = this.lineStarts;
    let lo = 0, hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ls[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - ls[lo] + 1 };
  }
}

/** What timestep t of the sample reads: its character, token id or the first inputs. */
export function tokenLabel(snap: TraceSnapshot, t: number, vocabulary: readonly string[] | undefined): string {
  if (snap.tokens && vocabulary) return JSON.stringify(vocabulary[snap.tokens[t]] ?? '?');
  if (snap.tokens) return `token ${snap.tokens[t]}`;
  if (snap.inputs) {
    const w = snap.inputs.length / snap.steps;
    return `x = (${Array.from(snap.inputs.subarray(t * w, t * w + Math.min(w, 3)), formatNumber).join(', ')}${w > 3 ? ', …' : ''})`;
  }
  return `t ${t}`;
}

export interface FrameContext {
  /** The paused step's traced sample, if it was traced. */
  snap: TraceSnapshot | null | undefined;
  text: DataText | null;
  vocabulary: readonly string[] | undefined;
  /** A DAP source for a file (the session converts the path for the client). */
  source(path: string): DebugProtocol.Source;
  /** The spec file the run came from (the step frame points at it). */
  specFile: string | undefined;
}

/** The stackTrace response body at `at`, honouring delayed loading (startFrame, levels). */
export function stackFrames(at: Position, args: DebugProtocol.StackTraceArguments, ctx: FrameContext): DebugProtocol.StackTraceResponse['body'] {
  const { snap } = ctx;
  if (at.t === null || !snap) {
    // VS Code loads the first frame, then asks for the rest from startFrame 1: there is none.
    if ((args.startFrame ?? 0) > 0) return { stackFrames: [], totalFrames: 1 };
    const source = ctx.specFile ? ctx.source(ctx.specFile) : undefined;
    return { stackFrames: [{ id: STEP_FRAME, name: at.step === 0 ? 'before step 1' : `step ${at.step}`, source, line: source ? 1 : 0, column: 1 }], totalFrames: 1 };
  }
  const start = args.startFrame ?? 0;
  const count = args.levels && args.levels > 0 ? args.levels : at.t + 1;
  const frames: DebugProtocol.StackFrame[] = [];
  for (let i = start; i < Math.min(at.t + 1, start + count); i++) {
    const t = at.t - i;
    const loc = ctx.text?.location(snap, t);
    const f: DebugProtocol.StackFrame = {
      id: FIRST_T_FRAME + t,
      name: `${tokenLabel(snap, t, ctx.vocabulary)} t=${t}`,
      source: loc && ctx.text ? ctx.source(ctx.text.file) : undefined,
      line: loc?.line ?? 0,
      column: loc?.column ?? 0,
    };
    // The frame's range is its one character: VS Code selects it when the frame is shown.
    if (loc) { f.endLine = loc.line; f.endColumn = loc.column + 1; }
    frames.push(f);
  }
  return { stackFrames: frames, totalFrames: at.t + 1 };
}
