// Sidebar tree items built from run statuses, diagnostics and unit rankings: stable ids and
// labels, words and numbers a user reads, and the context values the menus match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../../../src/core/analysis/diagnostics';
import type { MetricsRecord, RunStatus } from '../../../src/protocol/trace';
import { diagnosticItem, runIdOf, runItem, sortRuns, startedText, timestepItem, unitItems } from '../../../src/extension/sidebar/items';
import { fakeTrace } from './fixtures';

function status(over: Partial<RunStatus> = {}): RunStatus {
  return {
    id: 'r1',
    name: 'lstm on sample.txt',
    state: 'running',
    step: 120,
    backend: 'wasm',
    startedAt: 1000,
    updatedAt: 2000,
    spec: {
      data: { kind: 'text', path: 'sample.txt' },
      model: { cell: 'lstm', hiddenSize: 32, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false, cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh' },
      train: { optimizer: 'adam', learningRate: 0.01, batchSize: 8, seqLength: 50, steps: 500, clipNorm: 1, carryState: true, validationFraction: 0.1, validateEvery: 50 },
      trace: { samples: [0], every: 20, reachFrom: -1, jacobian: false },
      backend: 'auto',
      seed: 1,
    },
    ...over,
  };
}
const metric: MetricsRecord = { step: 120, loss: 1.234567, gradNorm: 0.5, gradNormClipped: 0.5, clipped: false, learningRate: 0.01, groupNorms: {}, seconds: 0.1, time: 0 };

test('a live text run: state, step, loss and backend in the row; stop and inspect actions offered', () => {
  const it = runItem(status(), metric);
  assert.equal(it.id, 'run:r1');
  assert.equal(it.label, 'lstm on sample.txt');
  assert.equal(it.description, `running · step 120/500 · loss 1.2346 · wasm · ${startedText(1000)}`);
  assert.deepEqual(it.contextValue?.split(' '), ['run', 'live', 'text']);
  assert.equal(it.icon?.id, 'sync~spin');
  assert.deepEqual(it.command?.arguments, ['r1']);
  assert.equal(it.command?.command, 'rnnDebugger.runs.showPanel');
  assert.match(it.tooltip ?? '', /lstm · 1 layer × 32 units · adam lr 0\.01 · clip 1/);
});

test('ended runs: no stop action; failed shows the reason; synthetic tasks cannot be inspected', () => {
  const failed = runItem(status({ state: 'failed', reason: 'loss became NaN at step 7' }));
  assert.equal(failed.icon?.id, 'error');
  assert.doesNotMatch(failed.contextValue ?? '', /\blive\b/);
  assert.match(failed.tooltip ?? '', /reason: loss became NaN at step 7/);
  const adding = runItem(status({ state: 'completed', spec: { ...status().spec, data: { kind: 'adding', length: 100 } } }));
  assert.deepEqual(adding.contextValue?.split(' '), ['run', 'ended']);
  assert.match(adding.tooltip ?? '', /data: adding T = 100/);
  assert.equal(adding.description, `completed · step 120/500 · wasm · ${startedText(1000)}`, 'no loss shown when no metrics are known');
});

test('runs are listed newest first', () => {
  const a = status({ id: 'a', startedAt: 1 });
  const b = status({ id: 'b', startedAt: 3 });
  const c = status({ id: 'c', startedAt: 2 });
  assert.deepEqual(sortRuns([a, b, c]).map((s) => s.id), ['b', 'c', 'a']);
});

test('a diagnostic: headline, sentence with numbers, severity icon, reveal of its chart', () => {
  const d: Diagnostic = {
    id: 'vanishing:0',
    severity: 'warning',
    title: 'Vanishing gradient beyond lag 12',
    detail: '‖∂ℓ_τ/∂c_t‖ falls below 0.001 of its peak at lag 12 (τ = 49).',
    chart: 'reach',
    layer: 0,
    evidence: { lag: 12, tau: 49, peak: 0.0123456 },
  };
  const it = diagnosticItem('r1', d);
  assert.equal(it.id, 'diag:r1:vanishing:0');
  assert.equal(it.label, 'Vanishing gradient beyond lag 12');
  assert.equal(it.description, d.detail);
  assert.equal(it.icon?.id, 'warning');
  assert.match(it.tooltip ?? '', /evidence: lag = 12, tau = 49, peak = 0\.01235/);
  assert.equal(it.command?.command, 'rnnDebugger.diagnostics.reveal');
  assert.deepEqual(it.command?.arguments, [{ runId: 'r1', chart: 'reach', layer: 0, unit: undefined }]);
  assert.match(it.contextValue ?? '', /\bchart\b/);
  const noChart = diagnosticItem('r1', { id: 'failed', severity: 'error', title: 'Run failed', detail: 'x', evidence: {} });
  assert.equal(noChart.command, undefined);
});

test('Units view by variance: all units of the layer, best first, selected unit marked', () => {
  const snap = fakeTrace('some text to rank units over', 6);
  const { items, message } = unitItems({ mode: 'variance', runId: 'r1', layer: 0, quantity: 'c', snapshot: snap, relevance: undefined, selectedUnit: 2 });
  assert.equal(items.length, 6);
  assert.deepEqual(new Set(items.map((i) => i.label)), new Set([0, 1, 2, 3, 4, 5].map((u) => `unit ${u}`)));
  const vars = items.map((i) => Number(/var (\S+)/.exec(i.description ?? '')![1]));
  for (let k = 1; k < vars.length; k++) assert.ok(vars[k] <= vars[k - 1]);
  assert.equal(items.find((i) => i.label === 'unit 2')?.icon?.id, 'circle-filled');
  assert.deepEqual(items[0].command?.arguments?.[0], { runId: 'r1', layer: 0, unit: Number(items[0].label.slice(5)) });
  assert.match(message, /variance of c over time · layer 0 · snapshot at step 40/);
  const norms = unitItems({ mode: 'variance', runId: 'r1', layer: 0, quantity: 'dcNorm', snapshot: snap, relevance: undefined, selectedUnit: 0 });
  assert.match(norms.message, /variance of c/, 'norms are not per unit: ranks c');
});

test('Units view of a GRU or vanilla RNN run ranks h when the inspector shows c (which they do not have)', () => {
  for (const cell of ['gru', 'rnn'] as const) {
    const snap = fakeTrace('some text to rank units over', 5, cell);
    for (const quantity of ['c', 'o', 'dcNorm']) {
      const { items, message } = unitItems({ mode: 'variance', runId: 'r1', layer: 0, quantity, snapshot: snap, relevance: undefined, selectedUnit: 0 });
      assert.equal(items.length, 5, `${cell}, ${quantity}: ${message}`);
      assert.match(message, /variance of h over time/);
      if (quantity !== 'dcNorm') assert.match(message, new RegExp(`this cell has no ${quantity}`));
    }
  }
});

test('Units view by relevance shows the last Find Units result of this run only', () => {
  const relevance = {
    runId: 'r1', layer: 0, quantity: 'c', threshold: 0.3, steps: [10, 20] as [number, number],
    scores: [{ unit: 4, polarity: -1 as const, score: 1, insideOn: 1, outsideOn: 0, insideMean: 0.95, outsideMean: -0.05 }],
  };
  const { items, message } = unitItems({ mode: 'relevance', runId: 'r1', layer: 0, quantity: 'c', snapshot: undefined, relevance, selectedUnit: 4 });
  assert.equal(items[0].label, 'unit 4');
  assert.equal(items[0].description, 'on (negative) 100% inside · 0% around');
  assert.match(message, /t = 10 … 19: \|c\| ≥ 0\.3/);
  assert.equal(unitItems({ mode: 'relevance', runId: 'other', layer: 0, quantity: 'c', snapshot: undefined, relevance, selectedUnit: 0 }).items.length, 0);
  assert.match(unitItems({ mode: 'saturation', runId: 'r1', layer: 0, quantity: 'c', snapshot: undefined, relevance, selectedUnit: 0 }).message, /No trace snapshot/);
});

test('a Runs row button acts on its own row: the row item names its run', () => {
  // Inline buttons and context menus of a tree row pass the row element itself.
  const a = runItem(status({ id: 'run-a' }), undefined, false);
  const b = runItem(status({ id: 'run-b' }), undefined, true);
  assert.equal(runIdOf(a), 'run-a');
  assert.equal(runIdOf(b), 'run-b');
  assert.equal(runIdOf('run-c'), 'run-c');
  assert.equal(runIdOf({ runId: 'run-d', unit: 3 }), 'run-d');
  assert.equal(runIdOf({ id: 'diag:x' }), undefined, 'a row of another view names no run');
  assert.equal(runIdOf(undefined), undefined);
});

test('two runs of the same spec are told apart by their start time', () => {
  const a = runItem(status({ id: 'a', startedAt: new Date(2026, 11, 2, 9, 5, 7).getTime() }), undefined, false);
  const b = runItem(status({ id: 'b', startedAt: new Date(2026, 11, 2, 9, 6, 30).getTime() }), undefined, false);
  assert.notEqual(a.description, b.description);
  assert.match(a.description ?? '', /09:05:07/);
  assert.equal(startedText(new Date(2026, 11, 2, 9, 5, 7).getTime(), new Date(2026, 11, 2, 18, 0).getTime()), '09:05:07');
  assert.equal(startedText(new Date(2026, 10, 30, 23, 1, 2).getTime(), new Date(2026, 11, 2, 18, 0).getTime()), '2026-11-30 23:01:02');
});

test('under the debugger the Runs row says where it is held, and the Units view ranks at the selected frame\'s timestep', () => {
  const row = runItem(status({ state: 'paused' }), metric, true, { step: 12, t: 5 });
  assert.match(row.description ?? '', /^paused · debugger: step 12, t = 5 · step 120\/500/);
  assert.match(row.tooltip ?? '', /the debugger holds it at step 12, t = 5/);
  assert.doesNotMatch(runItem(status(), metric).description ?? '', /debugger/);

  const snap = { ...fakeTrace('some text to rank units over', 6), step: 12 };
  const c = snap.layers[0].values.c!;
  const atT = unitItems({ mode: 'variance', runId: 'r1', layer: 0, quantity: 'c', snapshot: snap, relevance: undefined, selectedUnit: 0, paused: { step: 12, t: 5 } });
  // Independently: the units by |c[5, u]|, largest first.
  const want = [0, 1, 2, 3, 4, 5].sort((a, b) => Math.abs(c[5 * 6 + b]) - Math.abs(c[5 * 6 + a]));
  assert.deepEqual(atT.items.map((i) => Number(i.label.slice(5))), want);
  assert.equal(atT.items[0].description, `c = ${Number(c[5 * 6 + want[0]].toPrecision(4))} at t = 5`);
  assert.match(atT.message, /By \|c\| at t = 5, the selected frame · layer 0 · the debugger's step 12, t = 5/);
  // The step-level frame: variance over the sample, of the paused step.
  const atStep = unitItems({ mode: 'variance', runId: 'r1', layer: 0, quantity: 'c', snapshot: snap, relevance: undefined, selectedUnit: 0, paused: { step: 12, t: null } });
  assert.match(atStep.message, /variance of c over time · layer 0 · the debugger's step 12$/);
});

test('the Diagnostics row of the selected frame: gradient norms, reach from τ at its lag and σmax at t', () => {
  const snap = fakeTrace('abcdefghij', 4);
  const L = snap.layers[0];
  L.reachH = Float32Array.from({ length: 10 }, (_, t) => 2 ** (t - 9)); // peak 1 at τ = 9
  L.jacobianSigma = Float32Array.from({ length: 10 }, (_, t) => 0.5 + t / 10);
  const item = timestepItem('r1', { step: 12, t: 6, snapshot: snap }, 0, '"g"')!;
  assert.equal(item.label, 't = 6 "g"');
  assert.equal(item.description, `‖∂L/∂h_t‖ ${Number(L.dhNorm[6].toPrecision(4))} · ‖∂L/∂c_t‖ ${Number(L.dcNorm![6].toPrecision(4))} · reach from τ = 9 is 0.125 of its peak (lag 3) · σmax 1.1`);
  assert.deepEqual(item.command?.arguments?.[0], { runId: 'r1', chart: 'reach', layer: 0 });
  assert.equal(timestepItem('r1', { step: 12, t: null, snapshot: snap }, 0, ''), undefined, 'no row at the step level');
  assert.equal(timestepItem('r1', { step: 12, t: 3, snapshot: snap }, 1, ''), undefined, 'no row for a layer the sample lacks');
});
