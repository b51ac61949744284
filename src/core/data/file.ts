// Reading a user's data file with the checks that turn bad input into one clear message:
// missing, empty, too large, binary, not UTF-8.

import * as fs from 'node:fs';
import { DataError, formatBytes } from './source';

/** Reads and decodes a UTF-8 text file, refusing what a char-level model cannot use. */
export function readTextFile(file: string, maxBytes: number, what = 'data file'): string {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new DataError(`${what} ${file} is a folder, not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `${what} ${file} does not exist` : `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  if (size > maxBytes) throw new DataError(`${what} ${file} is ${formatBytes(size)}, larger than the limit of ${formatBytes(maxBytes)} (data.maxBytes)`);
  if (size === 0) throw new DataError(`${what} ${file} is empty`);
  const bytes = fs.readFileSync(file);
  return decodeText(bytes, `${what} ${file}`);
}

/** UTF-8 decode with binary detection; `label` names the source in messages. */
export function decodeText(bytes: Uint8Array, label: string): string {
  if (bytes.length === 0) throw new DataError(`${label} is empty`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DataError(`${label} looks binary (a NUL byte at offset ${nul}); expected UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new DataError(`${label} is not valid UTF-8 text (first invalid byte at offset ${at}); re-save it as UTF-8`);
  }
  // Control characters other than tab, newline, carriage return and form feed are rare in text
  // and common in binary formats; more than 1 in 20 means this is not prose or code.
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0x7f) control++;
  }
  if (control > 0.05 * text.length) throw new DataError(`${label} looks binary (${control} control characters in ${text.length}); expected UTF-8 text`);
  if (text.trim().length === 0) throw new DataError(`${label} contains only whitespace`);
  return text;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  // Binary search on the longest valid prefix (allowing a cut inside a sequence at the end).
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid;
    }
  }
  // The valid prefix may end inside a multi-byte sequence whose continuation is wrong: report
  // the sequence's first byte, which is where an editor shows the problem.
  for (let k = 1; k <= 3 && lo - k >= 0; k++) {
    const b = bytes[lo - k];
    if (b >= 0xc0) return lo - k;
    if (b < 0x80) break;
  }
  return lo;
}
