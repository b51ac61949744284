// Unit test files run in parallel; the ones that package the extension rebuild dist/ (a
// production build), so they take turns: a directory lock per checkout, stale after 10 minutes.

import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './buildTrainer';

const lock = join(tmpdir(), `rnn-debugger-dist-${createHash('sha1').update(repoRoot).digest('hex').slice(0, 12)}.lock`);
const nap = new Int32Array(new SharedArrayBuffer(4));

/** Runs `fn` while holding the dist/ lock of this checkout. */
export function withDistLock<T>(fn: () => T): T {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile: try again
      }
      Atomics.wait(nap, 0, 0, 100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
