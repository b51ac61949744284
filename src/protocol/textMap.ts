// Offset ↔ timestep mapping between an editor document and the character sequence a char-level
// model reads. Pure (no vscode, no tfjs), shared by the inspector, the trainer and the tests.
//
// The rule: timestep t is the t-th Unicode code point of the document text after line-end
// normalisation. A line break is ONE timestep, whatever the document uses: "\r\n" (CRLF) and a
// lone "\r" (old Mac) are both read as "\n", so a file trains and inspects the same under LF and
// CRLF. A surrogate pair (an astral character such as an emoji) is one timestep spanning two
// UTF-16 code units; a combining mark is a code point of its own and so a timestep of its own
// (e + U+0301 is two steps). A lone surrogate (malformed text) is one timestep of one code unit.
// Document offsets are UTF-16 code-unit offsets, as in vscode.TextDocument.offsetAt.

/** Read `text` the way the model does: CRLF and lone CR become LF. */
export function normaliseLineEnds(text: string): string {
  return text.indexOf('\r') < 0 ? text : text.replace(/\r\n?/g, '\n');
}

/** The characters (code points) of already-normalised text, one per timestep. */
export function modelChars(modelText: string): string[] {
  return Array.from(modelText);
}

export interface TextMap {
  /** The text the model reads (line ends normalised); its code points are the timesteps. */
  readonly modelText: string;
  /** Number of timesteps T (code points of modelText). */
  readonly steps: number;
  /** UTF-16 length of the document text. */
  readonly length: number;
  /** Document offset where timestep t starts, [T + 1]; starts[T] = length. */
  readonly starts: Int32Array;
  /** Timestep containing each document offset, [length]. */
  readonly stepAt: Int32Array;
}

/** Map a document text (UTF-16, as the editor holds it). O(length). */
export function buildTextMap(text: string): TextMap {
  const n = text.length;
  const stepAt = new Int32Array(n);
  // Upper bound on the number of steps is n; trimmed below.
  const startsFull = new Int32Array(n + 1);
  let t = 0;
  for (let i = 0; i < n; ) {
    const cu = text.charCodeAt(i);
    let len = 1;
    if (cu === 13 /* \r */) {
      if (i + 1 < n && text.charCodeAt(i + 1) === 10) len = 2;
    } else if (cu >= 0xd800 && cu <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) len = 2;
    }
    startsFull[t] = i;
    stepAt[i] = t;
    if (len === 2) stepAt[i + 1] = t;
    i += len;
    t++;
  }
  startsFull[t] = n;
  return { modelText: normaliseLineEnds(text), steps: t, length: n, starts: startsFull.slice(0, t + 1), stepAt };
}

/** The timestep at a document offset, or -1 outside the text (offset = length is past the end). */
export function offsetToStep(map: TextMap, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset >= map.length) return -1;
  return map.stepAt[offset];
}

/** Document range [start, end) of timestep t (two code units for CRLF and surrogate pairs). */
export function stepToRange(map: TextMap, t: number): [number, number] {
  if (!Number.isInteger(t) || t < 0 || t >= map.steps) throw new RangeError(`timestep ${t} outside 0..${map.steps - 1}`);
  return [map.starts[t], map.starts[t + 1]];
}

/** The character (code point) of timestep t as the model reads it: line ends are "\n". */
export function charAtStep(text: string, map: TextMap, t: number): string {
  const s = text.slice(map.starts[t], map.starts[t + 1]);
  return s === '\r\n' || s === '\r' ? '\n' : s;
}

/**
 * Timesteps [t0, t1) touched by the document range [start, end): every step with at least one
 * code unit inside it (a selection ending in the middle of a CRLF still includes the break).
 * Empty ranges give t0 = t1.
 */
export function stepsInRange(map: TextMap, start: number, end: number): [number, number] {
  const s = Math.max(0, Math.min(start, map.length));
  const e = Math.max(s, Math.min(end, map.length));
  if (e === s) {
    const t = s >= map.length ? map.steps : map.stepAt[s];
    return [t, t];
  }
  return [map.stepAt[s], map.stepAt[e - 1] + 1];
}

/**
 * Number of leading timesteps whose characters are the same in two model texts: the states of a
 * causal RNN at those steps do not change when the text after them is edited.
 */
export function commonPrefixSteps(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Do not split a surrogate pair: a differing low half invalidates its whole code point.
  if (i > 0 && !(i === a.length && i === b.length)) {
    const prev = a.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) i--;
  }
  let steps = 0;
  for (let k = 0; k < i; k++) {
    const cu = a.charCodeAt(k);
    if (cu >= 0xd800 && cu <= 0xdbff && k + 1 < i) {
      const lo = a.charCodeAt(k + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) k++;
    }
    steps++;
  }
  return steps;
}

/** A model text whose every character is in the run's vocabulary, and which steps were replaced. */
export interface FittedText {
  text: string;
  /** Timesteps whose character is not in the vocabulary and was replaced, ascending. */
  substituted: number[];
  /** What they were replaced with. */
  replacement: string;
}

/**
 * Replace characters the model has never seen (inspecting a file other than the training text) by
 * one it has, so that every code point still is one timestep and the offset mapping holds: a
 * line break by "\r" when the model only knows "\r" (trained on old-Mac text), anything else by a
 * space, or by the first vocabulary entry when there is no space.
 */
export function fitToVocabulary(modelText: string, vocabulary: readonly string[]): FittedText {
  const known = new Set(vocabulary);
  const replacement = known.has(' ') ? ' ' : (vocabulary[0] ?? ' ');
  const substituted: number[] = [];
  let changed = false;
  const chars = Array.from(modelText);
  for (let t = 0; t < chars.length; t++) {
    if (known.has(chars[t])) continue;
    chars[t] = chars[t] === '\n' && known.has('\r') ? '\r' : replacement;
    substituted.push(t);
    changed = true;
  }
  return { text: changed ? chars.join('') : modelText, substituted, replacement };
}
