// The curves of the selected snapshot of one or two runs: per-timestep gradient norms, gradient
// reach against the lag, the running product of f beside the measured gradient, Jacobian spectra
// over t and over the lag, and the gate saturation scatter.

import { GATE_ORDER, hasCellState } from '../../src/protocol/spec';
import { forgetProduct, REACH_THRESHOLD, reachByLag, summariseReach } from '../../src/core/analysis/gradientReach';
import { line, markers, positive, type LineDataset } from '../charts';
import { fmt, pts, range } from '../dom';
import type { Point } from '../logic/downsample';
import { LOG_FLOOR, onLogAxis, tickLabel } from '../logic/logTicks';
import type { PanelState } from '../state';
import type { Curves } from './curves';

export function renderSnapshotCurves(curves: Curves, state: PanelState): void {
  const runs = state.shownRuns();
  const theme = curves.currentTheme;
  const two = runs.length > 1;
  const sel = state.selection;
  const sets: Record<'gradT' | 'reach' | 'forgetProduct' | 'jacobianT' | 'jacobianLag' | 'saturation', LineDataset[]> =
    { gradT: [], reach: [], forgetProduct: [], jacobianT: [], jacobianLag: [], saturation: [] };
  curves.setLegendByRun(runs.map((r) => r.status.name));
  const notes: Record<string, string[]> = { reach: [], forgetProduct: [], jacobianT: [], jacobianLag: [], saturation: [], gradT: [] };
  runs.forEach((run, k) => {
    const snap = state.snapshotOf(run);
    const layer = snap?.layers.find((l) => l.layer === sel.layer) ?? snap?.layers[0];
    if (!snap || !layer) return;
    const tag = two ? `${run.status.name} · ` : '';
    const pen = (i: number): [string, number[]] => { const p = curves.pen(k, i, two); return [p.colour, p.dash]; };
    const T = snap.steps, tau = snap.reachFrom;
    const ts = range(T);
    // Per-timestep gradient norms (lecture §1–2), log axis.
    if (layer.dcNorm) sets.gradT.push(line(`${tag}‖∂L/∂c_t‖`, positive(pts(ts, layer.dcNorm)), ...pen(0)));
    sets.gradT.push(line(`${tag}‖∂L/∂h_t‖`, positive(pts(ts, layer.dhNorm)), ...pen(3)));
    // Gradient reach against the lag, with the lag where it falls below 1e-3 of its peak.
    const reaches: [string, Float32Array | undefined, number][] = [['c', layer.reachC, 0], ['h', layer.reachH, 3]];
    for (const [which, reach, colour] of reaches) {
      if (!reach) continue;
      const byLag = reachByLag(reach, tau);
      sets.reach.push(line(`${tag}‖∂ℓ_τ/∂${which}_t‖`, positive(pts(range(tau + 1), byLag)), ...pen(colour)));
      const r = summariseReach(reach, tau);
      if (r.peak > 0) {
        const floor = r.peak * REACH_THRESHOLD;
        if (r.lag !== null) {
          sets.reach.push(line(`${tag}${which}: below 1e-3 of peak at lag ${r.lag}`, [{ x: r.lag, y: floor * 0.1 }, { x: r.lag, y: r.peak }], pen(colour)[0], true, 1));
          notes.reach.push(`${tag}‖∂ℓ_τ/∂${which}_t‖ falls below 1e-3 of its peak at lag ${r.lag} (τ = ${tau})`);
        } else notes.reach.push(`${tag}‖∂ℓ_τ/∂${which}_t‖ stays above 1e-3 of its peak back to t = 0 (lag ${tau}: ${fmt(r.ratioAtMaxLag)} of peak)`);
      }
    }
    // ∂c_τ/∂c_t = ∏ f_k beside the measured reach (both 1 at t = τ).
    const f = layer.values.f;
    if (f && hasCellState(snap.cell)) {
      const unit = Math.min(sel.unit, layer.units - 1);
      // ∏f underflows for a shut gate: values below float range are drawn at the floor and said so.
      const one = onLogAxis(pts(ts, forgetProduct(f, T, layer.units, tau, unit)), true);
      const mean = onLogAxis(pts(ts, forgetProduct(f, T, layer.units, tau, 'mean')), true);
      sets.forgetProduct.push(line(`${tag}∏f, unit ${unit}`, one.points, ...pen(2)));
      sets.forgetProduct.push(line(`${tag}∏f, mean over units`, mean.points, ...pen(4)));
      if (one.floored || mean.floored) notes.forgetProduct.push(`${tag}${one.floored + mean.floored} values of ∏f are below float range (< ${tickLabel(LOG_FLOOR)}) and drawn at ${tickLabel(LOG_FLOOR)}`);
      if (layer.reachC && layer.reachC[tau] > 0) {
        const at = layer.reachC[tau];
        sets.forgetProduct.push(line(`${tag}measured ‖∂ℓ_τ/∂c_t‖ ÷ value at τ`, positive(pts(ts, Float64Array.from(layer.reachC, (v, t) => (t <= tau ? v / at : NaN)))), ...pen(0)));
      }
      if (layer.dc) {
        const H = layer.units, dc = layer.dc;
        const mag = Float64Array.from({ length: T }, (_, t) => Math.abs(dc[t * H + unit]));
        const top = Math.max(...mag.filter(Number.isFinite));
        if (top > 0) sets.forgetProduct.push(line(`${tag}|∂L/∂c_t| unit ${unit} ÷ max`, positive(pts(ts, mag.map((v) => v / top))), ...pen(1), 1));
      }
      notes.forgetProduct.push(`${tag}τ = ${tau}; ∏f is the direct cell path only (∂c_t/∂c_{t-1} = diag(f_t) along c alone); the measured reach also counts the paths through h`);
    } else notes.forgetProduct.push(`${tag}${snap.cell} has no forget gate on a cell state`);
    // Jacobian spectra.
    if (layer.jacobianSigma) {
      sets.jacobianT.push(line(`${tag}σ_max(J_t)`, positive(pts(ts, layer.jacobianSigma)), ...pen(0)));
      if (k === 0) sets.jacobianT.push(line('1.0', [{ x: 0, y: 1 }, { x: Math.max(1, T - 1), y: 1 }], theme.muted, true, 1));
    } else notes.jacobianT.push(`${tag}not recorded (trace.jacobian is off)`);
    if (layer.jacobianLagSigma && layer.jacobianLags) {
      const lags = [...layer.jacobianLags];
      sets.jacobianLag.push(line(`${tag}σ_max(J_τ⋯J_{τ-k+1})`, positive(pts(lags, layer.jacobianLagSigma)), ...pen(1)));
      if (k === 0 && lags.length) sets.jacobianLag.push(line('1.0', [{ x: Math.min(...lags), y: 1 }, { x: Math.max(...lags), y: 1 }], theme.muted, true, 1));
    } else notes.jacobianLag.push(`${tag}not recorded (trace.jacobian is off)`);
    // Saturation scatter: one point per unit and gate.
    const styles = ['circle', 'triangle'] as const;
    GATE_ORDER[snap.cell].forEach((g, gi) => {
      const s = layer.saturation[g];
      if (!s) return;
      const p: Point[] = [];
      for (let u = 0; u < layer.units; u++) p.push({ x: s.low[u], y: s.high[u] });
      sets.saturation.push(markers(`${tag}${g}`, p, curves.colour(gi), styles[k % 2], 3));
    });
    notes.saturation.push(`${tag}layer ${layer.layer}, snapshot at step ${snap.step}`);
    notes.gradT.push(`${tag}layer ${layer.layer}, snapshot at step ${snap.step}`);
  });
  for (const key of Object.keys(sets) as (keyof typeof sets)[]) {
    curves.set(key, sets[key]);
    curves.slot(key).note.textContent = notes[key].join('; ');
  }
}
