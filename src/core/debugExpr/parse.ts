// The debugger's expression language (breakpoint conditions, log points, Debug Console, Watch):
// a hand-written Pratt parser to a small AST. There is no member access, no calls of anything
// but whitelisted function names and no string literals, so no input can reach a prototype or
// run code: the evaluator (evaluate.ts) only looks names up in Maps it owns.
//
//   expr    := or
//   or      := and ('||' and)*            and := not ('&&' not)*
//   not     := '!' not | compare          compare := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)?
//   sum     := product (('+'|'-') product)*           product := unary (('*'|'/') unary)*
//   unary   := '-' unary | postfix        postfix := primary ('[' index ']')*
//   index   := expr | expr? ':' expr?     (a slice; `layerK` selects layer K)
//   primary := number | name | name '(' args ')' | '(' expr ')'

export type Expr =
  | { kind: 'num'; value: number; at: number }
  | { kind: 'name'; name: string; at: number }
  | { kind: 'call'; name: string; args: Expr[]; at: number }
  | { kind: 'unary'; op: '-' | '!'; arg: Expr; at: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; at: number }
  | { kind: 'index'; target: Expr; index: Expr; at: number }
  | { kind: 'slice'; target: Expr; from: Expr | null; to: Expr | null; at: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

/** A parse or evaluation error: one line, naming the offending token and its column (1-based). */
export class ExprError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
    this.name = 'ExprError';
  }
}

interface Token {
  kind: 'num' | 'name' | 'op' | 'end';
  text: string;
  at: number;
}

/** Longest operators first, so `<=` is not read as `<` then `=`. */
const OPERATORS = ['&&', '||', '<=', '>=', '==', '!=', '+', '-', '*', '/', '<', '>', '!', '(', ')', '[', ']', ':', ','];
/** Longest accepted source: a condition is a line, not a program. */
export const MAX_EXPRESSION_LENGTH = 1000;
const MAX_DEPTH = 64;

function show(t: Token): string {
  return t.kind === 'end' ? 'end of expression' : `'${t.text}' at column ${t.at + 1}`;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === ' ' || ch === '\t') { i++; continue; }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i, i + 64));
    if (num) {
      out.push({ kind: 'num', text: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 64));
    if (name) {
      out.push({ kind: 'name', text: name[0], at: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character '${ch}' at column ${i + 1}`, i);
    out.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', at: src.length });
  return out;
}

const BINARY: Record<string, { prec: number; op: BinaryOp }> = {
  '||': { prec: 1, op: '||' },
  '&&': { prec: 2, op: '&&' },
  '<': { prec: 4, op: '<' }, '<=': { prec: 4, op: '<=' }, '>': { prec: 4, op: '>' }, '>=': { prec: 4, op: '>=' },
  '==': { prec: 4, op: '==' }, '!=': { prec: 4, op: '!=' },
  '+': { prec: 5, op: '+' }, '-': { prec: 5, op: '-' },
  '*': { prec: 6, op: '*' }, '/': { prec: 6, op: '/' },
};
/** `!` binds looser than comparisons (`!loss > 1` is `!(loss > 1)`), `-` tighter than `*`. */
const NOT_PREC = 3;

/** Parses one expression; throws ExprError naming the bad token. */
export function parseExpression(src: string): Expr {
  if (src.length > MAX_EXPRESSION_LENGTH) throw new ExprError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token => tokens[pos];
  const next = (): Token => tokens[pos++];
  const expect = (text: string, what: string): Token => {
    const t = next();
    if (t.kind !== 'op' || t.text !== text) throw new ExprError(`expected '${text}' ${what}, found ${show(t)}`, t.at);
    return t;
  };

  function expr(minPrec: number, depth: number): Expr {
    if (depth > MAX_DEPTH) throw new ExprError(`expression nested deeper than ${MAX_DEPTH} levels`, peek().at);
    let left = prefix(depth);
    for (;;) {
      const t = peek();
      const b = t.kind === 'op' ? BINARY[t.text] : undefined;
      if (!b || b.prec < minPrec) return left;
      next();
      // Comparisons do not chain: `a < b < c` is an error, not a surprise.
      const right = expr(b.prec + 1, depth + 1);
      left = { kind: 'binary', op: b.op, left, right, at: t.at };
      if (b.prec === 4) {
        const again = peek();
        if (again.kind === 'op' && BINARY[again.text]?.prec === 4) throw new ExprError(`comparisons do not chain: ${show(again)}; join them with &&`, again.at);
      }
    }
  }

  function prefix(depth: number): Expr {
    const t = peek();
    if (t.kind === 'op' && t.text === '!') {
      next();
      return { kind: 'unary', op: '!', arg: expr(NOT_PREC, depth + 1), at: t.at };
    }
    if (t.kind === 'op' && t.text === '-') {
      next();
      return { kind: 'unary', op: '-', arg: expr(7, depth + 1), at: t.at };
    }
    return postfix(primary(depth), depth);
  }

  function primary(depth: number): Expr {
    const t = next();
    if (t.kind === 'num') {
      const value = Number(t.text);
      return { kind: 'num', value, at: t.at };
    }
    if (t.kind === 'name') {
      if (peek().kind === 'op' && peek().text === '(') {
        next();
        const args: Expr[] = [];
        if (!(peek().kind === 'op' && peek().text === ')')) {
          for (;;) {
            args.push(expr(0, depth + 1));
            if (peek().kind === 'op' && peek().text === ',') { next(); continue; }
            break;
          }
        }
        expect(')', `to close the arguments of ${t.text}(`);
        return { kind: 'call', name: t.text, args, at: t.at };
      }
      return { kind: 'name', name: t.text, at: t.at };
    }
    if (t.kind === 'op' && t.text === '(') {
      const inner = expr(0, depth + 1);
      expect(')', 'to close (');
      return inner;
    }
    throw new ExprError(t.kind === 'end' ? 'incomplete expression: a value is missing at the end' : `unexpected ${show(t)}`, t.at);
  }

  function postfix(target: Expr, depth: number): Expr {
    while (peek().kind === 'op' && peek().text === '[') {
      const open = next();
      const isColon = (): boolean => peek().kind === 'op' && peek().text === ':';
      const isClose = (): boolean => peek().kind === 'op' && peek().text === ']';
      let from: Expr | null = null;
      if (!isColon()) from = expr(0, depth + 1);
      if (isColon()) {
        next();
        const to = isClose() ? null : expr(0, depth + 1);
        expect(']', 'to close the slice');
        target = { kind: 'slice', target, from, to, at: open.at };
      } else {
        expect(']', 'to close the index');
        target = { kind: 'index', target, index: from!, at: open.at };
      }
    }
    return target;
  }

  const root = expr(0, 0);
  const rest = peek();
  if (rest.kind !== 'end') throw new ExprError(`unexpected ${show(rest)}`, rest.at);
  return root;
}

/** Names an expression reads (for "does this condition need a trace?"). */
export function namesIn(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'num': break;
    case 'name': out.add(e.name); break;
    case 'call': out.add(e.name + '()'); e.args.forEach((a) => namesIn(a, out)); break;
    case 'unary': namesIn(e.arg, out); break;
    case 'binary': namesIn(e.left, out); namesIn(e.right, out); break;
    case 'index': namesIn(e.target, out); namesIn(e.index, out); break;
    case 'slice': namesIn(e.target, out); if (e.from) namesIn(e.from, out); if (e.to) namesIn(e.to, out); break;
  }
  return out;
}
