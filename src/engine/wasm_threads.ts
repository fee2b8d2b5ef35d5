/**
 * Multi-threaded wasm in Node. tfjs-backend-wasm ships a threaded-SIMD build but reports no thread
 * support in Node, because Emscripten starts its pthread workers from blob: URLs, which Node's
 * worker_threads refuses. Here, for the duration of the backend's initialization:
 *  - Blob and URL.createObjectURL are wrapped so the source text behind each blob: URL is known;
 *  - worker_threads.Worker is wrapped so that a blob: URL becomes an eval'd worker of that source,
 *    whose "load the main script" step evaluates the module factory handed over in workerData
 *    (with the few bundle-level names it refers to) instead of importing a blob;
 *  - the thread count is set explicitly, and os.cpus() reports twice that many while the module
 *    starts: the C++ side caps its pool at emscripten_num_logical_cores()/2, computed once at
 *    start-up from os.cpus() (meant for hyper-threads; on 2 real cores it would leave one thread).
 * If anything fails, the caller falls back to the single-threaded SIMD build.
 *
 * Node modules are reached through process.getBuiltinModule, not imports, so this file bundles for
 * the browser unchanged (where it is never called).
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { wasmWorkers } from './internals.js';

const LOAD_MAIN_SCRIPT =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

type Builtins = {
  'node:module': typeof import('node:module');
  'node:os': typeof import('node:os');
  'node:path': typeof import('node:path');
  'node:worker_threads': typeof import('node:worker_threads');
};

function builtin<K extends keyof Builtins>(name: K): Builtins[K] {
  const get = (process as unknown as { getBuiltinModule?: (n: string) => unknown })
    .getBuiltinModule;
  if (!get)
    throw new Error(
      'deepvis: process.getBuiltinModule is missing (Node ≥ 20.16 needed for wasm threads)',
    );
  return get(name) as Builtins[K];
}

export function canThreadWasmInNode(): boolean {
  return (
    typeof process !== 'undefined' &&
    process.versions?.node != null &&
    typeof SharedArrayBuffer !== 'undefined' &&
    typeof (process as unknown as { getBuiltinModule?: unknown }).getBuiltinModule === 'function'
  );
}

/** Cores Node reports (os.availableParallelism). */
export function nodeCores(): number {
  const os = builtin('node:os');
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

/** Prepares the next wasm backend initialization to use `threads` threads. Returns an undo for the init-time patches. */
export function prepareThreadedWasm(threads: number): () => void {
  const require = builtin('node:module').createRequire(import.meta.url);
  const workerThreads = builtin('node:worker_threads');
  const wasmDir = builtin('node:path').dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const sources = new WeakMap<Blob, string>();
  const urlSources = new Map<string, string>();
  let mainScript: string | null = null;

  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL;
  class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        sources.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) mainScript = text;
      }
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = (obj: Blob) => {
    const url = originalCreate.call(URL, obj);
    const text = sources.get(obj);
    if (text != null) urlSources.set(url, text);
    return url;
  };

  const OriginalWorker = workerThreads.Worker;
  if (!(OriginalWorker as unknown as { deepvis?: boolean }).deepvis) {
    class BlobWorker extends OriginalWorker {
      static deepvis = true;
      constructor(url: string | URL, options?: import('node:worker_threads').WorkerOptions) {
        const source = typeof url === 'string' ? urlSources.get(url) : undefined;
        if (source == null || mainScript == null) {
          super(url, options);
          return;
        }
        const prelude = [
          'var require$$0=require("fs"),require$$1=require("path"),require$$3=require("perf_hooks"),require$$4=require("os");',
          'var commonjsGlobal=globalThis;',
          `var __dirname=${JSON.stringify(wasmDir)};`,
        ].join('');
        const patched = source.replace(
          LOAD_MAIN_SCRIPT,
          '(0,eval)(require("worker_threads").workerData.deepvisMain);',
        );
        if (patched === source)
          throw new Error('deepvis: unexpected tfjs-backend-wasm worker script');
        super(patched, {
          ...options,
          eval: true,
          workerData: { deepvisMain: prelude + mainScript },
        });
      }
    }
    workerThreads.Worker = BlobWorker as unknown as typeof OriginalWorker;
  }

  const os = builtin('node:os');
  const originalCpus = os.cpus;
  os.cpus = () => {
    const real = originalCpus.call(os);
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  return () => {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
  };
}

/**
 * The pool's workers must not keep Node alive: a CLI run would never exit. They are idle between
 * kernels, and the process ends when the main thread is done.
 */
export function unrefWasmWorkers(): void {
  for (const w of wasmWorkers()) (w as { unref?: () => void }).unref?.();
}
