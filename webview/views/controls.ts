// The sticky controls bar: layer, unit, unit order, the snapshot scrubber, "follow latest", and a
// note when a choice made on another run does not fit this one (clamped, and said so).

import type { Selection } from '../../src/protocol/webview';
import { div, labelled, span } from '../dom';
import { UNIT_ORDERS, type UnitOrder } from '../logic/unitOrder';
import type { PanelState } from '../state';

export class Controls {
  readonly element = div('controls');
  private readonly layerSelect = document.createElement('select');
  private readonly unitInput = document.createElement('input');
  private readonly orderSelect = document.createElement('select');
  private readonly scrubber = document.createElement('input');
  private readonly follow = document.createElement('input');
  private readonly stepLabel = span('step-label');
  private readonly clampNote = span('clamp-note');
  /** The user is typing a unit not yet committed (no change event yet): redraws leave the field alone. */
  private typingUnit = false;

  /**
   * `embedded`: a finished report, where nothing arrives to follow. `select` receives the user's
   * choices; `steps` lists the primary run's snapshot steps; `order` a new unit order.
   */
  constructor(embedded: boolean, handlers: { select(part: Partial<Selection>): void; steps(): number[]; order(o: UnitOrder): void }) {
    this.unitInput.type = 'number'; this.unitInput.min = '0'; this.unitInput.value = '0';
    for (const o of UNIT_ORDERS) this.orderSelect.append(new Option(`order: ${o}`, o));
    this.scrubber.type = 'range'; this.scrubber.min = '0'; this.scrubber.max = '0'; this.scrubber.value = '0';
    this.scrubber.className = 'scrubber';
    this.follow.type = 'checkbox'; this.follow.checked = true;
    const follow = embedded ? [] : [labelled('follow latest', this.follow)];
    this.element.append(labelled('Layer', this.layerSelect), labelled('Unit', this.unitInput), this.orderSelect,
      labelled('Snapshot', this.scrubber), this.stepLabel, ...follow, this.clampNote);

    this.layerSelect.addEventListener('change', () => handlers.select({ layer: Number(this.layerSelect.value) }));
    this.unitInput.addEventListener('input', () => { this.typingUnit = true; });
    this.unitInput.addEventListener('blur', () => { this.typingUnit = false; });
    this.unitInput.addEventListener('change', () => {
      this.typingUnit = false;
      handlers.select({ unit: Math.max(0, Math.floor(Number(this.unitInput.value) || 0)) });
    });
    this.orderSelect.addEventListener('change', () => handlers.order(this.orderSelect.value as UnitOrder));
    this.scrubber.addEventListener('input', () => {
      const step = handlers.steps()[Number(this.scrubber.value)];
      if (step !== undefined) handlers.select({ step });
    });
    this.follow.addEventListener('change', () => {
      const steps = handlers.steps();
      handlers.select({ step: this.follow.checked ? null : steps[steps.length - 1] ?? null });
    });
  }

  render(state: PanelState): void {
    const run = state.shownRuns()[0];
    const snap = run ? state.snapshotOf(run) : undefined;
    const sel = state.selection;
    const layers = snap?.layers.map((l) => l.layer) ?? [];
    if (this.layerSelect.options.length !== layers.length) {
      this.layerSelect.replaceChildren(...layers.map((l) => new Option(String(l), String(l))));
    }
    // A choice this run does not have (made on another run) is clamped here, and said so.
    const layer = layers.includes(sel.layer) ? sel.layer : layers[0];
    const units = snap?.layers.find((l) => l.layer === layer)?.units ?? 0;
    const unit = units ? Math.min(sel.unit, units - 1) : sel.unit;
    this.layerSelect.value = String(layer ?? sel.layer);
    this.unitInput.max = String(Math.max(0, units - 1));
    // A live run redraws every frame: what the user is typing must not be overwritten by it.
    if (!this.typingUnit) this.unitInput.value = String(unit);
    const clamped: string[] = [];
    if (layer !== undefined && layer !== sel.layer) clamped.push(`layer ${sel.layer} is not in this run: showing layer ${layer}`);
    if (unit !== sel.unit) clamped.push(`unit ${sel.unit} is beyond this run's ${units} units: showing unit ${unit}`);
    this.clampNote.textContent = clamped.join('; ');
    const steps = run ? run.snapshots.map((s) => s.step) : [];
    this.scrubber.max = String(Math.max(0, steps.length - 1));
    this.scrubber.disabled = steps.length < 2;
    this.scrubber.value = String(snap ? steps.indexOf(snap.step) : 0);
    this.follow.checked = sel.step === null;
    this.stepLabel.textContent = snap ? `step ${snap.step} (${steps.length} snapshot${steps.length === 1 ? '' : 's'})` : 'no snapshot yet';
  }
}
