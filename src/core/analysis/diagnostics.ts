// Diagnostics of a run in words, each with the numbers behind it (lecture §2–4): vanishing and
// exploding gradients, saturated gates, NaNs, a loss that does not beat the task's baseline.
// Pure (no DOM, no tfjs): the panel and the sidebar both call diagnose().

import { GATE_ORDER, hasCellState } from '../../protocol/spec';
import type { LayerTrace, MetricsRecord, RunStatus, TraceSnapshot } from '../../protocol/trace';
import { REACH_THRESHOLD, summariseReach } from './gradientReach';

/** Ids of the panel's charts, for Diagnostic.chart and RevealMessage.chart. */
export const CHART_IDS = [
  'loss', 'gradNorm', 'learningRate', 'gradT', 'reach', 'forgetProduct',
  'jacobianT', 'jacobianLag', 'saturation', 'heatmaps', 'diagnostics',
] as const;
export type ChartId = (typeof CHART_IDS)[number];

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Stable id of the finding, e.g. 'vanishing', 'forget-shut:0' (per layer). */
  id: string;
  severity: Severity;
  /** A short headline. */
  title: string;
  /** A sentence in words with the numbers behind it. */
  detail: string;
  /** The panel chart that shows the evidence. */
  chart?: ChartId;
  /** Layer the finding is about, when it is about one. */
  layer?: number;
  /** Units the finding is about (e.g. the saturated forget gates), at most 32. */
  units?: number[];
  /** The numbers, by name. */
  evidence: Record<string, number>;
}

export interface DiagnoseInput {
  status: RunStatus;
  metrics: MetricsRecord[];
  snapshots: TraceSnapshot[];
}

/** Fraction of timesteps a forget gate must spend below 0.1 to count as "shut". */
export const FORGET_SHUT_FRACTION = 0.5;
/** Fraction of steps with clipping above which gradients are called exploding. */
export const CLIP_WARN_FRACTION = 0.2;

const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(1) : Number(x.toPrecision(3)).toString();
};
const pct = (x: number): string => `${Number((x * 100).toPrecision(3))} %`;

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Findings about a run, most severe first. */
export function diagnose(run: DiagnoseInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { status, metrics, snapshots } = run;

  // --- failure / NaN -----------------------------------------------------------------------
  const firstNonFinite = metrics.find((m) => !Number.isFinite(m.loss) || !Number.isFinite(m.gradNorm));
  const reasonNaN = status.state === 'failed' && status.reason !== undefined && /nan|inf/i.test(status.reason);
  if (firstNonFinite || reasonNaN) {
    const fromReason = status.reason?.match(/step\s+(\d+)/i);
    const step = firstNonFinite?.step ?? (fromReason ? Number(fromReason[1]) : status.step);
    out.push({
      id: 'nan', severity: 'error', title: `NaN at step ${step}`,
      detail: `The ${firstNonFinite && !Number.isFinite(firstNonFinite.loss) ? 'loss' : 'gradient'} became non-finite at step ${step}` +
        `${status.reason ? ` (${status.reason})` : ''}. Lower the learning rate or clip the gradient norm.`,
      chart: 'loss', evidence: { step },
    });
  } else if (status.state === 'failed') {
    out.push({ id: 'failed', severity: 'error', title: 'Run failed', detail: status.reason ?? 'The trainer stopped without a reason.', evidence: { step: status.step } });
  }

  // --- exploding: clipping frequency and gradient-norm growth ----------------------------
  const finite = metrics.filter((m) => Number.isFinite(m.gradNorm));
  if (finite.length >= 10) {
    const clipped = finite.filter((m) => m.clipped).length;
    const frac = clipped / finite.length;
    const tenth = Math.max(1, Math.floor(finite.length / 10));
    const early = median(finite.slice(0, tenth).map((m) => m.gradNorm));
    const late = median(finite.slice(-tenth).map((m) => m.gradNorm));
    const growth = early > 0 ? late / early : NaN;
    if (frac > CLIP_WARN_FRACTION || growth > 10) {
      const parts = [];
      if (clipped > 0) parts.push(`clipping fired in ${pct(frac)} of steps (${clipped} of ${finite.length})`);
      if (growth > 10) parts.push(`the gradient norm grew ${fmt(growth)}× (median ${fmt(early)} in the first tenth, ${fmt(late)} in the last)`);
      out.push({
        id: 'exploding', severity: 'warning', title: 'Exploding gradients',
        detail: `${parts.join('; ')}. Clipping keeps the step bounded; a lower learning rate may train better.`,
        chart: 'gradNorm', evidence: { clipFraction: frac, clippedSteps: clipped, steps: finite.length, growth, earlyGradNorm: early, lateGradNorm: late },
      });
    } else if (clipped > 0) {
      out.push({
        id: 'clipping', severity: 'info', title: 'Clipping fired occasionally',
        detail: `Clipping fired in ${pct(frac)} of steps (${clipped} of ${finite.length}).`,
        chart: 'gradNorm', evidence: { clipFraction: frac, clippedSteps: clipped, steps: finite.length },
      });
    }
  }

  // --- loss vs the task's analytic baseline ----------------------------------------------
  if (status.baseline !== undefined && metrics.length >= 20) {
    const tail = metrics.slice(-Math.max(1, Math.floor(metrics.length / 10)));
    const recent = median(tail.map((m) => m.valLoss ?? m.loss));
    const n = metrics[metrics.length - 1].step;
    if (!(recent < status.baseline)) {
      out.push({
        id: 'above-baseline', severity: 'warning', title: 'Loss not below the baseline',
        detail: `After ${n} steps the recent loss is ${fmt(recent)}, not below the task's baseline ${fmt(status.baseline)} ` +
          '(what predicting without memory achieves): the model has not learned the long-range dependency yet.',
        chart: 'loss', evidence: { step: n, loss: recent, baseline: status.baseline },
      });
    } else {
      out.push({
        id: 'below-baseline', severity: 'info', title: 'Loss below the baseline',
        detail: `After ${n} steps the recent loss is ${fmt(recent)}, ${pct(1 - recent / status.baseline)} below the baseline ${fmt(status.baseline)}.`,
        chart: 'loss', evidence: { step: n, loss: recent, baseline: status.baseline },
      });
    }
  }

  // --- the latest snapshot: reach, gates, Jacobians ---------------------------------------
  const snap = snapshots[snapshots.length - 1];
  if (snap) for (const layer of snap.layers) out.push(...diagnoseLayer(snap, layer));

  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return out.map((d) => forTask(d, status)).sort((a, b) => rank[a.severity] - rank[b.severity]);
}

