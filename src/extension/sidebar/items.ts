// What the debug sidebar's three trees show, as plain data built by pure functions (the vscode
// part turns an ItemSpec into a TreeItem): runs with state, step, loss and backend; diagnostics
// in words with numbers; units ranked by variance, saturation or relevance to a selection. While
// a debug session holds a run they describe the paused step and the selected frame's timestep.

import { backendText, skippedText } from '../../protocol/backendText';
import type { Diagnostic } from '../../core/analysis/diagnostics';
import { summariseReach } from '../../core/analysis/gradientReach';
import type { MetricsRecord, RunState, RunStatus, TraceSnapshot } from '../../protocol/trace';
import { topUnitsAt } from '../inspector/hover';
import { rankBySaturation, rankByVariance, type UnitRangeScore, type UnitScore } from '../inspector/ranking';

/** Where the debugger holds a run (RunStore's DebugStop): the paused step and the selected frame's timestep. */
export interface PausedAt {
  step: number;
  t: number | null;
}

/** "step 12" or "step 12, t = 5": the debugger's position in words. */
export function pausedText(p: PausedAt): string {
  return `step ${p.step}${p.t !== null ? `, t = ${p.t}` : ''}`;
}

/** A tree item as data: stable id and label, codicon, context value for menus, click command. */
export interface ItemSpec {
  /** Stable across refreshes (keeps selection and expansion). */
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** Codicon id, and an optional theme colour id for it. */
  icon?: { id: string; color?: string };
  /** Space-separated words the package.json menus match (`viewItem =~ /\blive\b/`). */
  contextValue?: string;
  command?: { command: string; title: string; arguments: unknown[] };
}

const STATE_ICONS: Record<RunState, { id: string; color?: string }> = {
  starting: { id: 'loading~spin' },
  running: { id: 'sync~spin', color: 'charts.blue' },
  paused: { id: 'debug-pause', color: 'charts.yellow' },
  completed: { id: 'pass', color: 'testing.iconPassed' },
  stopped: { id: 'debug-stop' },
  interrupted: { id: 'debug-disconnect', color: 'charts.yellow' },
  failed: { id: 'error', color: 'errorForeground' },
};

function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/** One run: "name", "running · step 120/500 · loss 1.2345 · wasm" ("debugger: step 12, t = 5" while a debug session holds it). */
export function runItem(status: RunStatus, last?: MetricsRecord, selected = false, paused?: PausedAt): ItemSpec {
  const live = status.state === 'starting' || status.state === 'running' || status.state === 'paused';
  const parts: string[] = [status.state, ...(paused ? [`debugger: ${pausedText(paused)}`] : []), `step ${status.step}/${status.spec.train.steps}`];
  if (last) parts.push(`loss ${fmtLoss(last.loss)}`);
  if (status.backend) parts.push(backendText(status)!);
  // Two runs of one spec differ by when they started.
  parts.push(startedText(status.startedAt));
  const m = status.spec.model;
  const tooltip = [
    `${status.name}${selected ? ' (selected)' : ''}`,
    `${m.cell} · ${m.layers} layer${m.layers > 1 ? 's' : ''} × ${m.hiddenSize} units · ${status.spec.train.optimizer} lr ${status.spec.train.learningRate}` +
      (status.spec.train.clipNorm !== null ? ` · clip ${status.spec.train.clipNorm}` : ' · no clipping'),
    `data: ${status.spec.data.kind}${'path' in status.spec.data ? ` ${status.spec.data.path}` : ` T = ${status.spec.data.length}`}`,
    `state: ${status.state}, step ${status.step} of ${status.spec.train.steps}`,
    ...(paused ? [`the debugger holds it at ${pausedText(paused)}`] : []),
    ...(last ? [`loss ${fmtLoss(last.loss)}${last.valLoss !== undefined ? `, validation ${fmtLoss(last.valLoss)}` : ''}, ‖g‖ ${last.gradNorm.toExponential(2)}`] : []),
    ...(status.backend ? [`backend: ${backendText(status)}`] : []),
    ...(skippedText(status) ? [`skipped: ${skippedText(status)}`] : []),
    ...(status.reason ? [`reason: ${status.reason}`] : []),
  ].join('\n');
  return {
    id: `run:${status.id}`,
    label: status.name,
    description: parts.join(' · '),
    tooltip,
    icon: STATE_ICONS[status.state],
    contextValue: ['run', live ? 'live' : 'ended', status.spec.data.kind === 'text' ? 'text' : ''].filter(Boolean).join(' '),
    command: { command: 'rnnDebugger.runs.showPanel', title: 'Show Run in Panel', arguments: [status.id] },
  };
}

