// Builds the optional native SGEMM bridge (fastblas.c) into dist/fastblas.node with the system C
// compiler and the Node-API headers that ship with Node. Offline; never fails the install:
// without a compiler or headers it prints why and the fused kernel uses its JavaScript GEMM.
// Usage: node src/core/fast/native/build.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const out = join(root, 'dist', 'fastblas.node');
const prefix = resolve(dirname(process.execPath), '..');
const headerDirs = [join(prefix, 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].filter((d) =>
  existsSync(join(d, 'node_api.h')),
);
if (!headerDirs.length) {
  console.log('fastblas: no node_api.h found; skipping the native accelerator (the JavaScript GEMM is used).');
  process.exit(0);
}
const cc = process.env.CC || 'cc';
mkdirSync(dirname(out), { recursive: true });
const args = ['-O2', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=fastblas', `-I${headerDirs[0]}`, '-o', out, join(here, 'fastblas.c'), '-ldl'];
const res = spawnSync(cc, args, { stdio: 'inherit' });
if (res.status !== 0) {
  console.log(`fastblas: ${cc} failed (${res.error?.message ?? `exit ${res.status}`}); the JavaScript GEMM is used.`);
  process.exit(0);
}
console.log(`fastblas: built ${out}`);
