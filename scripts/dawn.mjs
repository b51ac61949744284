// Dawn's WebGPU binding (the optional package `webgpu`, prebuilt for every platform) as the
// extension ships it: dist/webgpu/<platform>/dawn.node, one platform per package, loaded by the
// trainer from there and nowhere else (src/core/gpu/dawn.ts).
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The binding's folder name for a VS Code target such as linux-x64 or darwin-arm64 (macOS: one universal binary). */
export function dawnPlatform(target) {
  const [os, arch] = target.split('-');
  return `${os}-${os === 'darwin' ? 'universal' : arch}`;
}

/**
 * Copies the binding for `target` from node_modules into <root>/dist/webgpu/<platform>/; returns
 * that folder relative to root, or null when the package (or that platform) is not installed.
 */
export function copyDawn(root, target) {
  const plat = dawnPlatform(target);
  const from = join(root, 'node_modules/webgpu/dist', plat);
  if (!existsSync(from)) return null;
  const to = join(root, 'dist/webgpu', plat);
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) copyFileSync(join(from, f), join(to, f));
  copyFileSync(join(root, 'node_modules/webgpu/LICENSE.md'), join(root, 'dist/webgpu/LICENSE.md'));
  return `dist/webgpu/${plat}`;
}