/** When a run started, as a row shows it: the time today, else the date and time. */
export function startedText(startedAt: number, now = Date.now()): string {
  const d = new Date(startedAt);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString() ? time : `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}`;
}

/**
 * The run a command argument names: a run id, an object carrying `runId` (a unit or diagnostic
 * row's arguments), or a Runs row itself (`{ id: 'run:<id>' }`, what a row's inline button and
 * context menu pass).
 */
export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (!arg || typeof arg !== 'object') return undefined;
  const { runId, id } = arg as { runId?: unknown; id?: unknown };
  if (typeof runId === 'string') return runId;
  if (typeof id === 'string' && id.startsWith('run:')) return id.slice('run:'.length);
  return undefined;
}

const SEVERITY_ICONS: Record<Diagnostic['severity'], { id: string; color: string }> = {
  error: { id: 'error', color: 'problemsErrorIcon.foreground' },
  warning: { id: 'warning', color: 'problemsWarningIcon.foreground' },
  info: { id: 'info', color: 'problemsInfoIcon.foreground' },
};

function fmtEvidence(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();
}

/** Arguments of the reveal command a diagnostic item runs. */
export interface RevealArgs {
  runId: string;
  chart?: string;
  layer?: number;
  unit?: number;
}

/** One finding: headline as label, the sentence with numbers as description and tooltip. */
export function diagnosticItem(runId: string, d: Diagnostic): ItemSpec {
  const evidence = Object.entries(d.evidence)
    .map(([k, v]) => `${k} = ${fmtEvidence(v)}`)
    .join(', ');
  const args: RevealArgs = { runId, chart: d.chart, layer: d.layer, unit: d.units?.[0] };
  return {
    id: `diag:${runId}:${d.id}`,
    label: d.title,
    description: d.detail,
    tooltip: [d.title, d.detail, evidence ? `evidence: ${evidence}` : '', d.chart ? `Click to show the "${d.chart}" chart in the panel.` : '']
      .filter(Boolean)
      .join('\n'),
    icon: SEVERITY_ICONS[d.severity],
    contextValue: ['diagnostic', d.severity, d.chart ? 'chart' : ''].filter(Boolean).join(' '),
    command: d.chart || d.layer !== undefined ? { command: 'rnnDebugger.diagnostics.reveal', title: 'Show Evidence in Panel', arguments: [args] } : undefined,
  };
}

/**
 * The Diagnostics view's row for the frame selected in the Call Stack: how much gradient reaches
 * timestep t of the paused step's sample (‖∂L/∂h_t‖, ‖∂L/∂c_t‖, the reach from τ as a fraction
 * of its peak at lag τ − t) and the Jacobian's largest singular value there. Undefined when the
 * sample has no such layer or timestep.
 */
