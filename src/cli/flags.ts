// The command line's options: parsing `--flag value` pairs, reading them as numbers or strings,
// the bad-input error (exit code 2), where output goes and how numbers are printed.

/** Bad input: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Where the CLI writes its lines (the console, or a test's arrays). */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

export type Flags = Record<string, string | true>;

const VALUE_FLAGS = ['spec', 'data', 'task', 'cell', 'hidden', 'layers', 'steps', 'lr', 'optimizer', 'batch', 'seq', 'clip', 'backend', 'seed', 'trace-every', 'out', 'run', 'text', 'name'];
const BOOL_FLAGS = ['help', 'quiet', 'jacobian', 'no-report'];

/** `--name value`, `--name=value` and boolean `--name` options; anything else is a UsageError. */
export function parseFlags(args: string[]): Flags {
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

/** A numeric option, or undefined when absent. */
export function num(flags: Flags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${String(v)}'`);
  return n;
}

/** A string option, or undefined when absent. */
export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A number as the CLI prints it: fixed digits, '—' when absent. */
export function fmt(x: number | undefined, digits = 4): string {
  return x === undefined ? '—' : Number.isFinite(x) ? x.toFixed(digits) : String(x);
}
