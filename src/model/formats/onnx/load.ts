/** ONNX bytes → VisModel: decode (protobufjs), compile (layout pass, folding), adapt. */
import type { ForwardRunnerFactory } from '../../../engine/forward_runner.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from '../../types.js';
import { fromOnnxGraph } from './adapter.js';
import { decodeOnnx, type ExternalReader } from './decode.js';

/**
 * `runners` (Node: onnxruntime) may take the forward passes. A file with external data stays on
 * tfjs: the runner reads the file's bytes, not its folder.
 */
export async function loadOnnx(
  bytes: Uint8Array,
  source: string,
  readExternal: ExternalReader,
  meta: DeepvisMetadata = {},
  overrides: InputOverrides = {},
  runners?: ForwardRunnerFactory,
): Promise<VisModel> {
  let external = false;
  const graph = await decodeOnnx(bytes, source, (location) => {
    external = true;
    return readExternal(location);
  });
  const runner =
    runners && !external && graph.inputs.length === 1
      ? runners(graph.inputs[0].name, graph.outputs)
      : null;
  const noRunner = !runners
    ? 'no native engine here (only Node loads onnxruntime)'
    : external
      ? 'the file keeps its weights in external data files'
      : graph.inputs.length !== 1
        ? 'the model has more than one input'
        : runners.whyNot?.() || 'onnxruntime is unavailable';
  return fromOnnxGraph(graph, source, meta, overrides, runner, runner ? '' : noRunner);
}
