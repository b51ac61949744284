// Checks on what is read back from a run folder. A run folder may come from anywhere (Open Run…
// on a foreign folder, a damaged disk), so nothing in its JSON is trusted: file names must stay
// inside the folder, binary entries must fit the file before anything is allocated, and the spec,
// status and snapshots must have the shapes their types promise. Each failure is one line naming
// the file and the field.

import { CELL_KINDS } from '../protocol/spec';
import { RUN_STATES, type RunStatus, type TraceSnapshot } from '../protocol/trace';


/** A file name the folder's JSON names: a plain name in the same folder, never a path. */
export function checkFileName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !name || name === '.' || name === '..' || /[/\\\0:]/.test(name)) {
    throw new Error(`${what}: ${JSON.stringify(name)} is not a file name inside the run folder`);
  }
  return name;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * Checks one binary entry against the companion file's size and the running total of bytes
 * claimed so far (entries may not reuse bytes: a small file cannot claim gigabytes through many
 * overlapping entries). Returns the new total.
 */
export function checkBinEntry(e: unknown, binBytes: number, claimed: number, what: string): number {
  if (!e || typeof e !== 'object') throw new Error(`${what}: binary entry is not an object`);
  const { dtype, byteOffset, length } = e as Record<string, unknown>;
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`${what}: dtype ${JSON.stringify(dtype)} is not float32 or int32`);
  if (!isCount(byteOffset) || byteOffset % 4 !== 0) throw new Error(`${what}: byteOffset ${JSON.stringify(byteOffset)} is not a non-negative multiple of 4`);
  if (!isCount(length)) throw new Error(`${what}: length ${JSON.stringify(length)} is not a non-negative integer`);
  if (byteOffset + 4 * length > binBytes) throw new Error(`${what}: ${length} values at byte ${byteOffset} reach beyond the end of the ${binBytes}-byte file`);
  const total = claimed + 4 * length;
  if (total > binBytes) throw new Error(`${what}: the entries claim more than the ${binBytes} bytes of the file`);
  return total;
}

function fail(file: string, msg: string): never {
  throw new Error(`${file}: ${msg}`);
}

/** status.json (or the status a snapshot folder carries): the fields every reader relies on. */
export function checkStatus(x: unknown, file: string): RunStatus {
  if (!x || typeof x !== 'object' || Array.isArray(x)) fail(file, 'not a JSON object');
  const s = x as Record<string, unknown>;
  if (typeof s.id !== 'string' || !s.id) fail(file, 'id is not a non-empty string');
  if (typeof s.name !== 'string') fail(file, 'name is not a string');
  if (!(RUN_STATES as readonly string[]).includes(s.state as string)) fail(file, `state ${JSON.stringify(s.state)} is not one of ${RUN_STATES.join(', ')}`);
  if (!isCount(s.step)) fail(file, `step ${JSON.stringify(s.step)} is not a non-negative integer`);
  for (const k of ['startedAt', 'updatedAt']) if (typeof s[k] !== 'number') fail(file, `${k} is not a number`);
  if (s.reason !== undefined && typeof s.reason !== 'string') fail(file, 'reason is not a string');
  if (s.warnings !== undefined && !(Array.isArray(s.warnings) && s.warnings.every((w) => typeof w === 'string'))) fail(file, 'warnings is not a list of strings');
  if (s.vocabulary !== undefined && !(Array.isArray(s.vocabulary) && s.vocabulary.every((w) => typeof w === 'string'))) fail(file, 'vocabulary is not a list of strings');
  if (s.baseline !== undefined && typeof s.baseline !== 'number') fail(file, 'baseline is not a number');
  return x as RunStatus;
}

