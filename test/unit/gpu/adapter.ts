// The GPU tests' adapter: a software one is fine (llvmpipe through Mesa's OpenGL). Without any
// adapter a test fails under CI (it must not pass by skipping there) and skips elsewhere.

import type { TestContext } from 'node:test';
import { openGpu, type GpuDevice } from '../../../src/core/gpu/dawn';

/** The shared test device (openGpu reuses it until it is lost), or null after skipping (locally) / throws (under CI) when none exists. */
export async function testGpu(t: TestContext): Promise<GpuDevice | null> {
  const g = await openGpu({ allowSoftware: true }).catch((e: Error) => e.message);
  if (typeof g !== 'string') return g;
  if (process.env.CI) throw new Error(`CI needs a WebGPU adapter for the GPU tests: ${g}`);
  t.skip(`no WebGPU adapter here (${g})`);
  return null;
}
