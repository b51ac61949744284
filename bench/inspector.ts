// `npm run bench:inspector`: how long the inline inspector takes from a text edit to refreshed
// decorations on a 100 KB file. Pure parts (re-mapping offsets, validity, binning the visible
// range into colour runs) are timed over many edits; the model evaluation of the text (what the
// trainer's traceText runs: one sequence, forward + backward with the trace) is timed on the
// engine at the inspector's default window and per 1000 characters. Prints numbers, asserts nothing.
// Usage: node --import tsx bench/inspector.ts [--quick] [--hidden=64,128] [--window=1000,4000] [--backend=wasm|cpu]
//        [--cell=lstm|gru|rnn] [--fused-only] (skip the op-by-op engine)

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InspectSession } from '../src/extension/inspector/session';
import { buildTextMap } from '../src/protocol/textMap';
import type { ModelSpec } from '../src/protocol/spec';
import type { TraceSnapshot } from '../src/protocol/trace';
import { buildVocabulary, encodeText } from '../src/core/data';
import { createModel } from '../src/core/tfjsEngine/engine';
import { createFastModel } from '../src/core/fast/model';
import { defaultWasmDir, selectBackend } from '../src/core/backend';
import type { Batch, RecurrentModel } from '../src/core/types';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = args.includes('--quick');
const hiddens = (flag('hidden') ?? (quick ? '64' : '64,128')).split(',').map(Number);
const windows = (flag('window') ?? (quick ? '1000' : '1000,4000')).split(',').map(Number);
const cell = (flag('cell') ?? 'lstm') as ModelSpec['cell'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const f2 = (x: number): string => x.toFixed(2);

/** ~100 KB of the sample corpus (repeated), with CRLF line ends and a few astral characters mixed in. */
function hundredKB(): string {
  let base = readFileSync(resolve(root, 'samples/corpus.txt'), 'utf8');
  base = base.replace(/\r\n?/g, '\n');
  let text = '';
  while (text.length < 100 * 1024) text += base;
  text = text.slice(0, 100 * 1024).replace(/\n/g, '\r\n');
  return text.replace(/ the /g, (m, off: number) => (off % 7 === 0 ? ' 😀 ' : m));
}

/** A synthetic trace of the whole text (values as the engine would give: sin-like states, gates in (0,1)). */
function syntheticTrace(T: number, H: number): TraceSnapshot {
  const mk = (f: (i: number) => number): Float32Array => Float32Array.from({ length: T * H }, (_, i) => f(i));
  const values: Record<string, Float32Array> = {
    c: mk((i) => 3 * Math.sin(i * 0.013)),
    h: mk((i) => Math.tanh(Math.sin(i * 0.007))),
    f: mk((i) => 0.5 + 0.5 * Math.sin(i * 0.011)),
    i: mk((i) => 0.5 + 0.5 * Math.cos(i * 0.017)),
    g: mk((i) => Math.sin(i * 0.019)),
    o: mk((i) => 0.5 + 0.5 * Math.sin(i * 0.023)),
  };
  return {
    step: 1, sample: 0, cell: 'lstm', steps: T, tokens: null, inputs: null, stepLoss: new Float32Array(T), reachFrom: T - 1,
    layers: [{ layer: 0, units: H, values, dh: mk(() => 1e-3), dc: mk(() => 1e-3), dhNorm: new Float32Array(T).fill(1e-2), dcNorm: new Float32Array(T).fill(1e-2), reachH: new Float32Array(T), saturation: {} }],
  };
}

function benchPure(): void {
  const text = hundredKB();
  const H = 128;
  console.log(`\n# Pure inspector work on a ${(text.length / 1024).toFixed(0)} KB document (${text.split('\n').length} lines, CRLF, astral characters), H = ${H}`);
  const mapMs = median(Array.from({ length: 15 }, () => timeMs(() => buildTextMap(text))));
  const session = new InspectSession('bench', 'r');
  session.setText(text);
  const plan = session.planEval(0, session.map.steps, undefined);
  session.acceptTrace(syntheticTrace(session.map.steps, H), plan, session.map.modelText, 1);
  // The visible range: 50 lines around the middle of the file plus the inspector's 30-line margins.
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const mid = lineStarts.length >> 1;
  const a = lineStarts[mid - 30];
  const b = lineStarts[Math.min(lineStarts.length - 1, mid + 50 + 30)];
  const view = { layer: 0, unit: 7, quantity: 'c' };

  const editMs: number[] = [];
  const decoMs: number[] = [];
  let ranges = 0;
  for (let k = 0; k < 40; k++) {
    // Type one character in the middle of the visible range, alternately insert and delete it.
    const at = (a + b) >> 1;
    const edited = k % 2 === 0 ? text.slice(0, at) + 'x' + text.slice(at) : text;
    editMs.push(timeMs(() => session.setText(edited)));
    decoMs.push(timeMs(() => {
      ranges = session.decorations({ ...view, unit: k % H }, undefined, a, b).reduce((n, s) => n + s.offsets.length / 2, 0);
    }));
  }
  // A new quantity / unit on a fresh trace: the series is extracted and its scale computed first.
  const fresh: number[] = [];
  for (let k = 0; k < 20; k++) {
    session.acceptTrace(syntheticTrace(session.map.steps, H), plan, session.map.modelText, 1);
    fresh.push(timeMs(() => session.decorations({ ...view, unit: k }, undefined, a, b)));
  }
  const whole = median(Array.from({ length: 5 }, () => timeMs(() => session.decorations(view, undefined, 0, text.length))));
  console.log(`buildTextMap (100 KB)                               ${f2(mapMs)} ms`);
  console.log(`edit → re-map + validity (setText)                  ${f2(median(editMs))} ms (median of ${editMs.length})`);
  console.log(`visible range (${b - a} chars) → colour runs         ${f2(median(decoMs))} ms, ${ranges} ranges`);
  console.log(`  … for a new unit on a new trace (series + scale)  ${f2(median(fresh))} ms`);
  console.log(`edit → refreshed decorations (pure total)           ${f2(median(editMs) + median(decoMs))} ms`);
  console.log(`whole 100 KB decorated at once (what we avoid)      ${f2(whole)} ms`);
}

async function benchModel(): Promise<void> {
  const choice = await selectBackend((flag('backend') as 'wasm' | 'cpu' | undefined) ?? 'auto', { wasmDir: defaultWasmDir(resolve(root, 'dist')) });
  console.log(`\n# Model evaluation of the text (traceText: B = 1, forward + backward + trace), cell ${cell}, backend ${choice.backend}`);
  const corpus = readFileSync(resolve(root, 'samples/corpus.txt'), 'utf8');
  const vocab = buildVocabulary(corpus);
  const V = vocab.length;
  for (const H of hiddens) {
    const spec: ModelSpec = {
      cell, hiddenSize: H, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false,
      cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh',
    };
    const io = { vocabSize: V, inputSize: 0, outputSize: V, loss: 'xent' as const };
    const engines: [string, RecurrentModel][] = args.includes('--fused-only') ? [] : [['reference engine (op-by-op tfjs)', createModel(spec, io, 1)]];
    const fast = createFastModel(spec, io, 1);
    if (fast.path.startsWith('fused')) engines.push([`fused kernel (${fast.path})`, fast]);
    else fast.dispose();
    for (const T of windows) {
      let text = '';
      while (Array.from(text).length < T) text += corpus;
      const tokens = encodeText(Array.from(text).slice(0, T).join(''), vocab);
      const targetTokens = new Int32Array(T);
      targetTokens.set(tokens.subarray(1));
      const mask = new Float32Array(T).fill(1);
      mask[T - 1] = 0;
      const batch: Batch = { batchSize: 1, steps: T, tokens, inputs: null, targetTokens, targets: null, mask };
      for (const [label, model] of engines) {
        const reps = quick || T > 2000 ? 1 : 2;
        const ms: number[] = [];
        for (let r = 0; r < reps + 1; r++) {
          const t0 = performance.now();
          const res = model.forwardBackward(batch, null, { sample: 0, reachFrom: T - 2, jacobian: false });
          for (const g of Object.values(res.grads)) g.dispose();
          if (r > 0 || reps === 1) ms.push(performance.now() - t0); // the first pass also warms up kernels
          if (reps === 1) break;
        }
        const m = median(ms);
        console.log(`H = ${String(H).padEnd(4)} T = ${String(T).padEnd(5)} ${label.padEnd(44)} ${(m / 1000).toFixed(2)} s  (${f2(m / (T / 1000))} ms per 1000 chars, tensors ${tf.memory().numTensors})`);
      }
    }
    for (const [, model] of engines) model.dispose();
  }
  console.log('A 100 KB text is evaluated as windows of rnnDebugger.inspector.maxCharacters (default 4000) around the visible lines;');
  console.log('the whole file would take (100 000 / 1000) × the per-1000-character time above.');
}

benchPure();
if (!args.includes('--pure-only')) {
  benchModel().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
