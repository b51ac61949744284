// Picks where training runs: the WebGPU engine on a hardware adapter, else the TensorFlow.js
// backend of this process (tensorflow-gpu → tensorflow, native optional packages → wasm → cpu),
// and says why each faster one was skipped, for the status line. tfjs always holds the
// parameters and the optimiser, also when the GPU engine computes the gradients.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKENDS, type BackendName } from '../protocol/spec';
import { extensionRoot, nativeAllowed } from './installDir';
import { openGpu, type GpuDevice } from './gpu/dawn';

export interface BackendChoice {
  /** 'webgpu' when the GPU engine trains, else the tfjs backend. */
  backend: BackendName;
  /** The tfjs backend that holds the parameters and runs the optimiser. */
  tfjsBackend: Exclude<BackendName, 'webgpu'>;
  /** The opened device when backend is 'webgpu'. */
  gpu?: GpuDevice;
  /**
   * tfjs-node-gpu loaded and its libtensorflow placed work on a CUDA GPU: the op-by-op engine
   * then runs every op there (the fused kernels would keep the LSTM on the CPU).
   */
  tfjsOnGpu?: boolean;
  /** Things the user should know about the choice (e.g. a software adapter asked for explicitly). */
  warnings: string[];
  /** Why each faster backend was not used, e.g. { tensorflow: 'not installed' }. */
  skipped: Partial<Record<BackendName, string>>;
  /** Versions of the libraries in use (tfjs, the backend package, node). */
  versions: Record<string, string>;
}

/**
 * The native package loaded into this process, if any. Both packages register the same tfjs
 * backend, 'tensorflow', over their own libtensorflow: one per process, so once tfjs-node-gpu is
 * loaded (and sees no GPU) it also serves 'tensorflow' on the CPU.
 */
let loadedNative: 'tensorflow' | 'tensorflow-gpu' | null = null;
/** The loaded native package's version. */
let nativeVersion: string | undefined;

/** The optional native packages, by backend. Loaded with a literal require that esbuild leaves external. */
function loadNative(backend: 'tensorflow' | 'tensorflow-gpu'): void {
  // Native code only from the extension's own node_modules: a bare require() would also search
  // node_modules folders of every parent of the install folder. A static import would make the
  // packages mandatory.
  const pkg = backend === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (!nativeAllowed()) throw Object.assign(new Error(`Cannot find module '${pkg}' (native code is disabled in this process)`), { code: 'MODULE_NOT_FOUND' });
  const root = extensionRoot();
  const dir = root ? path.join(root, 'node_modules', pkg) : '';
  if (!dir || !fs.existsSync(path.join(dir, 'package.json'))) throw Object.assign(new Error(`Cannot find module '${pkg}'`), { code: 'MODULE_NOT_FOUND' });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod: unknown = require(dir);
  loadedNative = backend;
  const v = (mod as { version?: Record<string, string> }).version;
  nativeVersion = v?.['tfjs-node'] ?? v?.['tfjs-node-gpu'];
}

/** Whether the active 'tensorflow' backend's libtensorflow runs on a GPU (the binding both packages expose). */
function tensorflowUsesGpu(): boolean {
  const binding = (tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } }).binding;
  try {
    return binding?.isUsingGpuDevice?.() === true;
  } catch {
    return false;
  }
}

function isMissingModule(e: unknown, name: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${name}'`);
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0].slice(0, 300);
}

/** Where the tfjs wasm binaries are: next to the bundle (dist/), else in node_modules. */
export function defaultWasmDir(near?: string): string {
  const candidates = [near, typeof __dirname === 'string' ? __dirname : undefined].filter((x): x is string => !!x);
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))) return dir;
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
}

let wasmPathsSet: string | null = null;

/** The tfjs backend name a choice registers: both native packages register 'tensorflow'. */
const registeredName = (name: Exclude<BackendName, 'webgpu'>): string => (name === 'tensorflow-gpu' ? 'tensorflow' : name);

async function tryBackend(name: Exclude<BackendName, 'webgpu'>, wasmDir: string, explicit: boolean): Promise<string | null> {
  try {
    if (name === 'tensorflow' || name === 'tensorflow-gpu') {
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      if (name === 'tensorflow-gpu' && loadedNative === 'tensorflow') return 'tfjs-node is already loaded in this process (one libtensorflow per process)';
      // tfjs-node-gpu, loaded first and without a GPU, serves 'tensorflow' on its CPU kernels.
      if (loadedNative !== 'tensorflow-gpu') {
        try {
          loadNative(name);
        } catch (e) {
          return isMissingModule(e, pkg) ? 'not installed' : `failed to load: ${firstLine(e)}`;
        }
      }
    }
    if (name === 'wasm') {
      if (!fs.existsSync(path.join(wasmDir, 'tfjs-backend-wasm-simd.wasm')) && !fs.existsSync(path.join(wasmDir, 'tfjs-backend-wasm.wasm'))) {
        return `wasm binaries not found in ${wasmDir}`;
      }
      // Must happen before the backend initialises; a second call after that is refused by tfjs.
      if (wasmPathsSet === null) {
        setWasmPaths(wasmDir.endsWith('/') ? wasmDir : wasmDir + '/');
        wasmPathsSet = wasmDir;
      }
    }
    const registered = registeredName(name);
    if (!tf.engine().registryFactory[registered]) return 'not registered';
    const ok = await tf.setBackend(registered);
    if (!ok) return 'failed to initialise';
    await tf.ready();
    if (tf.getBackend() !== registered) return `tfjs chose ${tf.getBackend()} instead`;
    // 'auto' takes tfjs-node-gpu only for its GPU: without one the fused CPU kernels are faster.
    if (name === 'tensorflow-gpu' && !explicit && !tensorflowUsesGpu()) return 'loaded, but its libtensorflow sees no CUDA GPU';
    return null;
  } catch (e) {
    return `failed: ${firstLine(e)}`;
  }
}

