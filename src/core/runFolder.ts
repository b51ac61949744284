// The run folder: everything a run records, on disk, in a documented format (docs/trace-format.md)
// that an outside tool can read. Writes are atomic (temp file + rename); a failing disk never
// stops training, it is reported and the run goes on in memory.

import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { GATE_ORDER, type CellKind, type RunSpec } from '../protocol/spec';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../protocol/trace';
import { mapTypedArrays } from '../protocol/typedArrays';
import { checkBinEntry, checkFileName, checkSnapshot, checkStatus } from './runFolderChecks';
import { resolveSpec } from './spec';

/** Named weights as the model exports them. */
export type WeightMap = Record<string, { shape: number[]; data: Float32Array }>;

/** The subset of node:fs the run folder uses (injectable to test write failures). */
export interface RunFs {
  mkdirSync(p: string, opts: { recursive: true }): unknown;
  writeFileSync(p: string, data: string | Uint8Array): void;
  appendFileSync(p: string, data: string): void;
  renameSync(from: string, to: string): void;
  unlinkSync(p: string): void;
}

export const WEIGHTS_FORMAT = 'rnn-debugger-weights';
export const TRACE_FORMAT = 'rnn-debugger-trace';

/** One array in a binary companion file. */
export interface BinEntry {
  dtype: 'float32' | 'int32';
  /** Byte offset in the .bin file (a multiple of 4). */
  byteOffset: number;
  /** Number of elements. */
  length: number;
}

/** weights/index.json */
export interface WeightsIndex {
  format: typeof WEIGHTS_FORMAT;
  version: 1;
  /** Step whose weights these are (the last good step). */
  step: number;
  cell: CellKind;
  /** Column blocks of Wx / Wh / b, in order. */
  gateOrder: string[];
  hiddenSize: number;
  layers: number;
  /** The .bin file in weights/ holding the arrays (float32 little-endian). */
  file: string;
  layout: string;
  tensors: { name: string; shape: number[]; dtype: 'float32'; byteOffset: number; length: number }[];
}

const LAYOUT =
  'Row-major float32 little-endian. embedding [V,E]; layer{l}.Wx [inputWidth, G·H]; layer{l}.Wh [H, G·H]; layer{l}.b [G·H]; readout.W [H,O]; readout.b [O]. ' +
  'Column block k (columns k·H … (k+1)·H−1) of Wx, Wh and b belongs to gateOrder[k]; the pre-activations are x_t·Wx + h_{t−1}·Wh + b.';

function isTyped(v: unknown): v is Float32Array | Int32Array {
  return v instanceof Float32Array || v instanceof Int32Array;
}

/**
 * Splits an object into JSON (typed arrays replaced by { "$bin": BinEntry }) and the binary
 * payload of all its typed arrays, concatenated little-endian. Inverse: `joinBinary`.
 */
export function splitBinary(value: unknown): { json: unknown; bin: Uint8Array } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const json = mapTypedArrays(value, (v) => {
    if (!isTyped(v)) throw new Error(`the run folder stores float32 and int32 arrays only, not ${v.constructor.name}`);
    const entry: BinEntry = { dtype: v instanceof Float32Array ? 'float32' : 'int32', byteOffset: offset, length: v.length };
    parts.push(toLittleEndian(v));
    offset += v.length * 4;
    return { $bin: entry };
  }, (v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
  const bin = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    bin.set(p, o);
    o += p.length;
  }
  return { json, bin };
}

/**
 * Rebuilds what splitBinary split, copying each array out of `bin`. Every entry is checked against
 * the size of `bin` before its array is allocated (`what` names the source in errors).
 */
export function joinBinary(json: unknown, bin: Uint8Array, what = 'binary companion'): unknown {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  let claimed = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('$bin' in o) {
        claimed = checkBinEntry(o.$bin, bin.byteLength, claimed, what);
        const e = o.$bin as BinEntry;
        const out = e.dtype === 'float32' ? new Float32Array(e.length) : new Int32Array(e.length);
        for (let i = 0; i < e.length; i++) out[i] = e.dtype === 'float32' ? view.getFloat32(e.byteOffset + 4 * i, true) : view.getInt32(e.byteOffset + 4 * i, true);
        return out;
      }
      if ('$number' in o && Object.keys(o).length === 1) return Number(o.$number);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(json);
}

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toLittleEndian(a: Float32Array | Int32Array): Uint8Array {
  if (littleEndianHost) return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(4 * i, a[i], true);
    else dv.setInt32(4 * i, a[i], true);
  }
  return out;
}

/** JSON where non-finite numbers become the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them). */
function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

