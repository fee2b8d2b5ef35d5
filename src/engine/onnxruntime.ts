/**
 * onnxruntime-node as a ForwardRunner (Node only; an optional dependency: without it, or at
 * another version, deepvis runs every forward on tfjs). deepvis's forwards are synchronous
 * (VisModel.activations), so this drives the package's native binding directly — its
 * InferenceSession.run is synchronous; the public API only wraps it in setImmediate — which is why
 * the version is pinned and checked here, as tfjs's is in version.ts.
 * A tap of an inner tensor needs it as a graph output: a ModelProto may be followed by more of
 * itself (protobuf merges repeated fields), so the file's bytes plus a few bytes listing the
 * outputs make the session, one per set of taps (a few cached). Spinning worker threads are
 * turned off so that onnxruntime's pool does not compete with tfjs's between calls, and the CPU
 * arena is off so that a big batch's buffers are returned after the call.
 */
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { withGraphOutputs } from './graph_outputs.js';
import { setNativeSessions } from './native_matmul.js';
import { recent } from './recent.js';
import type {
  ForwardRunnerFactory,
  HostArray,
  HostValue,
  NativeSession as GraphSession,
} from './forward_runner.js';

export const ORT_VERSION = '1.30.0';
export { withGraphOutputs };
const SESSIONS_KEPT = 3;

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(
    feeds: Record<string, unknown>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, { type: HostValue['type']; data: HostValue['data']; dims: readonly number[] }>;
  dispose(): void;
}
interface Ort {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
  Tensor: new (
    type: HostValue['type'],
    data: HostValue['data'],
    dims: readonly number[],
  ) => unknown;
}

let cached: Ort | null | undefined;

/** The binding, or null (not installed, another version, or it fails to load), with why. */
export function loadOnnxRuntime(): { ort: Ort | null; why: string } {
  if (cached !== undefined) return { ort: cached, why: cached ? '' : whyNot };
  cached = null;
  if (process.env.DEEPVIS_FORWARD === 'tfjs')
    return { ort: null, why: (whyNot = 'DEEPVIS_FORWARD=tfjs') };
  try {
    const require = createRequire(import.meta.url);
    const version = (require('onnxruntime-node/package.json') as { version: string }).version;
    if (version !== ORT_VERSION)
      return {
        ort: null,
        why: (whyNot = `onnxruntime-node ${version} installed; deepvis drives ${ORT_VERSION}`),
      };
    const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as Pick<
      Ort,
      'binding' | 'initOrt'
    >;
    const { Tensor } = require('onnxruntime-common') as Pick<Ort, 'Tensor'>;
    initOrt();
    cached = { binding, initOrt, Tensor };
  } catch (e) {
    whyNot =
      (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      /onnxruntime-node\/package\.json/.test((e as Error).message)
        ? 'onnxruntime-node is not installed (npm drops an optional package whose install script fails)'
        : `onnxruntime-node not available (${(e as Error).message.split('\n')[0]})`;
  }
  return { ort: cached, why: whyNot };
}
let whyNot = '';

/**
 * One line for a user whose ONNX forwards fall back to tfjs because the native engine is missing,
 * with the command that installs it (its CPU binaries ship in the package; the install script only
 * fetches GPU ones, and fails offline) — or null when onnxruntime-node runs or tfjs was asked for.
 */
export function onnxRuntimeMissing(): string | null {
  const { ort, why } = loadOnnxRuntime();
  if (ort || why.startsWith('DEEPVIS_FORWARD')) return null;
  return `${why}: ONNX forwards run on tfjs, several times slower; install the native engine with: npm install onnxruntime-node@${ORT_VERSION} --ignore-scripts`;
}

const threads = () =>
  Math.max(
    1,
    Math.min(
      os.availableParallelism?.() ?? os.cpus().length,
      Number(process.env.DEEPVIS_THREADS) || Infinity,
    ),
  );

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection, to free the model bytes read for a session (hundreds of MB for a
 * ViT) before the run that follows allocates its own: ArrayBuffers outside the JS heap do not
 * make V8 collect, so without this they stay until the next collection, at the peak of the run.
 * The collector is the one `--expose-gc` exposes; when the process was not started with it, the
 * flag is set now and the function taken from a fresh context (V8 installs `gc` in new contexts).
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    const own = (globalThis as { gc?: () => void }).gc;
    if (own) gc = own;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as () => void;
      } catch {
        gc = null;
      }
    }
  }
  gc?.();
}

