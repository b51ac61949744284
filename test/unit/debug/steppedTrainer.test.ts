// The trainer's stepping protocol under the debugger, on a real trainer process: a run started
// paused holds before step 1 (`held` 0); each `step` runs exactly one step and holds again after
// its metrics and snapshot arrived; resume lets it run; a pause holds it again.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBUG_LIMITS, SteppedRun, standaloneProvider } from '../../../src/extension/debug/runtime';
import { TrainerClient } from '../../../src/extension/trainerClient';
import type { FromTrainerMessage } from '../../../src/protocol/trainer';
import { trainerBundle, wasmDir } from '../host/buildTrainer';
import { tinySpec } from '../host/fixtures';

let trainerPath = '';
let tmp = '';
before(async () => {
  trainerPath = await trainerBundle();
  tmp = mkdtempSync(join(tmpdir(), 'rnn-stepped-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const spec = () => tinySpec({ train: { ...tinySpec().train, steps: 100_000 }, trace: { ...tinySpec().trace, every: 1 } });

/** The next `held` of a run. */
const nextHeld = (run: SteppedRun) => new Promise<number>((resolve, reject) => {
  const d = run.onHeld((s) => { d.dispose(); resolve(s); });
  void run.handle.client.whenExited().then(() => reject(new Error(`trainer exited: ${run.handle.client.logTail.join('\n')}`)));
});

test('started paused: held before step 1, one step per `step` message, with its metrics and trace already there', { timeout: 60_000 }, async () => {
  const run = new SteppedRun(standaloneProvider({ trainerPath, wasmDir, runsRoot: tmp }).launch(spec(), undefined));
  try {
    assert.equal(await nextHeld(run), 0);
    assert.equal(run.lastStep, 0, 'no step before the first `step`');
    for (const n of [1, 2, 3]) {
      const held = nextHeld(run);
      run.step();
      assert.equal(await held, n);
      assert.equal(run.lastStep, n, 'exactly one step');
      assert.equal(run.record(n)?.metrics.step, n);
      assert.equal(run.record(n)?.snapshot?.step, n, 'the snapshot arrived before `held`');
    }
    const exit = await run.stop(20_000);
    assert.equal(exit.lastStatus?.state, 'stopped');
    assert.equal(exit.lastStatus?.step, 3);
  } finally {
    run.handle.client.kill();
  }
});

test('attach: pausing a free-running trainer holds it; resume lets it run on', { timeout: 60_000 }, async () => {
  const client = new TrainerClient({ trainerPath });
  const messages: FromTrainerMessage[] = [];
  client.onMessage((m) => messages.push(m));
  client.start({ runId: 'free', spec: spec(), runDir: join(tmp, 'free'), wasmDir, limits: DEBUG_LIMITS });
  const run = new SteppedRun({ client, runId: 'free', runDir: join(tmp, 'free'), owned: false });
  try {
    run.pause();
    const at = await nextHeld(run);
    assert.equal(run.lastStep, at, 'held after the last step it sent');
    const held = nextHeld(run);
    run.step();
    assert.equal(await held, at + 1);
    run.resume();
    await new Promise<void>((resolve) => { const d = client.onMessage((m) => { if (m.type === 'metrics' && m.records.some((r) => r.step > at + 3)) { d.dispose(); resolve(); } }); });
    assert.ok(run.lastStep > at + 3, 'runs freely after resume');
  } finally {
    await client.stop(20_000);
  }
});