/** Writer of one run folder. Every method swallows I/O errors after reporting them once per kind. */
export class RunFolder {
  private readonly fs: RunFs;
  private readonly reported = new Set<string>();
  private weightsFile: string | null = null;
  /** The first write error, if any (the run then lives in memory only). */
  error: string | null = null;

  constructor(
    readonly dir: string,
    private readonly onError: (message: string) => void,
    fsImpl: RunFs = nodeFs,
  ) {
    this.fs = fsImpl;
    this.guard('create folder', () => {
      this.fs.mkdirSync(path.join(dir, 'traces'), { recursive: true });
      this.fs.mkdirSync(path.join(dir, 'weights'), { recursive: true });
    });
    // A reused folder starts a new metrics log; metrics are appended from here on.
    this.guard('metrics.jsonl', () => this.fs.writeFileSync(path.join(dir, 'metrics.jsonl'), ''));
  }

  private guard(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      const msg = `cannot write the run folder ${this.dir} (${what}): ${(e as Error).message}; the run continues in memory`;
      this.error ??= msg;
      if (!this.reported.has(what)) {
        this.reported.add(what);
        this.onError(msg);
      }
      return false;
    }
  }

  /** Write to a temp name in the same folder, then rename: readers never see half a file. */
  private atomic(file: string, data: string | Uint8Array): void {
    const tmp = `${file}.tmp-${process.pid}`;
    this.fs.writeFileSync(tmp, data);
    this.fs.renameSync(tmp, file);
  }

  writeSpec(spec: RunSpec): void {
    this.guard('spec.json', () => this.atomic(path.join(this.dir, 'spec.json'), JSON.stringify(spec, null, 2) + '\n'));
  }

  writeStatus(status: RunStatus): void {
    this.guard('status.json', () => this.atomic(path.join(this.dir, 'status.json'), stringify(status) + '\n'));
  }

  appendMetrics(records: MetricsRecord[]): void {
    if (!records.length) return;
    this.guard('metrics.jsonl', () => this.fs.appendFileSync(path.join(this.dir, 'metrics.jsonl'), records.map((r) => stringify(r)).join('\n') + '\n'));
  }

  writeSnapshot(s: TraceSnapshot): void {
    const base = path.join(this.dir, 'traces', `step-${s.step}-sample-${s.sample}`);
    const { json, bin } = splitBinary(s);
    this.guard('traces', () => {
      // The .bin first: once the .json exists, its companion is complete.
      this.atomic(base + '.bin', bin);
      this.atomic(base + '.json', JSON.stringify({ format: TRACE_FORMAT, version: 1, bin: path.basename(base + '.bin'), snapshot: json }) + '\n');
    });
  }

  writeWeights(weights: WeightMap, info: { step: number; cell: CellKind; hiddenSize: number; layers: number }): void {
    const names = Object.keys(weights).sort();
    let offset = 0;
    const tensors = names.map((name) => {
      const w = weights[name];
      const t = { name, shape: w.shape, dtype: 'float32' as const, byteOffset: offset, length: w.data.length };
      offset += w.data.length * 4;
      return t;
    });
    const bin = new Uint8Array(offset);
    for (const [i, name] of names.entries()) bin.set(toLittleEndian(weights[name].data), tensors[i].byteOffset);
    const file = `step-${info.step}.bin`;
    const index: WeightsIndex = {
      format: WEIGHTS_FORMAT,
      version: 1,
      step: info.step,
      cell: info.cell,
      gateOrder: [...GATE_ORDER[info.cell]],
      hiddenSize: info.hiddenSize,
      layers: info.layers,
      file,
      layout: LAYOUT,
      tensors,
    };
    const ok = this.guard('weights', () => {
      this.atomic(path.join(this.dir, 'weights', file), bin);
      this.atomic(path.join(this.dir, 'weights', 'index.json'), JSON.stringify(index, null, 2) + '\n');
    });
    if (ok && this.weightsFile && this.weightsFile !== file) {
      const old = this.weightsFile;
      this.guard('weights cleanup', () => this.fs.unlinkSync(path.join(this.dir, 'weights', old)));
    }
    if (ok) this.weightsFile = file;
  }
}

/** Everything readRun loads back. */
export interface LoadedRun {
  dir: string;
  spec: RunSpec;
  status: RunStatus;
  metrics: MetricsRecord[];
  snapshots: TraceSnapshot[];
  weights: { index: WeightsIndex; tensors: WeightMap } | null;
  /** Files that could not be read (e.g. a snapshot cut short by a full disk); the rest loaded. */
  unreadable: string[];
}

