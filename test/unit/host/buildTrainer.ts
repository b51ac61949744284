// Builds the trainer bundle from the current sources into a temporary folder (the same esbuild
// options as esbuild.mjs), so the process tests never run a stale dist/trainer.js.

import * as esbuild from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname, '../../..');
let built: Promise<string> | null = null;

/** Builds trainer.js from the current sources into `out`; its path. */
export async function buildTrainerInto(out: string): Promise<string> {
  await esbuild.build({
    entryPoints: { trainer: join(root, 'src/trainer/main.ts') },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outdir: out, logLevel: 'error',
    external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  });
  return join(out, 'trainer.js');
}

/** Path of a freshly built trainer.js (built once per test process). */
export function trainerBundle(): Promise<string> {
  built ??= buildTrainerInto(mkdtempSync(join(tmpdir(), 'rnn-host-trainer-')));
  return built;
}

/** Folder of the tfjs wasm binaries (what the extension passes as wasmDir). */
export const wasmDir = dirname(createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
export const repoRoot = root;