/**
 * Next-value regression (CSV) is predicted from the recent past: a reach that fades after some
 * lag is expected there, not an alarm (said as information, with the same numbers), and its
 * baseline is repeating the last value, not a memoryless guess.
 */
function forTask(d: Diagnostic, status: RunStatus): Diagnostic {
  if (status.spec.data.kind !== 'csv') return d;
  if (d.id === 'above-baseline' || d.id === 'below-baseline') {
    return { ...d, detail: d.detail.replace("the task's baseline", 'the baseline').replace(/\(what predicting without memory achieves\): the model has not learned the long-range dependency yet/, '(what repeating the last value achieves): the model predicts the next value no better than that').replace(/\.$/, d.id === 'below-baseline' ? ' (the baseline repeats the last value).' : '.') };
  }
  if (!d.id.startsWith('vanishing:')) return d;
  return {
    ...d, severity: 'info', title: `Gradient reaches back about ${d.evidence.lag} steps`,
    detail: d.detail.replace('Dependencies longer than that cannot be learned.',
      'Predicting the next value needs the recent past only; this matters if the series depends on values further back than that.'),
  };
}

/** Findings from one layer of a snapshot. */
export function diagnoseLayer(snap: TraceSnapshot, layer: LayerTrace): Diagnostic[] {
  const out: Diagnostic[] = [];
  const L = layer.layer;
  const where = `layer ${L}, snapshot at step ${snap.step}`;
  const tau = snap.reachFrom;

  const useC = hasCellState(snap.cell) && layer.reachC !== undefined;
  const reach = useC ? layer.reachC! : layer.reachH;
  if (tau > 0) {
    const r = summariseReach(reach, tau);
    const sym = useC ? '‖∂ℓ_τ/∂c_t‖' : '‖∂ℓ_τ/∂h_t‖';
    if (r.peak === 0) {
      out.push({ id: `no-gradient:${L}`, severity: 'warning', title: 'No gradient reaches the traced step', detail: `${sym} is 0 everywhere (${where}).`, chart: 'reach', layer: L, evidence: { tau } });
    } else if (r.lag !== null) {
      out.push({
        id: `vanishing:${L}`, severity: 'warning', title: `Vanishing gradient beyond lag ${r.lag}`,
        detail: `${sym} falls below ${fmt(REACH_THRESHOLD)} of its peak at lag ${r.lag} (τ = ${tau}); at lag ${tau} it is ${fmt(r.ratioAtMaxLag)} of its peak (${where}). ` +
          'Dependencies longer than that cannot be learned.',
        chart: 'reach', layer: L, evidence: { lag: r.lag, tau, peak: r.peak, ratioAtMaxLag: r.ratioAtMaxLag },
      });
    } else {
      out.push({
        id: `reach:${L}`, severity: 'info', title: 'Gradient reaches the first step',
        detail: `${sym} at lag ${tau} (the first step) is still ${fmt(r.ratioAtMaxLag)} of its peak (${where}).`,
        chart: 'reach', layer: L, evidence: { tau, peak: r.peak, ratioAtMaxLag: r.ratioAtMaxLag },
      });
    }
  }

  const gates = GATE_ORDER[snap.cell].filter((g) => g !== 'g' && g !== 'n' && g !== 'a');
  const f = layer.saturation.f;
  if (hasCellState(snap.cell) && f) {
    const shut: number[] = [];
    for (let u = 0; u < layer.units; u++) if (f.low[u] > FORGET_SHUT_FRACTION) shut.push(u);
    if (shut.length) {
      const frac = shut.length / layer.units;
      out.push({
        id: `forget-shut:${L}`, severity: frac >= 0.25 ? 'warning' : 'info',
        title: `Forget gates shut in ${shut.length} unit${shut.length > 1 ? 's' : ''}`,
        detail: `${shut.length} of ${layer.units} units (${pct(frac)}) have f < 0.1 for more than ${pct(FORGET_SHUT_FRACTION)} of the timesteps (${where}): ` +
          'their cell state is wiped every step and ∏f_t sends no gradient back. A forget bias of 1 or chrono init helps.',
        chart: 'saturation', layer: L, units: shut.slice(0, 32), evidence: { units: shut.length, of: layer.units, fraction: frac },
      });
    }
  }
  for (const g of gates) {
    const s = layer.saturation[g];
    if (!s) continue;
    const sat: number[] = [];
    for (let u = 0; u < layer.units; u++) if (s.low[u] + s.high[u] > 0.9) sat.push(u);
    if (sat.length / layer.units >= 0.5) {
      out.push({
        id: `saturated:${g}:${L}`, severity: 'info', title: `Gate ${g} saturated in ${sat.length} units`,
        detail: `${sat.length} of ${layer.units} units have ${g} below 0.1 or above 0.9 for more than 90 % of the timesteps (${where}); ` +
          'saturated sigmoids pass almost no gradient to their weights.',
        chart: 'saturation', layer: L, units: sat.slice(0, 32), evidence: { units: sat.length, of: layer.units },
      });
    }
  }

  // Jacobians: one step's σ_max > 1 says only that some direction grows over that one step;
  // whether gradients grow over many steps is what the lag products (and the reach) measure, so
  // the finding is worded from the longest measured product when there is one.
  if (layer.jacobianSigma && layer.jacobianSigma.length) {
    const xs = [...layer.jacobianSigma].filter(Number.isFinite);
    const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const above = xs.filter((x) => x > 1).length / Math.max(1, xs.length);
    const stepWords = `σ_max of one step's Jacobian ∂(h_t,c_t)/∂(h_{t-1},c_{t-1}) averages ${fmt(mean)} and exceeds 1 at ${pct(above)} of the timesteps`;
    const lags = layer.jacobianLags, lagSigma = layer.jacobianLagSigma;
    const last = lags && lagSigma ? Math.min(lags.length, lagSigma.length) - 1 : -1;
    const K = last >= 0 ? lags![last] : 0;
    if (K >= 2) {
      const pK = lagSigma![last];
      const perStep = pK > 0 && Number.isFinite(pK) ? pK ** (1 / K) : pK;
      const evidence = { meanSigma: mean, fractionAboveOne: above, lag: K, productSigma: pK, perStepSigma: perStep };
      if (pK > 1) {
        out.push({
          id: `jacobian-expanding:${L}`, severity: 'warning', title: `Jacobian product expands over ${K} steps`,
          detail: `σ_max of the product of the step Jacobians over the last ${K} steps is ${fmt(pK)} > 1 (≈ ${fmt(perStep)} per step; ${where}): ` +
            `a perturbation of the state ${K} steps back along its top direction is amplified, so gradients along it can grow. ${stepWords}.`,
          chart: 'jacobianLag', layer: L, evidence,
        });
      } else {
        out.push({
          id: `jacobian-contracting:${L}`, severity: 'info', title: `Jacobian product contracts over ${K} steps`,
          detail: `σ_max of the product of the step Jacobians over the last ${K} steps is ${fmt(pK)} (≈ ${fmt(perStep)} per step; ${where}): no direction of the state survives ${K} steps undamped` +
            (above > 0.5 ? `, although ${stepWords}: single steps expand some direction, their products do not.` : `. ${stepWords}.`),
          chart: 'jacobianLag', layer: L, evidence,
        });
      }
    } else {
      out.push({
        id: `jacobian-step:${L}`, severity: 'info', title: 'Step Jacobian',
        detail: `${stepWords} (${where}). One step's σ_max bounds that step only; without lag products (trace.jacobian records them) it does not say whether products over many steps grow or shrink.`,
        chart: 'jacobianT', layer: L, evidence: { meanSigma: mean, fractionAboveOne: above },
      });
    }
    if (layer.jacobianUnconverged) {
      out.push({
        id: `jacobian-unconverged:${L}`, severity: 'info', title: 'Some Jacobian σ_max values are approximate',
        detail: `${layer.jacobianUnconverged} of the Jacobian σ_max values did not reach the iteration tolerance (${where}): they are lower bounds.`,
        chart: 'jacobianT', layer: L, evidence: { unconverged: layer.jacobianUnconverged },
      });
    }
  }
  return out;
}
