/**
 * Inner tensors of an ONNX file as graph outputs without re-encoding it: a ModelProto may be
 * followed by more of itself (protobuf merges repeated fields), so the file's bytes plus a few bytes
 * listing the outputs make a model that returns them. For onnxruntime in Node and in the page.
 */
import protobuf from 'protobufjs/minimal.js';

/** `model` with `names` appended to its graph's outputs (ModelProto.graph = 7, GraphProto.output = 12). */
export function withGraphOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  if (names.length === 0) return model;
  const w = protobuf.Writer.create();
  w.uint32((7 << 3) | 2).fork();
  for (const name of names) {
    // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1: FLOAT } } }
    w.uint32((12 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(name);
    w.uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .fork()
      .uint32(1 << 3)
      .int32(1)
      .ldelim()
      .ldelim();
    w.ldelim();
  }
  w.ldelim();
  const extra = w.finish();
  const out = new Uint8Array(model.byteLength + extra.byteLength);
  out.set(model);
  out.set(extra, model.byteLength);
  return out;
}