/** A snapshot after its arrays were joined: every array has the length its shape says. */
export function checkSnapshot(x: unknown, file: string): TraceSnapshot {
  if (!x || typeof x !== 'object') fail(file, 'snapshot is not an object');
  const s = x as Record<string, unknown>;
  for (const k of ['step', 'sample', 'steps']) if (!isCount(s[k])) fail(file, `${k} is not a non-negative integer`);
  if (!CELL_KINDS.includes(s.cell as never)) fail(file, `cell ${JSON.stringify(s.cell)} is not a cell kind`);
  if (typeof s.reachFrom !== 'number' || !Number.isInteger(s.reachFrom)) fail(file, 'reachFrom is not an integer');
  const T = s.steps as number;
  const arr = (v: unknown, name: string, n: number | null, optional = false): void => {
    if (v === undefined && optional) return;
    if (!(v instanceof Float32Array || v instanceof Int32Array)) fail(file, `${name} is not a binary array`);
    if (n !== null && v.length !== n) fail(file, `${name} has ${v.length} values, expected ${n}`);
  };
  if (s.tokens !== null) arr(s.tokens, 'tokens', T);
  if (s.inputs !== null) {
    arr(s.inputs, 'inputs', null);
    if ((s.inputs as Float32Array).length % Math.max(1, T) !== 0) fail(file, `inputs has ${(s.inputs as Float32Array).length} values, not a multiple of steps ${T}`);
  }
  arr(s.stepLoss, 'stepLoss', T);
  if (!Array.isArray(s.layers)) fail(file, 'layers is not an array');
  s.layers.forEach((l: unknown, k: number) => {
    if (!l || typeof l !== 'object') fail(file, `layers[${k}] is not an object`);
    const layer = l as Record<string, unknown>;
    const p = `layers[${k}]`;
    if (!isCount(layer.layer) || !isCount(layer.units)) fail(file, `${p}: layer and units must be non-negative integers`);
    const H = layer.units as number;
    const TH = T * H;
    const mat = (v: unknown, name: string, optional = false): void => {
      if (v === undefined && optional) return;
      if (!(v instanceof Float32Array)) fail(file, `${p}.${name} is not a binary array`);
      if (v.length !== TH) fail(file, `${p}.${name} has ${v.length} values, expected ${T} × ${H} = ${TH}`);
    };
    if (!layer.values || typeof layer.values !== 'object') fail(file, `${p}.values is not an object`);
    for (const [name, v] of Object.entries(layer.values)) mat(v, `values.${name}`);
    mat(layer.dh, 'dh');
    mat(layer.dc, 'dc', true);
    for (const name of ['dhNorm', 'reachH']) arr(layer[name], `${p}.${name}`, T);
    for (const name of ['dcNorm', 'reachC', 'jacobianSigma']) arr(layer[name], `${p}.${name}`, T, true);
    const lags = layer.jacobianLags;
    arr(lags, `${p}.jacobianLags`, null, true);
    arr(layer.jacobianLagSigma, `${p}.jacobianLagSigma`, lags ? (lags as Int32Array).length : null, true);
    if (!layer.saturation || typeof layer.saturation !== 'object') fail(file, `${p}.saturation is not an object`);
    for (const [g, v] of Object.entries(layer.saturation)) {
      const sat = v as Record<string, unknown> | null;
      if (!sat || typeof sat !== 'object') fail(file, `${p}.saturation.${g} is not an object`);
      arr(sat.low, `${p}.saturation.${g}.low`, H);
      arr(sat.high, `${p}.saturation.${g}.high`, H);
    }
  });
  if (s.prediction !== undefined) checkPrediction(s.prediction, T, arr, file);
  return x as TraceSnapshot;
}

/** snapshot.prediction (absent in folders written before predictions were recorded). */
function checkPrediction(x: unknown, T: number, arr: (v: unknown, name: string, n: number | null) => void, file: string): void {
  if (!x || typeof x !== 'object') fail(file, 'prediction is not an object');
  const p = x as Record<string, unknown>;
  arr(p.mask, 'prediction.mask', T);
  if (p.kind === 'values') {
    if (!isCount(p.outputs) || p.outputs === 0) fail(file, `prediction.outputs ${JSON.stringify(p.outputs)} is not a positive integer`);
    const n = T * (p.outputs as number);
    for (const k of ['predicted', 'target']) {
      if (!(p[k] instanceof Float32Array)) fail(file, `prediction.${k} is not a float32 array`);
      arr(p[k], `prediction.${k}`, n);
    }
  } else if (p.kind === 'tokens') {
    for (const k of ['target', 'top']) {
      if (!(p[k] instanceof Int32Array)) fail(file, `prediction.${k} is not an int32 array`);
      arr(p[k], `prediction.${k}`, T);
      if ((p[k] as Int32Array).some((id) => id < 0)) fail(file, `prediction.${k} holds a negative token id`);
    }
    for (const k of ['targetProb', 'topProb']) {
      if (!(p[k] instanceof Float32Array)) fail(file, `prediction.${k} is not a float32 array`);
      arr(p[k], `prediction.${k}`, T);
    }
  } else fail(file, `prediction.kind ${JSON.stringify(p.kind)} is not 'values' or 'tokens'`);
}
