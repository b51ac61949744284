// The fused kernels inside the training loop against the op-by-op tfjs engine: a run of each cell
// the fused CPU path covers (GRU, LSTM, vanilla RNN) from the same seed, once as training picks it
// (fused, named in the compute path) and once on the engine (createModel through modelFactory),
// gives the same loss curve, gradient norms, validation loss and snapshots to float32 tolerance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTraining } from '../../../src/core/train';
import { resolveSpec } from '../../../src/core/spec';
import { defaultWasmDir } from '../../../src/core/backend';
import { createModel } from '../../../src/core/tfjsEngine/engine';
import { defaultGemm } from '../../../src/core/fast/gemm';
import { recorder } from '../training/recorder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-fused-train-'));
const wasmDir = defaultWasmDir();
fs.writeFileSync(path.join(tmp, 'text.txt'), 'the quick brown fox jumps over the lazy dog; '.repeat(40));


/** Largest |a − b| / max(1e-3, |b|) over two arrays. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let e = 0;
  for (let k = 0; k < a.length; k++) e = Math.max(e, Math.abs(a[k] - b[k]) / Math.max(1e-3, Math.abs(b[k])));
  return e;
}

const LABEL = { gru: 'GRU', lstm: 'LSTM', rnn: 'RNN' } as const;
for (const cell of ['gru', 'lstm', 'rnn'] as const) {
  test(`a ${cell.toUpperCase()} run on the fused kernel and on the op-by-op engine from the same seed give the same loss curve`, { timeout: 300_000 }, async () => {
    const spec = resolveSpec({
      data: { kind: 'text', path: path.join(tmp, 'text.txt') },
      model: { cell, hiddenSize: 10 },
      train: { steps: 8, batchSize: 4, seqLength: 16, validateEvery: 4, clipNorm: 1, learningRate: 0.01 },
      trace: { every: 4, samples: [0, 2], jacobian: true },
      backend: 'wasm',
      seed: 4,
    });
    const f = recorder(), e = recorder();
    const fused = await runTraining(spec, { runDir: null, wasmDir, hooks: f.hooks });
    const engine = await runTraining(spec, {
      runDir: null, wasmDir, hooks: e.hooks,
      modelFactory: (s, data) => createModel(s.model, data.io, s.seed, { chronoMaxLength: s.train.seqLength }),
    });
    assert.equal(fused.state, 'completed', fused.reason);
    assert.equal(engine.state, 'completed', engine.reason);
    // The path training picked, in the words every view shows.
    const d = defaultGemm();
    assert.ok(fused.computePath!.startsWith(`CPU · fused ${LABEL[cell]} · `), fused.computePath);
    if (cell !== 'rnn') assert.equal(fused.computePath, `CPU · fused ${LABEL[cell]} · ${d.label}`);
    assert.match(f.rec.logs.find((l) => l.startsWith('model: ')) ?? '', new RegExp(`^model: ${cell}, fused:`));
    console.log(`${cell}: ${fused.computePath}; engine: ${engine.computePath}`);

    assert.equal(f.rec.metrics.length, 8);
    assert.equal(e.rec.metrics.length, 8);
    assert.ok(maxRel(f.rec.metrics.map((m) => m.loss), e.rec.metrics.map((m) => m.loss)) < 1e-4, 'training loss curves');
    assert.ok(maxRel(f.rec.metrics.map((m) => m.gradNorm), e.rec.metrics.map((m) => m.gradNorm)) < 1e-3, 'gradient norms before clipping');
    assert.deepEqual(f.rec.metrics.map((m) => m.clipped), e.rec.metrics.map((m) => m.clipped));
    const fv = f.rec.metrics.filter((m) => m.valLoss !== undefined), ev = e.rec.metrics.filter((m) => m.valLoss !== undefined);
    assert.deepEqual(fv.map((m) => m.step), ev.map((m) => m.step));
    assert.ok(fv.length >= 2);
    assert.ok(maxRel(fv.map((m) => m.valLoss!), ev.map((m) => m.valLoss!)) < 1e-4, 'validation loss');

    // The same snapshots (steps 1, 4, 8 × samples 0, 2) with the same fields and values.
    assert.deepEqual(f.rec.snapshots.map((s) => [s.step, s.sample]), e.rec.snapshots.map((s) => [s.step, s.sample]));
    assert.ok(f.rec.snapshots.length >= 6);
    f.rec.snapshots.forEach((sf, k) => {
      const se = e.rec.snapshots[k];
      const lf = sf.layers[0], le = se.layers[0];
      assert.deepEqual(Object.keys(lf).sort(), Object.keys(le).sort(), `step ${sf.step}: the same recorded fields`);
      assert.deepEqual(Object.keys(lf.values).sort(), Object.keys(le.values).sort());
      assert.ok(maxRel(sf.stepLoss, se.stepLoss) < 1e-3, `step ${sf.step} stepLoss`);
      for (const key of Object.keys(le.values)) assert.ok(maxRel(lf.values[key], le.values[key]) < 1e-3, `step ${sf.step} ${key}`);
      for (const key of ['dh', 'dc', 'dhNorm', 'dcNorm', 'reachH', 'reachC', 'jacobianSigma'] as const) {
        if (le[key] === undefined) continue;
        assert.ok(maxRel(lf[key]!, le[key]!) < 1e-3, `step ${sf.step} ${key}`);
      }
      assert.deepEqual(lf.saturation, le.saturation, `step ${sf.step} saturation`);
    });
  });
}
