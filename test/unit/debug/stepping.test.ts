// Where the debugger's stepping goes, as pure decisions (the adapter test drives them over DAP
// against a real trainer; these pin the edges: the last timestep, untraced steps, entry, Pause).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterStep, atEntry, reverseContinue, stepBack, stepInto, stepOut } from '../../../src/extension/debug/stepping';

const stopT = (m: ReturnType<typeof stepInto>) => (m.kind === 'stop' ? m.stop.t : m.kind);

test('Step Into walks t = 0 … T − 1 of the traced sample, then takes the next optimisation step', () => {
  assert.equal(stopT(stepInto({ step: 4, t: null }, 3)), 0);
  assert.equal(stopT(stepInto({ step: 4, t: 1 }, 3)), 2);
  assert.deepEqual(stepInto({ step: 4, t: 2 }, 3), { kind: 'run', note: undefined });
  const untraced = stepInto({ step: 4, t: null }, null);
  assert.equal(untraced.kind, 'run');
  assert.match((untraced as { note?: string }).note ?? '', /step 4 was not traced: .*traceEvery/);
});

test('Step Out and Step Back: to the step level, back one timestep (from the step: to T − 1), never below 0', () => {
  assert.equal(stopT(stepOut({ step: 4, t: 2 })), null);
  assert.equal(stepOut({ step: 4, t: null }).kind, 'run');
  assert.equal(stopT(stepBack({ step: 4, t: null }, 5)), 4);
  assert.equal(stopT(stepBack({ step: 4, t: 3 }, 5)), 2);
  assert.equal(stopT(stepBack({ step: 4, t: 0 }, 5)), 0);
  assert.equal(stepBack(null, 5).kind, 'none', 'not paused: nothing to step back through');
});

test('Reverse Continue stops at the previous timestep on a breakpoint line, else at t = 0', () => {
  const sample = { steps: 10, locate: (t: number) => ({ line: 1 + Math.floor(t / 4), column: 1 + (t % 4) }) };
  const m = reverseContinue({ step: 2, t: 9 }, sample, new Set([2]));
  assert.equal(stopT(m), 7, 'line 2 holds t = 4 … 7: the newest before t = 9');
  assert.equal(m.kind === 'stop' && m.stop.reason, 'breakpoint');
  assert.equal(stopT(reverseContinue({ step: 2, t: 4 }, sample, new Set([2]))), 0, 'none before t = 4 on line 2');
});

test('a held trainer: a breakpoint hit wins over Pause and Step; at entry it stops only when asked', () => {
  const hit = { reason: 'breakpoint', description: 'Breakpoint at line 3', t: 5 };
  assert.equal(afterStep(7, hit, 'pause').kind === 'stop' && (afterStep(7, hit, 'pause') as { stop: { t: number } }).stop.t, 5);
  assert.match(JSON.stringify(afterStep(7, null, 'pause')), /Paused after step 7/);
  assert.match(JSON.stringify(afterStep(7, null, 'step')), /"Step 7"/);
  assert.equal(afterStep(7, null, null).kind, 'run');
  assert.equal(atEntry(true, null).kind, 'stop');
  assert.equal(atEntry(true, 'step').kind, 'run');
  assert.equal(atEntry(false, null).kind, 'run');
});
