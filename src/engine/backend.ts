/**
 * Backend choice. Node defaults to wasm (SIMD); `cpu` is the slow reference; `tensorflow` is used
 * only when the user happens to have @tensorflow/tfjs-node installed (never a dependency).
 * In the browser: webgpu → webgl → wasm, the first that initializes.
 * After the switch, the engine is put in its mode (patches.ts: deepvis's patches and kernels, or
 * stock tfjs; DEEPVIS_ENGINE=stock) and given its memory budget (memory.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { DeepvisError } from '../errors.js';
import type { KernelReport } from './kernels/install.js';
import { quietCpuBanner, wasmThreadCount } from './internals.js';
import { setMemoryBudget } from './memory.js';
import { applyPatches, type PatchMode } from './patches.js';
import { checkTfjsVersion } from './version.js';
import {
  parseGradientEngine,
  setGradientEngine,
  type GradientEngineChoice,
} from './gradient_engine.js';
import {
  canThreadWasmInNode,
  nodeCores,
  prepareThreadedWasm,
  unrefWasmWorkers,
} from './wasm_threads.js';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'webgl' | 'webgpu';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow', 'webgl', 'webgpu'];

export interface EngineArgs {
  /** Default: 'wasm' in Node, the best available in a browser. */
  readonly backend?: BackendName;
  /** wasm threads (Node and cross-origin-isolated pages). Default: the number of cores, at most 4. */
  readonly threads?: number;
  /** Where the browser finds tfjs-backend-wasm's .wasm files (a folder URL or a map by file name). */
  readonly wasmPaths?: string | Record<string, string>;
  /** Gradient engine (engine/gradient_engine.ts). Default: DEEPVIS_GRADIENTS, else 'auto'. */
  readonly gradients?: GradientEngineChoice;
  /**
   * 'deepvis' (default): deepvis's patches of tfjs's autodiff and its kernels (patches.ts);
   * 'stock': plain tfjs, for comparison — the same numbers, more time and memory. (The CLI and
   * the tests take it from DEEPVIS_ENGINE: patchModeFrom.)
   */
  readonly patches?: PatchMode;
  /** Bytes a batch may take (chunking and refusals read it); default 2 GB (memory.ts). */
  readonly memoryBudget?: number;
}

export interface EngineInfo {
  backend: string;
  threads: number;
  simd: boolean;
  kernels: KernelReport;
  gradients: GradientEngineChoice;
  patches: PatchMode;
  memoryBudget: number;
}

const isNode = typeof process !== 'undefined' && process.versions?.node != null;

async function loadOptional(specifier: string): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers from trying to resolve an optional package.
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}

async function trySet(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

function defaultThreads(): number {
  const cores =
    isNode && canThreadWasmInNode()
      ? nodeCores()
      : typeof navigator !== 'undefined'
        ? navigator.hardwareConcurrency || 1
        : 1;
  return Math.max(1, Math.min(4, cores));
}

/** wasm, multi-threaded in Node when possible; the single-threaded SIMD build otherwise. */
async function setWasm(threads: number): Promise<boolean> {
  if (tf.findBackend('wasm') != null || threads <= 1 || !canThreadWasmInNode())
    return trySet('wasm');
  const undo = prepareThreadedWasm(threads);
  try {
    if (await trySet('wasm')) {
      unrefWasmWorkers();
      return true;
    }
  } finally {
    undo();
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return trySet('wasm');
}

export async function initEngine(args: EngineArgs = {}): Promise<EngineInfo> {
  checkTfjsVersion();
  const gradients =
    args.gradients ?? parseGradientEngine(isNode ? process.env.DEEPVIS_GRADIENTS : undefined);
  const wanted = args.backend ?? (isNode ? 'wasm' : undefined);
  if (wanted === 'tensorflow') {
    if (!(await loadOptional('@tensorflow/tfjs-node'))) {
      throw new DeepvisError(
        "backend 'tensorflow' needs @tensorflow/tfjs-node, which is not installed; use --backend wasm (default) or cpu",
      );
    }
  }
  if (wanted === 'webgpu') await loadOptional('@tensorflow/tfjs-backend-webgpu');
  if (wanted != null && !BACKENDS.includes(wanted)) {
    throw new DeepvisError(`unknown backend '${String(wanted)}'; known: ${BACKENDS.join(', ')}`);
  }
  if (args.wasmPaths) setWasmPaths(args.wasmPaths as never);
  // A software WebGL (SwiftShader, llvmpipe: a machine or browser without a GPU) runs convnets
  // several times slower than SIMD wasm — measured 5.9 vs 39.5 frames/s for a 64×64 VGG-like
  // model in headless Chromium (bench/app.ts) — so it goes after wasm.
  const order =
    wanted != null
      ? [wanted]
      : softwareWebGl()
        ? ['webgpu', 'wasm', 'webgl', 'cpu']
        : ['webgpu', 'webgl', 'wasm', 'cpu'];
  let chosen: string | null = null;
  const threads = args.threads ?? defaultThreads();
  for (const name of order) {
    if (name === 'wasm' ? await setWasm(threads) : await trySet(name)) {
      chosen = name;
      break;
    }
  }
  if (chosen == null)
    throw new DeepvisError(`backend '${order.join('/')}' could not be initialized here`);
  await tf.ready();
  quietCpuBanner();
  const patches = args.patches ?? 'deepvis';
  const kernels = applyPatches(patches, chosen);
  const memoryBudget = setMemoryBudget(args.memoryBudget);
  setGradientEngine(gradients);
  return {
    gradients,
    backend: chosen,
    threads: chosen === 'wasm' ? wasmThreadCount() : 1,
    simd: chosen === 'wasm' ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : false,
    kernels,
    patches,
    memoryBudget,
  };
}

/** True when the browser's WebGL is a software rasterizer. False in Node and when unsure. */
export function softwareWebGl(): boolean {
  if (isNode || typeof document === 'undefined') return false;
  try {
    const gl =
      document.createElement('canvas').getContext('webgl2') ??
      document.createElement('canvas').getContext('webgl');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(
      info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    );
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software|basic render/i.test(renderer);
  } catch {
    return false;
  }
}