function readJson(file: string): unknown {
  return JSON.parse(nodeFs.readFileSync(file, 'utf8'), (_k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}

/** Loads one snapshot file pair (traces/step-<n>-sample-<b>.json + .bin). */
export function readSnapshot(jsonFile: string): TraceSnapshot {
  const doc = readJson(jsonFile) as { format: string; bin: unknown; snapshot: unknown };
  if (!doc || doc.format !== TRACE_FORMAT) throw new Error(`${jsonFile} is not an RNN Debugger trace`);
  const bin = nodeFs.readFileSync(path.join(path.dirname(jsonFile), checkFileName(doc.bin, `${jsonFile}: bin`)));
  return checkSnapshot(joinBinary(doc.snapshot, bin, jsonFile), jsonFile);
}

/** Loads the weights of a run folder, or null if none were written. */
export function readWeights(dir: string): { index: WeightsIndex; tensors: WeightMap } | null {
  const indexFile = path.join(dir, 'weights', 'index.json');
  if (!nodeFs.existsSync(indexFile)) return null;
  const index = readJson(indexFile) as WeightsIndex;
  if (!index || index.format !== WEIGHTS_FORMAT) throw new Error(`${indexFile} is not an RNN Debugger weights index`);
  const bin = nodeFs.readFileSync(path.join(dir, 'weights', checkFileName(index.file, `${indexFile}: file`)));
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const tensors: WeightMap = {};
  if (!Array.isArray(index.tensors)) throw new Error(`${indexFile}: tensors is not an array`);
  let claimed = 0;
  for (const t of index.tensors) {
    const what = `${indexFile}: tensor ${JSON.stringify(t?.name)}`;
    if (typeof t?.name !== 'string') throw new Error(`${what}: name is not a string`);
    claimed = checkBinEntry(t, bin.byteLength, claimed, what);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0) || t.shape.reduce((a, b) => a * b, 1) !== t.length) {
      throw new Error(`${what}: shape ${JSON.stringify(t.shape)} does not match its length ${t.length}`);
    }
    const data = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) data[i] = view.getFloat32(t.byteOffset + 4 * i, true);
    tensors[t.name] = { shape: t.shape, data };
  }
  return { index, tensors };
}

/** Loads a whole run folder (Open Run, the CLI `trace`). A torn last metrics line is skipped. */
/** The spec and status of a run folder, without its metrics, snapshots or weights. */
export function readRunHeader(dir: string): { spec: RunSpec; status: RunStatus } {
  const statusFile = path.join(dir, 'status.json');
  if (!nodeFs.existsSync(statusFile)) throw new Error(`${dir} is not a run folder (no status.json)`);
  const status = checkStatus(readJson(statusFile), statusFile);
  const specFile = path.join(dir, 'spec.json');
  // The spec is validated again: a run folder may come from anywhere.
  const [raw, from] = nodeFs.existsSync(specFile) ? [readJson(specFile), specFile] : [status.spec, statusFile];
  let spec: RunSpec;
  try {
    spec = resolveSpec(raw, { baseDir: dir });
  } catch (e) {
    throw new Error(`${from}: the spec is not valid: ${(e as Error).message.replace(/\s*\n\s*/g, '; ')}`);
  }
  return { spec, status: { ...status, spec } };
}

export function readRun(dir: string): LoadedRun {
  const { spec, status } = readRunHeader(dir);
  const unreadable: string[] = [];
  const metrics: MetricsRecord[] = [];
  const mFile = path.join(dir, 'metrics.jsonl');
  if (nodeFs.existsSync(mFile)) {
    for (const line of nodeFs.readFileSync(mFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        metrics.push(JSON.parse(line, (_k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as MetricsRecord);
      } catch {
        // A line cut short by a crash mid-append; everything before it is intact.
      }
    }
  }
  const snapshots: TraceSnapshot[] = [];
  const tDir = path.join(dir, 'traces');
  if (nodeFs.existsSync(tDir)) {
    const files = nodeFs.readdirSync(tDir).filter((f) => /^step-\d+-sample-\d+\.json$/.test(f));
    const key = (f: string): [number, number] => {
      const m = /^step-(\d+)-sample-(\d+)/.exec(f)!;
      return [Number(m[1]), Number(m[2])];
    };
    files.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
    for (const f of files) {
      // One damaged snapshot (a crash or a full disk mid-write) must not hide the others.
      try {
        snapshots.push(readSnapshot(path.join(tDir, f)));
      } catch {
        unreadable.push(path.join('traces', f));
      }
    }
  }
  let weights: LoadedRun['weights'] = null;
  try {
    weights = readWeights(dir);
  } catch {
    unreadable.push(path.join('weights', 'index.json'));
  }
  return { dir, spec, status, metrics, snapshots, weights, unreadable };
}
