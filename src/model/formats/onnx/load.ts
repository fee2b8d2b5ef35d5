/** ONNX bytes → VisModel: decode (protobufjs), compile (layout pass, folding), adapt. */
import type { DeepvisMetadata, InputOverrides, VisModel } from '../../types.js';
import { fromOnnxGraph } from './adapter.js';
import { decodeOnnx, type ExternalReader } from './decode.js';

export async function loadOnnx(
  bytes: Uint8Array, source: string, readExternal: ExternalReader, meta: DeepvisMetadata = {}, overrides: InputOverrides = {},
): Promise<VisModel> {
  const graph = await decodeOnnx(bytes, source, readExternal);
  return fromOnnxGraph(graph, source, meta, overrides);
}
