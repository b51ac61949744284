// Headless command line: `rnn-debugger train` runs an experiment and writes its run folder;
// `rnn-debugger trace` evaluates a saved char-level run on a text file and writes the full
// per-timestep trace; `rnn-debugger report` writes a run's self-contained HTML report (the panel's
// own code, viewable in any browser). Exit codes: 0 done, 1 the run failed, 2 bad input.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { GATE_ORDER, type RunSpec } from './protocol/spec';
import type { LayerTrace, MetricsRecord } from './protocol/trace';
import { openGpu } from './core/gpu/dawn';
import { defaultWasmDir, selectBackend } from './core/backend';
import { createDataSource, DataError } from './core/data';
import { readTextFile } from './core/data/file';
import { createModel } from './core/tfjsEngine/engine';
import { readRun } from './core/runFolder';
import { newRunId } from './core/runId';
import { DEFAULT_MAX_BYTES, resolveSpec, SpecError } from './core/spec';
import { traceText } from './core/textTrace';
import { normaliseLineEnds } from './protocol/textMap';
import { runTraining } from './core/train';
import { reportFromRunFolder } from './report/report';

export const HELP = `rnn-debugger: train recurrent networks and record what happens inside them.

Usage:
  rnn-debugger train [options]      train and write a run folder
  rnn-debugger trace --run <dir> --text <file> [--out trace.json] [--jacobian]
                                    evaluate a saved character-level run on a text file
  rnn-debugger report --run <dir> [--out report.html]
                                    write the run's standalone HTML report (any browser, offline)
  rnn-debugger --help

train options (each overrides the spec file):
  --spec <f.rnn.json>   experiment file (see schemas/rnn-spec.schema.json)
  --data <path>         text file (character-level) or .csv file (next-value regression)
  --task <name>         adding | copy | delayed-recall (synthetic long-memory task)
  --cell <kind>         lstm | gru | rnn | lstm-no-output-gate | lstm-no-input-gate | lstm-forget-only
  --hidden <N>          units per layer          --layers <N>     stacked layers (1-3)
  --steps <N>           optimisation steps       --lr <x>         learning rate
  --optimizer <name>    adam | sgd | rmsprop     --batch <N>      batch size
  --seq <N>             BPTT window (text/CSV) or task length T (tasks)
  --clip <x|none>       clip the global gradient norm
  --backend <name>      auto | webgpu | tensorflow-gpu | tensorflow | wasm | cpu
  --seed <N>            seed of data, initialisation and batching
  --trace-every <N>     record a full trace snapshot every N steps
  --out <dir>           parent folder of the run folder (default runs/)
  --quiet               print only the backend and the final line
  --no-report           do not write report.html into the run folder at the end

Exit codes: 0 completed or stopped (Ctrl-C), 1 the run failed, 2 bad input.`;

/** Bad input: printed as one line, exit code 2. */
class UsageError extends Error {}

export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

type Flags = Record<string, string | true>;

const VALUE_FLAGS = ['spec', 'data', 'task', 'cell', 'hidden', 'layers', 'steps', 'lr', 'optimizer', 'batch', 'seq', 'clip', 'backend', 'seed', 'trace-every', 'out', 'run', 'text', 'name'];
const BOOL_FLAGS = ['help', 'quiet', 'jacobian', 'no-report'];

function parseFlags(args: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h') {
      flags.help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}' (options start with --; see --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (BOOL_FLAGS.includes(name)) {
      flags[name] = true;
      continue;
    }
    if (!VALUE_FLAGS.includes(name)) throw new UsageError(`unknown option --${name} (see --help)`);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  return flags;
}

function num(flags: Flags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${String(v)}'`);
  return n;
}

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

type Obj = Record<string, unknown>;

