// What a Linux machine has for a GPU, asked before Dawn is: a Vulkan loader (libvulkan.so.1) for
// Dawn's Vulkan backend, and a GPU device node for a hardware OpenGL driver. Without them Dawn
// prints multi-line warnings to stderr from native code no JavaScript can silence ("Couldn't load
// Vulkan", llvmpipe's "artificially reduced" limits) and finds nothing 'auto' may use; checking
// first lets the probe skip those APIs with one line in its report instead.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VULKAN_LOADER = 'libvulkan.so.1';

/** Folders the dynamic linker searches without its cache (glibc's trusted directories, multiarch included). */
const TRUSTED_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib',
  '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

export interface LoaderSearch {
  /** The linker cache (ldconfig's output); its file names are plain bytes inside it. */
  cacheFile?: string;
  /** LD_LIBRARY_PATH as the process has it. */
  ldLibraryPath?: string;
  dirs?: readonly string[];
}

/** True when dlopen("libvulkan.so.1") could find a file: in LD_LIBRARY_PATH, the linker cache or a trusted folder. */
export function hasVulkanLoader(search: LoaderSearch = {}): boolean {
  const { cacheFile = '/etc/ld.so.cache', ldLibraryPath = process.env.LD_LIBRARY_PATH ?? '', dirs = TRUSTED_DIRS } = search;
  for (const dir of [...ldLibraryPath.split(':').filter(Boolean), ...dirs]) if (existsSync(join(dir, VULKAN_LOADER))) return true;
  try {
    return readFileSync(cacheFile).includes(`/${VULKAN_LOADER}\0`);
  } catch {
    return false;
  }
}

/**
 * Whether a hardware GPU driver could be reached: a DRM render node (Mesa's and most drivers'),
 * NVIDIA's device node, or WSL's /dev/dxg. Without one, OpenGL through EGL can only be a software
 * renderer (llvmpipe), which 'auto' never takes.
 */
export function hasGpuDeviceNode(dev = '/dev'): boolean {
  if (existsSync(join(dev, 'nvidia0')) || existsSync(join(dev, 'dxg'))) return true;
  try {
    return readdirSync(join(dev, 'dri')).some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}
