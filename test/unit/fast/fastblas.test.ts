// The native SGEMM bridge checks every argument it is given: a call from JavaScript with a wrong
// type, a negative size or leading dimension, or a view too small must throw, never touch memory
// outside a Float32Array. Compiled here from fastblas.c with the system C compiler, the same way
// src/core/fast/native/build.mjs builds it, so the test checks this source, not a stale build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const source = resolve(__dirname, '../../../src/core/fast/native/fastblas.c');
const headers = [join(resolve(dirname(process.execPath), '..'), 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) => existsSync(join(d, 'node_api.h')));

interface FastBlas {
  available: boolean;
  sgemm(...args: unknown[]): void;
}

// The bridge is optional (build.mjs skips it without a compiler or headers); so is this test, visibly.
const cc = process.env.CC || 'cc';
const noBuild = !headers ? 'node_api.h not found' : spawnSync(cc, ['--version']).status !== 0 ? `no C compiler (${cc})` : false;

function build(): FastBlas {
  const out = join(mkdtempSync(join(tmpdir(), 'fastblas-')), 'fastblas.node');
  const res = spawnSync(cc, ['-O2', '-Wall', '-Werror', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=fastblas', `-I${headers}`, '-o', out, source, '-ldl'], { encoding: 'utf8' });
  assert.equal(res.status, 0, `cc failed: ${res.error?.message ?? res.stderr}`);
  return createRequire(__filename)(out) as FastBlas;
}

test('sgemm rejects every malformed argument before calling BLAS', { skip: noBuild }, () => {
  const fb = build();
  const A = new Float32Array([1, 2, 3, 4]), B = new Float32Array([5, 6, 7, 8]), C = new Float32Array(4);
  // sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
  const ok: unknown[] = [false, false, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2];
  const withArg = (i: number, v: unknown): unknown[] => ok.map((x, k) => (k === i ? v : x));
  const cases: [unknown[], RegExp][] = [
    [withArg(2, -1), /M, N and K must be >= 0/],
    [withArg(4, -2), /M, N and K must be >= 0/],
    [withArg(7, 1), /leading dimension/], // lda 1 < K = 2: rows would overlap and run past A
    [withArg(7, -5), /leading dimension/],
    [withArg(9, 0), /leading dimension/],
    [withArg(12, -2147483648), /leading dimension/],
    [withArg(2, 2.5), /M must be a 32-bit integer/],
    [withArg(3, 2 ** 32 + 2), /N must be a 32-bit integer/],
    [withArg(4, '2'), /K must be a 32-bit integer/],
    [withArg(0, 'yes'), /transA must be a boolean/],
    [withArg(5, 'one'), /alpha must be a number/],
    [withArg(10, null), /beta must be a number/],
    [withArg(6, new Float64Array(4)), /Float32Arrays/],
    [withArg(6, A.subarray(1)), /too small/],
    [withArg(12, 3), /too small/], // C [2, 2] with ldc 3 needs 5 elements
    [[false, false, 2, 2, 2, 1, A, 2, B, 2, 0, C], /13 arguments/],
  ];
  for (const [args, re] of cases) assert.throws(() => fb.sgemm(...args), re, `args ${args.map((a) => (ArrayBuffer.isView(a) ? `[${(a as Float32Array).length}]` : String(a))).join(', ')}`);
  // A well-formed call either multiplies (with a BLAS installed) or says that none is loaded.
  if (fb.available) {
    fb.sgemm(...ok);
    assert.deepEqual([...C], [19, 22, 43, 50]);
  } else {
    assert.throws(() => fb.sgemm(...ok), /no BLAS library was loaded/);
  }
});
