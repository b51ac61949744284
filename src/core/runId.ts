// Run ids, one definition for every place that starts a run (the extension, the CLI, the
// training loop when it is given none). The id is also the run folder's name.

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { RunSpec } from '../protocol/spec';

/** Four base-36 characters from the OS's random source: two runs started in the same second differ. */
export function randomTag(): string {
  return (randomBytes(4).readUInt32LE(0) % 36 ** 4).toString(36).padStart(4, '0');
}

/**
 * A run id that sorts by start time and says what ran: `20261128-183012-lstm-adding50-k3f9`
 * (local time, cell, the task and its length or the data file's base name, a random tag). Only
 * [A-Za-z0-9._-]: it is a folder name on every platform.
 */
export function newRunId(spec: RunSpec, now = new Date(), tag = randomTag()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const d = spec.data;
  const what = d.kind === 'text' || d.kind === 'csv' ? path.basename(d.path).replace(/\.[^.]*$/, '') || d.kind : `${d.kind}${d.length}`;
  return `${stamp}-${spec.model.cell}-${what}-${tag}`.replace(/[^A-Za-z0-9._-]/g, '_');
}
