/**
 * A second engine for forward passes only (issue 20, item 3): onnxruntime in Node for imported
 * ONNX models, where a scan or a metric runs thousands of forwards and no gradient. The model's
 * adapter decides when to use it (never under a gradient, never with a layer offset); callers keep
 * calling VisModel.activations / predict. Types only: the browser never loads a runner.
 */

/** A dense float tensor on the host, in the model file's own layout (NCHW for images). */
export interface HostArray {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface ForwardRunner {
  /** For `inspect` and the benchmark: 'onnxruntime-node 1.30.0'. */
  readonly name: string;
  /** The graph tensors `outputs` (any node output of the file) for one input batch. */
  run(input: HostArray, outputs: readonly string[]): HostArray[];
  /** Other graphs on the same engine (gradient graphs built from the file, issue 26), if it runs any. */
  readonly graphs?: NativeGraphs;
  dispose(): void;
}

/** A tensor crossing into or out of a native session: floats, or the masks and indices a backward pass keeps. */
export interface HostValue {
  readonly type: 'float32' | 'bool' | 'int64' | 'int32' | 'uint8';
  readonly data: Float32Array | Uint8Array | BigInt64Array | Int32Array;
  readonly dims: readonly number[];
}

/** Runs any ONNX graph given as bytes, on the engine that runs the file. */
export interface NativeGraphs {
  /** The model file's bytes (read again if they were collected), for builders of derived graphs. */
  modelBytes(): Uint8Array;
  /**
   * A session on `bytes`; the caller disposes it. `external`: files the graph's initializers point
   * into (ONNX external data), given in memory — only where `externalData` is true.
   */
  session(
    bytes: Uint8Array,
    external?: ReadonlyArray<{ readonly path: string; readonly data: Uint8Array }>,
  ): NativeSession;
  /**
   * Called after sessions are opened, once the caller holds no more of the bytes it read for them:
   * frees those bytes now (a model's size, read again for each session) rather than at the next
   * collection, which a run's allocations outside the JS heap do not trigger.
   */
  release?(): void;
  /** Whether sessions take external data in memory (so a derived graph can point at the file's weights instead of copying them). */
  readonly externalData?: boolean;
}

export interface NativeSession {
  run(feeds: Readonly<Record<string, HostValue>>, fetches: readonly string[]): HostValue[];
  dispose(): void;
}

/**
 * Makes a runner for one loaded ONNX file (its input's name and graph outputs), or null when the
 * file cannot run there. Made per file by whoever knows where its bytes live (onnxRuntimeRunner).
 */
export type ForwardRunnerFactory = ((
  inputName: string,
  graphOutputs: readonly string[],
) => ForwardRunner | null) & {
  /** Why the factory makes no runner here (onnxruntime not installed, …). */
  readonly whyNot?: () => string;
};

/** An ONNX graph as a file: its bytes and the files its initializers point into (external data in memory). */
export interface GraphFile {
  readonly bytes: Uint8Array;
  readonly external: ReadonlyArray<{ readonly path: string; readonly data: Uint8Array }>;
}

/**
 * An engine that runs ONNX graphs only asynchronously (onnxruntime-web on WebGPU in the page),
 * which tfjs's tape cannot wait for: gradient graphs run there ahead of a tape pass
 * (VisModel.gradientAhead) or for views that wait (the page's backprop view).
 */
export interface AsyncGraphs {
  /** 'onnxruntime-web 1.30.0 (WebGPU, google swiftshader)'. */
  readonly name: string;
  /** Runs the graph `key` (made by `graph` when it has no session for it) on `feeds`: the outputs `fetch`, in order. */
  run(
    key: string,
    graph: () => GraphFile,
    feeds: Readonly<Record<string, HostArray>>,
    fetch: readonly string[],
  ): Promise<HostArray[]>;
}