export interface SelectOptions {
  wasmDir: string;
  /**
   * Consider the WebGPU engine (training only; evaluation never needs it). A string is the
   * reason it cannot run this model (e.g. a cell it does not cover).
   */
  gpu?: boolean | string;
}

/**
 * Sets the tfjs backend, and opens the GPU when the engine will use it. 'auto' takes a hardware
 * WebGPU adapter, else the first of tensorflow-gpu, tensorflow, wasm, cpu that loads; 'webgpu'
 * also accepts a software adapter (with a warning). An explicit choice that cannot load is an
 * error naming why.
 */
export async function selectBackend(preference: BackendName | 'auto', opts: SelectOptions): Promise<BackendChoice> {
  // tfjs's own log warnings are off: the only one reaching a trainer is the cpu backend's
  // "install tfjs-node to speed things up" banner, and the choice and the skipped backends are
  // reported by us (the 'PROD' flag gates tfjs's log.warn and nothing else).
  tf.env().set('PROD', true);
  const skipped: Partial<Record<BackendName, string>> = {};
  const warnings: string[] = [];
  let gpu: GpuDevice | undefined;
  const wantGpu = opts.gpu ?? false;
  if (preference === 'auto' || preference === 'webgpu') {
    if (typeof wantGpu === 'string') skipped.webgpu = wantGpu;
    else if (wantGpu) {
      try {
        gpu = await openGpu({ allowSoftware: preference === 'webgpu' });
        if (gpu.software) warnings.push(`${gpu.adapterName} is a software adapter (the CPU emulating a GPU): training on it is correct but slower than the CPU engine`);
      } catch (e) {
        skipped.webgpu = firstLine(e);
      }
    }
    if (preference === 'webgpu' && !gpu && wantGpu) throw new Error(`backend 'webgpu' is not available: ${skipped.webgpu}`);
  }
  // The tfjs backend: for 'auto' and 'webgpu' the first that loads, else the one asked for.
  const tfjsOrder = BACKENDS.filter((b): b is Exclude<BackendName, 'webgpu'> => b !== 'webgpu');
  const order = preference === 'auto' || preference === 'webgpu' ? tfjsOrder : [preference];
  let chosen: Exclude<BackendName, 'webgpu'> | null = null;
  for (const name of order) {
    const why = await tryBackend(name, opts.wasmDir, order.length === 1);
    if (why === null) {
      chosen = name;
      break;
    }
    // With the GPU engine training, the faster tfjs backends were not skipped for speed.
    if (!gpu) skipped[name] = why;
  }
  if (!chosen) {
    if (preference !== 'auto' && preference !== 'webgpu') throw new Error(`backend '${preference}' is not available: ${skipped[preference]}`);
    throw new Error(`no TensorFlow.js backend could be loaded: ${JSON.stringify(skipped)}`);
  }
  const versions: Record<string, string> = { tfjs: tf.version.tfjs, 'tfjs-core': tf.version['tfjs-core'], node: process.versions.node };
  if (chosen === 'wasm') versions['tfjs-backend-wasm'] = version_wasm;
  if ((chosen === 'tensorflow' || chosen === 'tensorflow-gpu') && loadedNative) {
    const v = nativeVersion;
    if (v) versions[loadedNative === 'tensorflow' ? 'tfjs-node' : 'tfjs-node-gpu'] = v;
  }
  if (gpu) versions.webgpu = `${gpu.adapterName} (${gpu.api})`;
  const tfjsOnGpu = !gpu && chosen === 'tensorflow-gpu' && tensorflowUsesGpu();
  if (chosen === 'tensorflow-gpu' && !tfjsOnGpu && !gpu) warnings.push("tfjs-node-gpu's libtensorflow sees no CUDA GPU (CUDA 11.2 and cuDNN 8.1 are what it loads): its CPU kernels do the work");
  return { backend: gpu ? 'webgpu' : chosen, tfjsBackend: chosen, ...(gpu ? { gpu } : {}), ...(tfjsOnGpu ? { tfjsOnGpu } : {}), skipped, versions, warnings };
}
