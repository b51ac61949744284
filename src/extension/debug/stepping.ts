// Execution control of the debugger, as pure decisions: what a held trainer does next (stop, and
// why, or take another step) and where Step Into / Out / Back and Reverse Continue move the
// paused position. Stepping inside a step walks the recorded timesteps of its traced sample, so
// going back is exact; leaving the last timestep takes the next optimisation step. No vscode import.

import type { DataText, Position } from './frames';

/** A stop: the StoppedEvent's reason, description and text, and the timestep it shows (null: the step). */
export interface Stop {
  reason: string;
  description: string;
  text?: string;
  t: number | null;
  exceptionId?: string;
}

/** What to do next: stop at a position of the paused step, run the trainer one step, or nothing. */
export type Move =
  | { kind: 'stop'; stop: Stop; note?: string }
  | { kind: 'run'; note?: string }
  | { kind: 'none' };

/** What the user asked for while the trainer ran: hold after this step, or one step only. */
export type Want = 'pause' | 'step' | null;

const stopAt = (stop: Stop, note?: string): Move => ({ kind: 'stop', stop, note });
const run = (note?: string): Move => ({ kind: 'run', note });

/** The trainer holds before step 1: stop on entry unless a step was asked for. */
export function atEntry(stopOnEntry: boolean, want: Want): Move {
  return stopOnEntry && want !== 'step' ? stopAt({ reason: 'entry', description: 'Before step 1', t: null }) : run();
}

/** The trainer holds after `step`: a breakpoint that hit stops first, then a pending Pause or Step. */
export function afterStep(step: number, hit: Stop | null, want: Want): Move {
  if (hit) return stopAt(hit);
  if (want === 'pause') return stopAt({ reason: 'pause', description: `Paused after step ${step}`, t: null });
  if (want === 'step') return stopAt({ reason: 'step', description: `Step ${step}`, t: null });
  return run();
}

/** Step Into: into the timesteps of the traced sample, then one timestep forward at a time. */
export function stepInto(at: Position | null, steps: number | null): Move {
  if (!at || steps === null) {
    return run(at ? `step ${at.step} was not traced: Step Into has no timesteps (set traceEvery in the launch configuration); stepping over` : undefined);
  }
  if (at.t === null) return stopAt({ reason: 'step', description: `Step ${at.step}, t = 0`, t: 0 });
  if (at.t + 1 < steps) return stopAt({ reason: 'step', description: `Step ${at.step}, t = ${at.t + 1}`, t: at.t + 1 });
  // Past the last timestep: on to the next optimisation step.
  return run();
}

/** Step Out: from a timestep back to the step level; at the step level, one optimisation step. */
export function stepOut(at: Position | null): Move {
  if (at && at.t !== null) return stopAt({ reason: 'step', description: `Step ${at.step}`, t: null });
  return run();
}

/** Step Back: one timestep back; from the step level, to t = T − 1. */
export function stepBack(at: Position | null, steps: number | null): Move {
  if (!at) return { kind: 'none' };
  if (steps === null) return stopAt({ reason: 'step', description: `Step ${at.step}`, t: at.t }, `step ${at.step} was not traced: there are no timesteps to step back through`);
  const t = at.t === null ? steps - 1 : Math.max(0, at.t - 1);
  return stopAt({ reason: 'step', description: `Step ${at.step}, t = ${t}`, t });
}

/** Reverse Continue: back along the timesteps to the previous one on a breakpoint line, else to t = 0. */
export function reverseContinue(at: Position | null, sample: { steps: number; locate(t: number): ReturnType<DataText['location']> } | null, lines: ReadonlySet<number>): Move {
  if (!at || !sample) return { kind: 'none' };
  const from = at.t === null ? sample.steps : at.t;
  for (let t = from - 1; t >= 0; t--) {
    const loc = sample.locate(t);
    if (loc && lines.has(loc.line)) return stopAt({ reason: 'breakpoint', description: `Breakpoint at line ${loc.line}, t = ${t}`, t });
  }
  return stopAt({ reason: 'step', description: `Step ${at.step}, t = 0`, t: 0 });
}
