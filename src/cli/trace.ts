// `rnn-debugger trace`: a saved character-level run evaluated on a text file, its per-timestep
// trace (values, gradients, reach, spectra) written as readable JSON.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { GATE_ORDER } from '../protocol/spec';
import type { LayerTrace } from '../protocol/trace';
import { normaliseLineEnds } from '../protocol/textMap';
import { defaultWasmDir, selectBackend } from '../core/backend';
import { readTextFile } from '../core/data/file';
import { readRun } from '../core/runFolder';
import { DEFAULT_MAX_BYTES } from '../core/spec';
import { traceText } from '../core/textTrace';
import { createModel } from '../core/tfjsEngine/engine';
import { fmt, str, UsageError, type CliIO, type Flags } from './flags';

/** Matrix [T, H] row-major → rows, for readable JSON. */
function rows(a: Float32Array | undefined, H: number): number[][] | undefined {
  if (!a) return undefined;
  const out: number[][] = [];
  for (let t = 0; t * H < a.length; t++) out.push(Array.from(a.subarray(t * H, (t + 1) * H)));
  return out;
}

/** One layer's trace as plain JSON arrays. */
function layerJson(l: LayerTrace): Record<string, unknown> {
  const H = l.units;
  return {
    layer: l.layer,
    units: H,
    values: Object.fromEntries(Object.entries(l.values).map(([k, v]) => [k, rows(v, H)])),
    dh: rows(l.dh, H),
    dc: rows(l.dc, H),
    dhNorm: Array.from(l.dhNorm),
    dcNorm: l.dcNorm ? Array.from(l.dcNorm) : undefined,
    reachH: Array.from(l.reachH),
    reachC: l.reachC ? Array.from(l.reachC) : undefined,
    jacobianSigma: l.jacobianSigma ? Array.from(l.jacobianSigma) : undefined,
  };
}

/** Evaluates a saved character-level run on a text file and writes its full trace as JSON. */
export async function trace(flags: Flags, io: CliIO, cwd: string): Promise<number> {
  const runArg = str(flags, 'run');
  const textArg = str(flags, 'text');
  if (!runArg || !textArg) throw new UsageError('trace needs --run <run folder> and --text <file>');
  const runDir = path.resolve(cwd, runArg);
  let run;
  try {
    run = readRun(runDir);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (run.spec.data.kind !== 'text') throw new UsageError(`the run in ${runDir} was trained on ${run.spec.data.kind} data; trace needs a character-level (text) run`);
  const vocabulary = run.status.vocabulary;
  if (!vocabulary) throw new UsageError(`the run in ${runDir} has no vocabulary in status.json`);
  if (!run.weights) throw new UsageError(`the run in ${runDir} has no saved weights`);
  const maxBytes = run.spec.data.maxBytes ?? DEFAULT_MAX_BYTES;
  const text = readTextFile(path.resolve(cwd, textArg), maxBytes, 'text file');
  const choice = await selectBackend(run.spec.backend === 'auto' ? 'auto' : run.spec.backend, { wasmDir: defaultWasmDir() });
  const model = createModel(run.spec.model, { vocabSize: vocabulary.length, inputSize: 0, outputSize: vocabulary.length, loss: 'xent' }, run.spec.seed);
  try {
    model.importWeights(run.weights.tensors);
    const snap = traceText(model, vocabulary, text, { step: run.weights.index.step, jacobian: flags.jacobian === true });
    const chars = Array.from(normaliseLineEnds(text)); // what traceText read
    const loss = snap.stepLoss.reduce((a, b) => a + b, 0) / snap.steps;
    const doc = {
      format: 'rnn-debugger-text-trace',
      version: 1,
      run: runDir,
      step: snap.step,
      cell: snap.cell,
      gateOrder: GATE_ORDER[snap.cell],
      backend: choice.backend,
      steps: snap.steps,
      loss,
      inputs: chars.slice(0, snap.steps),
      targets: chars.slice(1, snap.steps + 1),
      tokens: Array.from(snap.tokens ?? []),
      stepLoss: Array.from(snap.stepLoss),
      reachFrom: snap.reachFrom,
      layers: snap.layers.map(layerJson),
    };
    const out = path.resolve(cwd, str(flags, 'out') ?? 'trace.json');
    fs.writeFileSync(out, JSON.stringify(doc) + '\n');
    io.out(`backend ${choice.backend}; ${snap.steps} timesteps, mean next-character loss ${fmt(loss)} (weights of step ${snap.step}); wrote ${out}`);
    return 0;
  } finally {
    model.dispose();
  }
}
