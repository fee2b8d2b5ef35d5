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
  dispose(): void;
}

/**
 * Makes a runner for one loaded ONNX file (its input's name and graph outputs), or null when the
 * file cannot run there. Made per file by whoever knows where its bytes live (onnxRuntimeRunner).
 */
export type ForwardRunnerFactory = (inputName: string, graphOutputs: readonly string[]) => ForwardRunner | null;