type External = ReadonlyArray<{ readonly path: string; readonly data: Uint8Array }>;

/** A session on `bytes` with deepvis's options (threads, no spinning, a memory arena); `external` data in memory. */
function openSession(ort: Ort, bytes: Uint8Array, external?: External): NativeSession {
  const s = new ort.binding.InferenceSession();
  s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    ...(external?.length
      ? { externalData: external.map((e) => ({ path: e.path, data: e.data })) }
      : {}),
    intraOpNumThreads: threads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // The arena keeps a session's buffers from run to run. Without it, every run mapped fresh
    // pages: ResNet-18's batch-8 gradient took 479-573 ms against 252-272 ms with it, at the same
    // peak (742-795 MB against 758-791 MB).
    enableCpuMemArena: true,
    executionProviders: [{ name: 'cpu' }],
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  return s;
}

/** Any graph's session, fed and read as HostValues. */
function graphSession(ort: Ort, bytes: Uint8Array, external?: External): GraphSession {
  const s = openSession(ort, bytes, external);
  return {
    run(feeds, fetches) {
      const inputs = Object.fromEntries(
        Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]),
      );
      const out = s.run(inputs, Object.fromEntries(fetches.map((f) => [f, null])), {});
      return fetches.map((f) => ({ type: out[f].type, data: out[f].data, dims: out[f].dims }));
    },
    dispose: () => s.dispose(),
  };
}

/**
 * The runner factory for a file whose bytes `modelBytes` gives each time a session is made. No copy
 * is kept between sessions: the tfjs side and onnxruntime's session already hold the weights, and
 * a third copy for the life of the process is the size of the model (528 MB for VGG16).
 */
export const onnxRuntimeRunner = (modelBytes: () => Uint8Array): ForwardRunnerFactory =>
  Object.assign(
    (inputName: string, graphOutputs: readonly string[]) => {
      const { ort } = loadOnnxRuntime();
      if (!ort) return null;
      const sessions = new Map<string, NativeSession>();
      const sessionFor = (outputs: readonly string[]): NativeSession => {
        const key = [...outputs].sort().join('\u0000');
        return recent(
          sessions,
          key,
          () => {
            const s = openSession(
              ort,
              withGraphOutputs(
                modelBytes(),
                [...new Set(outputs)].filter((o) => !graphOutputs.includes(o)),
              ),
            );
            collectGarbage();
            return s;
          },
          SESSIONS_KEPT,
          (old) => old.dispose(),
        );
      };
      return {
        name: `onnxruntime-node ${ORT_VERSION}`,
        run(input: HostArray, outputs: readonly string[]): HostArray[] {
          const out = sessionFor(outputs).run(
            { [inputName]: new ort.Tensor('float32', input.data, input.dims) },
            Object.fromEntries(outputs.map((o) => [o, null])),
            {},
          );
          return outputs.map((o) => ({ data: out[o].data as Float32Array, dims: out[o].dims }));
        },
        graphs: {
          modelBytes,
          session: (bytes: Uint8Array, external?: External) => graphSession(ort, bytes, external),
          externalData: true,
          release: collectGarbage,
        },
        dispose() {
          for (const s of sessions.values()) s.dispose();
          sessions.clear();
        },
      };
    },
    { whyNot: () => loadOnnxRuntime().why },
  );

// Fixed linear maps outside any model (engine/native_matmul.ts) run here too, once it loads.
setNativeSessions((bytes) => {
  const { ort } = loadOnnxRuntime();
  return ort ? graphSession(ort, bytes) : null;
});
