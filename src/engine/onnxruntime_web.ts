/**
 * onnxruntime-web's WebAssembly build as a ForwardRunner with gradient graphs, in the page (issue
 * 26, item 6). tfjs's tape is synchronous, and onnxruntime-web's public API is not (every run is a
 * Promise), so deepvis drives the CPU build's C API (_OrtCreateSession, _OrtRun, …) itself, the way
 * the package's own wasm-core-impl does but without awaiting: the plain build's _OrtRun returns
 * when the run is done. That ties deepvis to this version of the build, checked as tfjs's is; the
 * WebGPU build (JSEP) cannot run synchronously and is not used. Runs in Node too (its tests).
 */
import { withGraphOutputs } from './graph_outputs.js';
import { recent } from './recent.js';
import type {
  ForwardRunnerFactory,
  HostValue,
  NativeGraphs,
  NativeSession,
} from './forward_runner.js';

export const ORT_WEB_VERSION = '1.30.0';
/** Forward sessions kept per file (each holds the weights once more: MNIST-sized models in the page). */
const FORWARD_SESSIONS_KEPT = 3;

/** The parts of the emscripten module deepvis calls. */
interface OrtWasm {
  _OrtInit(threads: number, logLevel: number): number;
  _OrtCreateSessionOptions(
    level: number,
    arena: boolean,
    memPattern: boolean,
    mode: number,
    profiling: boolean,
    profilePrefix: number,
    logId: number,
    severity: number,
    verbosity: number,
    optimizedPath: number,
  ): number;
  _OrtAddSessionConfigEntry(options: number, key: number, value: number): number;
  _OrtReleaseSessionOptions(options: number): number;
  _OrtCreateSession(data: number, length: number, options: number): number;
  _OrtReleaseSession(session: number): number;
  _OrtCreateTensor(
    type: number,
    data: number,
    bytes: number,
    dims: number,
    rank: number,
    location: number,
  ): number;
  _OrtGetTensorData(tensor: number, type: number, data: number, dims: number, rank: number): number;
  _OrtReleaseTensor(tensor: number): number;
  _OrtRun(
    session: number,
    inNames: number,
    inValues: number,
    inCount: number,
    outNames: number,
    outCount: number,
    outValues: number,
    runOptions: number,
  ): number;
  _OrtGetLastError(code: number, message: number): void;
  _OrtFree(ptr: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  stackSave(): number;
  stackRestore(sp: number): void;
  stackAlloc(bytes: number): number;
  setValue(ptr: number, value: number, type: string): void;
  getValue(ptr: number, type: string): number;
  UTF8ToString(ptr: number): string;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, ptr: number, max: number): void;
}

const TYPE_CODE: Record<HostValue['type'], number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
};
const CODE_TYPE = Object.fromEntries(Object.entries(TYPE_CODE).map(([k, v]) => [v, k])) as Record<
  number,
  HostValue['type']
>;
const ARRAY: Record<
  HostValue['type'],
  { new (b: ArrayBuffer): HostValue['data']; BYTES_PER_ELEMENT: number }
