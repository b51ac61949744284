// Which layer, unit and quantity each run's text is tinted by. Each run keeps its own choice (one
// run's choice must not blank another's tint), fitted to the run's model.

import * as vscode from 'vscode';
import type { RunStore } from '../runStore';
import { quantitiesFor } from './quantities';
import type { ViewChoice } from './session';

export class ViewChoices {
  private readonly views = new Map<string, ViewChoice>();
  /** The choice while no run is current. */
  private loose: ViewChoice = { layer: 0, unit: 0, quantity: 'c' };

  constructor(private readonly store: RunStore) {}

  /** A run's choice (first time: its last selection, with a quantity its cell has). */
  of(runId: string | null): ViewChoice {
    if (!runId) return this.loose;
    let v = this.views.get(runId);
    if (!v) {
      const sel = this.store.selectionOf(runId);
      v = this.put(runId, { layer: sel.layer, unit: sel.unit, quantity: this.loose.quantity }, true);
    }
    return v;
  }

  /**
   * Stores a run's choice, fitted to the run: a quantity its cell has, layer and unit in range.
   * A layer or unit out of range is clamped and said so in the status bar, never silently.
   */
  put(runId: string | null, want: ViewChoice, quiet = false): ViewChoice {
    const run = runId ? this.store.status(runId) : undefined;
    if (!runId || !run) {
      this.loose = want;
      return want;
    }
    const m = run.spec.model;
    const qs = quantitiesFor(m.cell);
    const v: ViewChoice = {
      quantity: qs.includes(want.quantity) ? want.quantity : qs[0],
      layer: Math.max(0, Math.min(want.layer, m.layers - 1)),
      unit: Math.max(0, Math.min(want.unit, m.hiddenSize - 1)),
    };
    if (!quiet && (v.layer !== want.layer || v.unit !== want.unit)) {
      vscode.window.setStatusBarMessage(
        `RNN: run "${run.name}" has layers 0…${m.layers - 1} and units 0…${m.hiddenSize - 1}: showing layer ${v.layer}, unit ${v.unit}`,
        8000,
      );
    }
    this.views.set(runId, v);
    return v;
  }

  /** The run was removed. */
  forget(runId: string): void {
    this.views.delete(runId);
  }
}
