// The extension's own install folder, the one place native code (and the wasm kernel) may be
// loaded from. Resolved from this module's location, never from process.cwd(), the workspace,
// an environment variable or a parent folder: an editor started from a folder holding a planted
// dist/fastblas.node must not run it.

import { basename, dirname, join, resolve } from 'node:path';

/**
 * The extension root: the folder holding dist/. In a bundle (dist/extension.js, dist/trainer.js,
 * dist/cli.js) this module's code runs with __dirname = <root>/dist; run from source (tests,
 * tsx) it is <root>/src/core.
 */
export function extensionRoot(): string {
  const here = typeof __dirname === 'string' ? __dirname : '';
  if (!here) throw new Error('cannot locate the extension folder (no __dirname)');
  return basename(here) === 'dist' ? dirname(here) : resolve(here, '../..');
}

/** <root>/dist: the built artefacts (bundles, fastblas.node, the wasm kernels). */
export function installDistDir(): string {
  return join(extensionRoot(), 'dist');
}

/**
 * Whether this process may load native code at all. The extension host starts evaluator
 * processes of untrusted workspaces with RNN_DEBUGGER_NATIVE=off (an env var may only refuse
 * native code, never point at it).
 */
export function nativeAllowed(): boolean {
  return process.env.RNN_DEBUGGER_NATIVE !== 'off' && process.env.RNN_DEBUGGER_FASTBLAS !== 'off';
}