/** The spec a `train` command line describes: the spec file (if any) with the flags on top. */
export function specFromFlags(flags: Flags, cwd: string): { spec: RunSpec; baseDir: string } {
  let raw: Obj = {};
  let baseDir = cwd;
  const specFile = str(flags, 'spec');
  if (specFile) {
    const file = path.resolve(cwd, specFile);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the spec file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Obj;
    } catch (e) {
      throw new UsageError(`the spec file ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`the spec file ${file} must hold a JSON object`);
    baseDir = path.dirname(file);
  }
  const sub = (k: string): Obj => {
    const v = raw[k];
    const o: Obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(v as Obj) } : {};
    raw[k] = o;
    return o;
  };
  const data = str(flags, 'data');
  const task = str(flags, 'task');
  if (data && task) throw new UsageError('give either --data or --task, not both');
  const seq = num(flags, 'seq');
  if (data) {
    // Paths on the command line are relative to the current folder, not to the spec file.
    raw.data = { kind: /\.csv$/i.test(data) ? 'csv' : 'text', path: path.resolve(cwd, data) };
  } else if (task) {
    if (!['adding', 'copy', 'delayed-recall'].includes(task)) throw new UsageError(`--task must be adding, copy or delayed-recall, got '${task}'`);
    const prev = raw.data as Obj | undefined;
    raw.data = { kind: task, length: seq ?? (prev && prev.kind === task ? prev.length : undefined) ?? 50 };
  }
  const dataKind = (raw.data as Obj | undefined)?.kind;
  const isTask = dataKind === undefined || ['adding', 'copy', 'delayed-recall'].includes(String(dataKind));
  if (seq !== undefined && isTask && !task) sub('data').length = seq;
  const model = sub('model');
  const train = sub('train');
  const trace = sub('trace');
  if (flags.cell !== undefined) model.cell = str(flags, 'cell');
  if (flags.hidden !== undefined) model.hiddenSize = num(flags, 'hidden');
  if (flags.layers !== undefined) model.layers = num(flags, 'layers');
  if (flags.steps !== undefined) train.steps = num(flags, 'steps');
  if (flags.lr !== undefined) train.learningRate = num(flags, 'lr');
  if (flags.optimizer !== undefined) train.optimizer = str(flags, 'optimizer');
  if (flags.batch !== undefined) train.batchSize = num(flags, 'batch');
  if (seq !== undefined && !isTask) train.seqLength = seq;
  const clip = str(flags, 'clip');
  if (clip !== undefined) train.clipNorm = clip === 'none' ? null : num(flags, 'clip');
  if (flags['trace-every'] !== undefined) trace.every = num(flags, 'trace-every');
  if (flags.backend !== undefined) raw.backend = str(flags, 'backend');
  if (flags.seed !== undefined) raw.seed = num(flags, 'seed');
  if (flags.name !== undefined) raw.name = str(flags, 'name');
  if (raw.data === undefined) raw.data = { kind: 'adding', length: 50 };
  return { spec: resolveSpec(raw, { baseDir }), baseDir };
}

function fmt(x: number | undefined, digits = 4): string {
  return x === undefined ? '—' : Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

async function train(flags: Flags, io: CliIO, cwd: string): Promise<number> {
  const { spec, baseDir } = specFromFlags(flags, cwd);
  // Check the data before starting: a bad file is bad input (exit 2), not a failed run.
  createDataSource(spec, { baseDir });
  // So is asking for the GPU engine where there is none: say what was found instead.
  if (spec.backend === 'webgpu') {
    await openGpu({ allowSoftware: true }).catch((e: Error) => {
      throw new UsageError(`--backend webgpu: ${e.message}`);
    });
  }
  const outDir = path.resolve(cwd, str(flags, 'out') ?? 'runs');
  const runId = newRunId(spec);
  let runDir = path.join(outDir, runId);
  for (let k = 2; fs.existsSync(runDir); k++) runDir = path.join(outDir, `${runId}-${k}`);
  const quiet = flags.quiet === true;
  const every = Math.max(1, Math.floor(spec.train.steps / 50));
  let stop = false;
  const onSigint = (): void => {
    if (stop) process.exit(130);
    stop = true;
    io.err('stopping after this step (Ctrl-C again to abort)…');
  };
  process.on('SIGINT', onSigint);
  let last: MetricsRecord | null = null;
  try {
    const status = await runTraining(spec, {
      runDir,
      baseDir,
      wasmDir: defaultWasmDir(),
      runId: path.basename(runDir),
      hooks: {
        onStatus: () => undefined,
        onMetrics: (m) => {
          last = m;
          if (quiet) return;
          if (m.step === 1 || m.step % every === 0 || m.valLoss !== undefined || m.step === spec.train.steps) {
            io.out(
              `step ${String(m.step).padStart(String(spec.train.steps).length)}/${spec.train.steps}  loss ${fmt(m.loss)}  val ${fmt(m.valLoss)}  ` +
                `grad ${fmt(m.gradNorm, 3)}${m.clipped ? ` → ${fmt(m.gradNormClipped, 3)} (clipped)` : ''}  ${m.seconds.toFixed(2)} s/step`,
            );
          }
        },
        onSnapshot: () => undefined,
        onLog: (line) => {
          if (!quiet || line.startsWith('backend') || line.startsWith('cannot write')) io.out(line);
        },
        checkpoint: async () => (stop ? 'stop' : 'continue'),
      },
    });
    const base = status.baseline !== undefined ? `  (baseline ${fmt(status.baseline)})` : '';
    const lastVal = last as MetricsRecord | null;
    io.out(`${status.state} after ${status.step} steps: loss ${fmt(lastVal?.loss)}  val ${fmt(lastVal?.valLoss)}${base}`);
    if (status.reason) io.out(`reason: ${status.reason}`);
    io.out(`run folder: ${runDir}`);
    if (flags['no-report'] !== true && fs.existsSync(path.join(runDir, 'status.json'))) {
      try {
        await reportFromRunFolder(runDir, path.join(runDir, 'report.html'));
        io.out(`report: ${path.join(runDir, 'report.html')}`);
      } catch (e) {
        // The run itself is complete on disk; a missing report is worth a line, not a failure.
        io.err(`rnn-debugger: could not write the report: ${(e as Error).message}`);
      }
    }
    return status.state === 'failed' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Matrix [T, H] row-major → rows, for readable JSON. */
function rows(a: Float32Array | undefined, H: number): number[][] | undefined {
  if (!a) return undefined;
  const out: number[][] = [];
  for (let t = 0; t * H < a.length; t++) out.push(Array.from(a.subarray(t * H, (t + 1) * H)));
  return out;
}

function layerJson(l: LayerTrace): Obj {
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

async function trace(flags: Flags, io: CliIO, cwd: string): Promise<number> {
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

async function report(flags: Flags, io: CliIO, cwd: string): Promise<number> {
  const runArg = str(flags, 'run');
  if (!runArg) throw new UsageError('report needs --run <run folder>');
  const runDir = path.resolve(cwd, runArg);
  if (!fs.existsSync(path.join(runDir, 'status.json'))) throw new UsageError(`${runDir} is not a run folder (no status.json)`);
  const out = path.resolve(cwd, str(flags, 'out') ?? path.join(runDir, 'report.html'));
  await reportFromRunFolder(runDir, out);
  io.out(`wrote ${out} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB; open it in any browser)`);
  return 0;
}

/** Runs the CLI with `args` (without node and the script); returns the exit code. */
export async function main(args: string[], io: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l) }, cwd = process.cwd()): Promise<number> {
  try {
    const [command, ...rest] = args;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(HELP);
      return command === undefined ? 2 : 0;
    }
    const flags = parseFlags(rest);
    if (flags.help) {
      io.out(HELP);
      return 0;
    }
    if (command === 'train') return await train(flags, io, cwd);
    if (command === 'trace') return await trace(flags, io, cwd);
    if (command === 'report') return await report(flags, io, cwd);
    throw new UsageError(`unknown command '${command}' (train, trace or report; see --help)`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SpecError || e instanceof DataError) {
      io.err(`rnn-debugger: ${e.message}`);
      return 2;
    }
    io.err(`rnn-debugger: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