> = {
  float32: Float32Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export interface OrtWebOptions {
  /** URL of ort-wasm-simd-threaded.mjs (the page's bundler gives it) and of its .wasm (default: next to it). */
  readonly moduleUrl: string;
  readonly wasmUrl?: string;
  /** Intra-op threads: more than 1 only in a cross-origin-isolated page. Default 1. */
  readonly threads?: number;
}

/** An initialized onnxruntime-web module: the runner factory for ONNX files in this page. */
export class OrtWeb {
  private constructor(
    private readonly m: OrtWasm,
    readonly threads: number,
  ) {}

  static async load(opts: OrtWebOptions): Promise<OrtWeb> {
    const factory = (await import(/* @vite-ignore */ opts.moduleUrl)).default as (
      arg: object,
    ) => Promise<OrtWasm>;
    const threads = opts.threads ?? 1;
    const m = await factory({
      numThreads: threads,
      ...(opts.wasmUrl ? { locateFile: () => opts.wasmUrl } : {}),
    });
    const ort = new OrtWeb(m, threads);
    if (m._OrtInit(threads, 3) !== 0) ort.fail('cannot initialize onnxruntime-web');
    return ort;
  }

  get name(): string {
    return `onnxruntime-web ${ORT_WEB_VERSION} (wasm)`;
  }

  private fail(what: string): never {
    const { m } = this;
    const sp = m.stackSave();
    try {
      const at = m.stackAlloc(8);
      m._OrtGetLastError(at, at + 4);
      const msg = m.getValue(at + 4, '*');
      throw new Error(`${what}: ${msg ? m.UTF8ToString(msg) : 'error ' + m.getValue(at, 'i32')}`);
    } finally {
      m.stackRestore(sp);
    }
  }

  private string(s: string, allocs: number[]): number {
    const n = this.m.lengthBytesUTF8(s) + 1;
    const p = this.m._malloc(n);
    this.m.stringToUTF8(s, p, n);
    allocs.push(p);
    return p;
  }

  /** A session on `bytes` (extended graph optimizations, no arena, sequential). */
  session(bytes: Uint8Array): NativeSession {
    const { m } = this;
    const allocs: number[] = [];
    const data = m._malloc(bytes.byteLength);
    m.HEAPU8.set(bytes, data);
    let options = 0;
    let handle = 0;
    try {
      // Extended, not all: at 'all' a Conv output asked for as a tap came back as no tensor
      // ("/layer2/layer2.0/conv2/Conv_output_0" of the MNIST ResNet), and the forwards fell to tfjs.
      options = m._OrtCreateSessionOptions(
        2,
        false,
        false,
        0,
        false,
        0,
        this.string('deepvis', allocs),
        3,
        0,
        0,
      );
      if (!options) this.fail('cannot create session options');
      handle = m._OrtCreateSession(data, bytes.byteLength, options);
      if (!handle) this.fail('cannot create a session');
    } finally {
      if (options) m._OrtReleaseSessionOptions(options);
      m._free(data);
      allocs.forEach((p) => m._free(p));
    }
    return {
      run: (feeds, fetches) => this.run(handle, feeds, fetches),
      dispose: () => {
        if (handle) m._OrtReleaseSession(handle);
        handle = 0;
      },
    };
  }

  private run(
    session: number,
    feeds: Readonly<Record<string, HostValue>>,
    fetches: readonly string[],
  ): HostValue[] {
    const { m } = this;
    const allocs: number[] = [];
    const tensors: number[] = [];
    const names = Object.keys(feeds);
    const sp = m.stackSave();
    try {
      const inNames = m.stackAlloc(4 * names.length),
        inValues = m.stackAlloc(4 * names.length);
      const outNames = m.stackAlloc(4 * fetches.length),
        outValues = m.stackAlloc(4 * fetches.length);
      names.forEach((name, i) => {
        const v = feeds[name];
        const bytes = new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
        const ptr = m._malloc(Math.max(1, bytes.byteLength));
        allocs.push(ptr);
        m.HEAPU8.set(bytes, ptr);
        const dims = m.stackAlloc(4 * Math.max(1, v.dims.length));
        v.dims.forEach((d, k) => m.setValue(dims + 4 * k, d, 'i32'));
        const t = m._OrtCreateTensor(
          TYPE_CODE[v.type],
          ptr,
          bytes.byteLength,
          dims,
          v.dims.length,
          1,
        );
        if (!t) this.fail(`cannot create tensor '${name}'`);
        tensors.push(t);
        m.setValue(inNames + 4 * i, this.string(name, allocs), '*');
        m.setValue(inValues + 4 * i, t, '*');
      });
      fetches.forEach((name, i) => {
        m.setValue(outNames + 4 * i, this.string(name, allocs), '*');
        m.setValue(outValues + 4 * i, 0, '*');
      });
      if (
        m._OrtRun(
          session,
          inNames,
          inValues,
          names.length,
          outNames,
          fetches.length,
          outValues,
          0,
        ) !== 0
      )
        this.fail('run failed');
      return fetches.map((_, i) => {
        const t = m.getValue(outValues + 4 * i, '*');
        tensors.push(t);
        const info = m.stackAlloc(16);
        if (m._OrtGetTensorData(t, info, info + 4, info + 8, info + 12) !== 0)
          this.fail(`cannot read output '${fetches[i]}'`);
        const type = CODE_TYPE[m.getValue(info, 'i32')];
        if (!type) throw new Error(`output '${fetches[i]}' has a type deepvis does not read`);
        const dataPtr = m.getValue(info + 4, '*'),
          dimsPtr = m.getValue(info + 8, '*'),
          rank = m.getValue(info + 12, 'i32');
        const dims = Array.from({ length: rank }, (_, k) => m.getValue(dimsPtr + 4 * k, 'i32'));
        m._OrtFree(dimsPtr);
        const A = ARRAY[type];
        const n = dims.reduce((a, b) => a * b, 1);
        const copy = new ArrayBuffer(n * A.BYTES_PER_ELEMENT);
        new Uint8Array(copy).set(m.HEAPU8.subarray(dataPtr, dataPtr + copy.byteLength));
        return { type, dims, data: new A(copy) };
      });
    } finally {
      tensors.forEach((t) => t && m._OrtReleaseTensor(t));
      allocs.forEach((p) => m._free(p));
      m.stackRestore(sp);
    }
  }

  /** The runner factory for one ONNX file's bytes (held by the page, which has them anyway). */
  runners(bytes: Uint8Array): ForwardRunnerFactory {
    const graphs: NativeGraphs = { modelBytes: () => bytes, session: (b) => this.session(b) };
    return (inputName, graphOutputs) => {
      // Forwards of inner tensors: a session whose graph lists them as outputs, the last few kept
      // (the live view and the unit panel ask for different sets every frame).
      const sessions = new Map<string, NativeSession>();
      const sessionFor = (outputs: readonly string[]): NativeSession => {
        const key = outputs.join('\u0000');
        return recent(
          sessions,
          key,
          () =>
            this.session(
              withGraphOutputs(
                bytes,
                [...new Set(outputs)].filter((o) => !graphOutputs.includes(o)),
              ),
            ),
          FORWARD_SESSIONS_KEPT,
          (old) => old.dispose(),
        );
      };
      return {
        name: this.name,
        graphs,
        run: (input, outputs) =>
          sessionFor(outputs)
            .run({ [inputName]: { type: 'float32', data: input.data, dims: input.dims } }, outputs)
            .map((v) => ({ data: v.data as Float32Array, dims: v.dims })),
        dispose: () => {
          for (const s of sessions.values()) s.dispose();
          sessions.clear();
        },
      };
    };
  }
}