export function timestepItem(runId: string, paused: PausedAt & { snapshot: TraceSnapshot }, layer: number, input: string): ItemSpec | undefined {
  const { snapshot: snap, t } = paused;
  const L = snap.layers.find((l) => l.layer === layer);
  if (!L || t === null || t < 0 || t >= snap.steps) return undefined;
  const tau = snap.reachFrom;
  const parts = [`‖∂L/∂h_t‖ ${fmtEvidence(L.dhNorm[t])}`];
  if (L.dcNorm) parts.push(`‖∂L/∂c_t‖ ${fmtEvidence(L.dcNorm[t])}`);
  if (t <= tau) {
    const peak = summariseReach(L.reachH, tau).peak;
    parts.push(peak > 0 ? `reach from τ = ${tau} is ${fmtEvidence(L.reachH[t] / peak)} of its peak (lag ${tau - t})` : `no gradient from τ = ${tau}`);
  } else {
    parts.push(`after τ = ${tau}: no reach from τ`);
  }
  if (L.jacobianSigma) parts.push(`σmax ${fmtEvidence(L.jacobianSigma[t])}`);
  const args: RevealArgs = { runId, chart: 'reach', layer };
  return {
    id: `frame:${runId}:${paused.step}:${layer}:${t}`,
    label: `t = ${t} ${input}`,
    description: parts.join(' · '),
    tooltip: [`t = ${t} ${input}: the selected frame, timestep ${t} of the sample traced at step ${paused.step} (layer ${layer}).`, ...parts, 'Click to show the gradient reach chart in the panel.'].join('\n'),
    icon: { id: 'debug-stackframe', color: 'debugIcon.breakpointCurrentStackframeForeground' },
    contextValue: 'frame',
    command: { command: 'rnnDebugger.diagnostics.reveal', title: 'Show Evidence in Panel', arguments: [args] },
  };
}

export type UnitRankMode = 'variance' | 'saturation' | 'relevance';

export const RANK_MODES: { mode: UnitRankMode; label: string; detail: string }[] = [
  { mode: 'variance', label: 'Variance', detail: 'units whose value changes most over the text (the latest trace)' },
  { mode: 'saturation', label: 'Saturation', detail: 'units whose gates sit most often below 0.1 or above 0.9' },
  { mode: 'relevance', label: 'Relevance to the selection', detail: 'units on inside the selected text and off around it (Find Units Active Here)' },
];

/** Arguments of the unit selection command. */
export interface UnitArgs {
  runId: string;
  layer: number;
  unit: number;
}

/** A unit ranked by variance or saturation: "unit 12", "var 0.1234". */
export function unitItem(runId: string, layer: number, s: UnitScore, rank: number, selected: boolean): ItemSpec {
  return unitSpec(runId, layer, s.unit, s.detail, `#${rank + 1} by score ${fmtEvidence(s.score)}: ${s.detail}`, selected);
}

/** A unit ranked for a selection: "unit 12", "on 100% inside · 0% around". */
export function relevanceItem(runId: string, layer: number, s: UnitRangeScore, rank: number, selected: boolean, quantity: string): ItemSpec {
  const sign = s.polarity > 0 ? '' : ' (negative)';
  const desc = `on${sign} ${Math.round(100 * s.insideOn)}% inside · ${Math.round(100 * s.outsideOn)}% around`;
  const tip =
    `#${rank + 1}: score ${s.score.toFixed(2)} = ${Math.round(100 * s.insideOn)}% of the selected characters on − ${Math.round(100 * s.outsideOn)}% around.\n` +
    `mean ${quantity}${sign ? ' × −1' : ''}: ${s.insideMean.toFixed(4)} inside, ${s.outsideMean.toFixed(4)} around.`;
  return unitSpec(runId, layer, s.unit, desc, tip, selected);
}

function unitSpec(runId: string, layer: number, unit: number, description: string, tooltip: string, selected: boolean): ItemSpec {
  const args: UnitArgs = { runId, layer, unit };
  return {
    id: `unit:${runId}:${layer}:${unit}`,
    label: `unit ${unit}`,
    description,
    tooltip,
    icon: selected ? { id: 'circle-filled', color: 'charts.orange' } : { id: 'circle-outline' },
    contextValue: selected ? 'unit selected' : 'unit',
    command: { command: 'rnnDebugger.units.select', title: 'Select Unit', arguments: [args] },
  };
}

