// Reads a `*.rnn.json` experiment file: JSON-with-comments syntax errors and every RunSpec
// problem (from the core's resolveSpec) become located problems — character offsets of the
// offending value, or of the nearest enclosing field — for the Problems panel. No vscode import.

import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { resolveSpec, SpecError } from '../core/spec';
import type { RunSpec } from '../protocol/spec';

export interface SpecProblem {
  message: string;
  /** Dotted field path from the spec checker ('' for syntax errors). */
  path: string;
  /** Character offsets [start, end) in the file text. */
  start: number;
  end: number;
}

export interface SpecFileResult {
  /** The resolved spec when there is no problem. */
  spec?: RunSpec;
  problems: SpecProblem[];
}

/** 'train.learningRate' → ['train', 'learningRate']; 'data.columns[2]' → ['data', 'columns', 2]. */
export function splitSpecPath(p: string): (string | number)[] {
  if (!p || p === '(spec)') return [];
  const out: (string | number)[] = [];
  for (const part of p.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * Where to underline a problem at `path`: the value's node if it exists; for a missing field
 * the key of its nearest existing parent (or the whole document).
 */
export function locate(root: Node | undefined, path: string, textLength: number): { start: number; end: number } {
  if (!root) return { start: 0, end: Math.min(1, textLength) };
  const segs = splitSpecPath(path);
  for (let n = segs.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, segs.slice(0, n));
    if (!node) continue;
    // The offending value itself.
    if (n === segs.length && n > 0) return { start: node.offset, end: node.offset + node.length };
    // A missing field: the key of the object that should hold it.
    if (node.parent?.type === 'property' && node.parent.children?.[0]) {
      const key = node.parent.children[0];
      return { start: key.offset, end: key.offset + key.length };
    }
    // The document itself: its first character only.
    return { start: node.offset, end: node.offset + 1 };
  }
  return { start: 0, end: Math.min(1, textLength) };
}

/** jsonc-parser's error codes, in words. */
const SYNTAX_WORDS: Record<string, string> = {
  InvalidSymbol: 'this is not valid JSON here',
  InvalidNumberFormat: 'this number is not written the JSON way',
  PropertyNameExpected: 'a property name in double quotes is expected here',
  ValueExpected: 'a value is expected here',
  ColonExpected: 'a colon (:) is expected after the property name',
  CommaExpected: 'a comma (,) is missing before this',
  CloseBraceExpected: 'a closing brace (}) is missing',
  CloseBracketExpected: 'a closing bracket (]) is missing',
  EndOfFileExpected: 'nothing may follow the end of the spec object',
  InvalidCommentToken: 'this comment is not closed properly',
  UnexpectedEndOfComment: 'the file ends inside a comment',
  UnexpectedEndOfString: 'this string is not closed (a missing ")',
  UnexpectedEndOfNumber: 'the file ends inside a number',
  InvalidUnicode: 'this \\u escape is not a valid character code',
  InvalidEscapeCharacter: 'this backslash escape is not valid in JSON',
  InvalidCharacter: 'this character is not allowed in a JSON string',
};

/** Parses and checks a spec file's text; `baseDir` resolves its relative data paths. */
export function checkSpecText(text: string, baseDir: string): SpecFileResult {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    return {
      problems: errors.map((e) => ({
        message: `JSON syntax: ${SYNTAX_WORDS[printParseErrorCode(e.error)] ?? printParseErrorCode(e.error)}`,
        path: '',
        start: e.offset,
        end: e.offset + Math.max(1, e.length),
      })),
    };
  }
  const value: unknown = root ? getNodeValue(root) : undefined;
  try {
    return { spec: resolveSpec(value, { baseDir }), problems: [] };
  } catch (e) {
    if (!(e instanceof SpecError)) {
      return { problems: [{ message: (e as Error).message ?? String(e), path: '', ...locate(root, '', text.length) }] };
    }
    return {
      problems: e.issues.map((i) => {
        const unknownKey = /unknown field/.test(i.message);
        let range = locate(root, i.path, text.length);
        if (unknownKey && root) {
          const node = findNodeAtLocation(root, splitSpecPath(i.path));
          const key = node?.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
          if (key) range = { start: key.offset, end: key.offset + key.length };
        }
        return { message: `${i.path}: ${i.message}`, path: i.path, ...range };
      }),
    };
  }
}
