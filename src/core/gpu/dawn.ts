// Opens a WebGPU device through Dawn's Node binding (the optional `webgpu` package), loaded only
// from this install's own folder: dist/webgpu/<platform>-<arch>/dawn.node next to the bundle, or
// the package in the repository's node_modules when running from source. Says which adapter it
// got and whether it is a software one (llvmpipe, lavapipe, SwiftShader).
/// <reference types="webgpu" />

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hasGpuDeviceNode, hasVulkanLoader, VULKAN_LOADER } from './linuxGpuProbe';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** An opened device and what it is, in words the status line can show. */
export interface GpuDevice {
  device: GPUDevice;
  adapterName: string;
  /** 'Vulkan', 'Metal', 'D3D12', 'OpenGL', … (the Dawn backend that was asked for). */
  api: string;
  software: boolean;
  limits: GPUSupportedLimits;
  /** e.g. "GPU · llvmpipe (software) · OpenGL (WebGPU)". */
  label: string;
  /** Set once the device is lost (driver reset, sleep, destroy()). */
  lostReason: string | null;
  usage: { STORAGE: number; UNIFORM: number; COPY_SRC: number; COPY_DST: number; MAP_READ: number };
  mapRead: number;
}

/** The runtime can load dawn.node: a real Node binary, not Electron's (see the README, GPU). */
export function runtimeRefusal(versions: NodeJS.ProcessVersions = process.versions): string | null {
  if (versions.electron) return `this process is Electron ${versions.electron}, whose Node cannot load Dawn (WebGPU needs a real node binary)`;
  const major = Number(versions.node.split('.')[0]);
  if (major < 20) return `Node ${versions.node} is older than 20`;
  return null;
}

const platformDir = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;

/** Where dawn.node may be, in order: beside the bundle, then the source tree's node_modules. */
export function dawnCandidates(): string[] {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [
    join(here, 'webgpu', platformDir, 'dawn.node'),
    join(here, '..', '..', '..', 'node_modules', 'webgpu', 'dist', platformDir, 'dawn.node'),
  ];
}

let dawn: DawnModule | null = null;
/**
 * Every instance create() returned, kept for the life of the process: dawn.node crashes in
 * InstanceBase::ProcessEvents when one is garbage-collected.
 */
const instances: GPU[] = [];

function loadDawn(): DawnModule {
  if (dawn) return dawn;
  const why = runtimeRefusal();
  if (why) throw new Error(why);
  const file = dawnCandidates().find((f) => existsSync(f));
  if (!file) throw new Error(`the WebGPU binding (dawn.node for ${platformDir}) is not installed with this extension`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  dawn = require(file) as DawnModule;
  return dawn;
}

/** Software rasterisers report themselves by architecture or by name. */
export function isSoftwareAdapter(info: { architecture?: string; device?: string; description?: string; vendor?: string }): boolean {
  if (/^(software|cpu)$/i.test(info.architecture ?? '')) return true;
  return /llvmpipe|lavapipe|swiftshader|softpipe|software/i.test(`${info.device ?? ''} ${info.description ?? ''} ${info.vendor ?? ''}`);
}

function adapterName(info: GPUAdapterInfo): string {
  const raw = info.description || info.device || info.vendor || 'unknown adapter';
  // Mesa's GL device id reads "llvmpipe-llvm-15-0-6-256-bits-": the driver name is enough.
  const m = /^(llvmpipe|lavapipe|softpipe|swiftshader)/i.exec(info.device ?? '');
  return m ? m[1].toLowerCase() : raw.trim();
}

const nativeApi = process.platform === 'darwin' ? 'Metal' : process.platform === 'win32' ? 'D3D12' : 'Vulkan';

export interface OpenOptions {
  /** Accept a software adapter (an explicit `backend: "webgpu"`); 'auto' never does. */
  allowSoftware: boolean;
}

/** What was found when no usable adapter was: one line per API tried. */
export class NoAdapterError extends Error {}

/**
 * Opens the first usable adapter: the platform's native API (Vulkan/Metal/D3D12), then OpenGL
 * in compatibility mode (Mesa's llvmpipe on a machine without a GPU). A software adapter is
 * refused unless `allowSoftware`.
 */
export async function openGpu(opts: OpenOptions): Promise<GpuDevice> {
  // One device per process and kind: a second caller (the CLI's check, then the run) shares it
  // unless it was lost.
  const key = opts.allowSoftware ? 'any' : 'hardware';
  const cached = await opened.get(key)?.catch(() => null);
  if (cached && cached.lostReason === null) return cached;
  const p = openFresh(opts);
  opened.set(key, p);
  return p;
}

const opened = new Map<string, Promise<GpuDevice>>();

async function openFresh(opts: OpenOptions): Promise<GpuDevice> {
  const mod = loadDawn();
  const found: string[] = [];
  const attempts: { api: string; flags: string[]; request: GPURequestAdapterOptions }[] = [
    { api: nativeApi, flags: [], request: { powerPreference: 'high-performance' } },
  ];
  if (process.platform === 'linux') {
    // Dawn's GL backend on Linux goes through EGL; without a display Mesa needs the surfaceless platform.
    if (!process.env.EGL_PLATFORM && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) process.env.EGL_PLATFORM = 'surfaceless';
    attempts.push({ api: 'OpenGL', flags: ['backend=opengl'], request: { featureLevel: 'compatibility' } as GPURequestAdapterOptions });
  }
  for (const a of attempts) {
    if (a.api === 'Vulkan' && process.platform === 'linux' && !hasVulkanLoader()) {
      found.push(`Vulkan: no Vulkan loader (${VULKAN_LOADER}) on this machine`);
      continue;
    }
    if (a.api === 'OpenGL' && !opts.allowSoftware && !hasGpuDeviceNode()) {
      found.push('OpenGL: no GPU device node (/dev/dri/renderD*, /dev/nvidia0, /dev/dxg): only a software renderer, not chosen automatically');
      continue;
    }
    const gpu = mod.create(a.flags);
    instances.push(gpu);
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter(a.request);
    } catch (e) {
      found.push(`${a.api}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!adapter) {
      found.push(`${a.api}: no adapter`);
      continue;
    }
    const info = adapter.info;
    const name = adapterName(info);
    const software = isSoftwareAdapter(info);
    if (software && !opts.allowSoftware) {
      found.push(`${a.api}: ${name} (software, not chosen automatically)`);
      continue;
    }
    const l = adapter.limits;
    // Ask for the adapter's own limits: the defaults (128 invocations on compatibility devices,
    // 128 MiB bindings) are lower than what most adapters have.
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      },
    });
    const g = mod.globals as { GPUBufferUsage: GpuDevice['usage']; GPUMapMode: { READ: number } };
    const dev: GpuDevice = {
      device,
      adapterName: name,
      api: a.api,
      software,
      limits: device.limits,
      label: `GPU · ${name}${software ? ' (software)' : ''} · ${a.api} (WebGPU)`,
      lostReason: null,
      usage: g.GPUBufferUsage,
      mapRead: g.GPUMapMode.READ,
    };
    void device.lost.then((lost) => {
      dev.lostReason = `${lost.reason}${lost.message ? `: ${lost.message}` : ''}`;
    });
    return dev;
  }
  throw new NoAdapterError(`no usable WebGPU adapter (${found.join('; ')})`);
}
