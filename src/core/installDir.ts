// The extension's own install folder, the one place native code (and the wasm kernel) may be
// loaded from. Resolved from this module's location, never from process.cwd(), the workspace,
// an environment variable or a parent folder: an editor started from a folder holding a planted
// dist/fastblas.node must not run it.

import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Run from source (tsx: tests, bench, scripts) this file is itself; in a bundle it is dist/<bundle>.js. */
const fromSource = typeof __filename === 'string' && /^installDir\.[cm]?[jt]s$/.test(basename(__filename));

/**
 * The folder of the built artefacts this code may load (fastblas.node, the wasm kernels): the
 * bundle's own folder (<extension>/dist when installed), or <repository>/dist when run from source.
 */
export function installDistDir(): string {
  if (typeof __dirname !== 'string') throw new Error('cannot locate the extension folder (no __dirname)');
  return fromSource ? resolve(__dirname, '../../dist') : __dirname;
}

/**
 * The extension root (holding package.json and, in a platform package, node_modules/), or null
 * when the bundle does not sit in an extension of this name (a test bundle in a temporary folder):
 * then no node_modules are looked at.
 */
export function extensionRoot(): string | null {
  const root = dirname(installDistDir());
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string };
    return pkg.name === 'rnn-debugger' ? root : null;
  } catch {
    return null;
  }
}

/**
 * Whether this process may load native code at all. The extension host starts evaluator
 * processes of untrusted workspaces with RNN_DEBUGGER_NATIVE=off (an env var may only refuse
 * native code, never point at it).
 */
export function nativeAllowed(): boolean {
  return process.env.RNN_DEBUGGER_NATIVE !== 'off' && process.env.RNN_DEBUGGER_FASTBLAS !== 'off';
}