/** Runs newest first: the one the user just started is at the top. */
export function sortRuns(runs: RunStatus[]): RunStatus[] {
  return [...runs].sort((a, b) => b.startedAt - a.startedAt || a.id.localeCompare(b.id));
}

/** The Units view for one mode: items best first (at most `limit`), and a line saying what they are ranked by. */
export function unitItems(opts: {
  mode: UnitRankMode;
  runId: string;
  layer: number;
  /** The inspector's quantity; gradient norms are not per unit, so c (LSTM) or h is ranked instead. */
  quantity: string;
  snapshot: TraceSnapshot | undefined;
  relevance: { runId: string; layer: number; quantity: string; threshold: number; steps: [number, number]; scores: UnitRangeScore[] } | undefined;
  selectedUnit: number;
  limit?: number;
  /**
   * The debugger's position when it holds this run (`snapshot` is then the paused step's): with a
   * timestep frame selected, the variance ranking becomes |value at t| (the units most active there).
   */
  paused?: PausedAt;
}): { items: ItemSpec[]; message: string } {
  const limit = opts.limit ?? 64;
  const { runId, layer, snapshot } = opts;
  if (opts.mode === 'relevance') {
    const r = opts.relevance;
    if (!r || r.runId !== runId) return { items: [], message: 'Select text in an inspected editor and run "Find Units Active Here".' };
    return {
      items: r.scores.slice(0, limit).map((s, k) => relevanceItem(runId, r.layer, s, k, s.unit === opts.selectedUnit, r.quantity)),
      message: `Relevance to t = ${r.steps[0]} … ${r.steps[1] - 1}: |${r.quantity}| ≥ ${r.threshold} inside vs around · layer ${r.layer}`,
    };
  }
  const L = snapshot?.layers.find((l) => l.layer === layer);
  if (!snapshot || !L) return { items: [], message: 'No trace snapshot of this run yet.' };
  let scores: UnitScore[];
  let what: string;
  let atT: number | null = null;
  if (opts.mode === 'saturation') {
    if (Object.keys(L.saturation).length === 0) return { items: [], message: 'This cell has no sigmoid gates to saturate.' };
    scores = rankBySaturation(L);
    what = 'gate saturation (fraction of steps < 0.1 or > 0.9)';
  } else {
    const perUnit = opts.quantity !== 'dcNorm' && opts.quantity !== 'dhNorm';
    const state = L.values.c ? 'c' : 'h';
    const values = (q: string) => (q === 'dh' ? L.dh : q === 'dc' ? L.dc : L.values[q]);
    // The inspector's quantity may be one this cell does not have (c or o on a GRU): rank its
    // state instead, and say so.
    const asked = perUnit ? opts.quantity : state;
    const q = values(asked) ? asked : state;
    const m = values(q);
    if (!m) return { items: [], message: `The trace has no ${q}.` };
    const noSuch = q !== asked ? ` (this cell has no ${asked})` : '';
    const t = opts.paused?.t ?? null;
    if (t !== null && t >= 0 && t < snapshot.steps) {
      scores = topUnitsAt(m, L.units, t, L.units).map((x) => ({ unit: x.unit, score: Math.abs(x.value), detail: `${q} = ${fmtEvidence(x.value)} at t = ${t}` }));
      what = `|${q}| at t = ${t}, the selected frame${noSuch}`;
      atT = t;
    } else {
      scores = rankByVariance(m, L.units);
      what = `variance of ${q} over time${noSuch}`;
    }
  }
  const at = opts.paused ? `the debugger's ${pausedText({ step: snapshot.step, t: atT })}` : `snapshot at step ${snapshot.step}`;
  return {
    items: scores.slice(0, limit).map((s, k) => unitItem(runId, layer, s, k, s.unit === opts.selectedUnit)),
    message: `By ${what} · layer ${layer} · ${at}`,
  };
}
