/**
 * ONNX graphs → bytes, with the protobufjs static module generated from onnx.proto (onnx_pb.ts,
 * the decoder's module, with its encoders: no eval, so the page can write graphs too). It writes
 * what deepvis itself needs: test fixtures for ops newer than the exporters at hand, and graphs
 * built at run time (gradient graphs for onnxruntime, which mix nodes and initializers decoded from
 * the model's file — kept as they are — with new ones).
 *
 * Attributes: numbers are ints unless given as floats (`{ f: 0.5 }`, `{ floats: [...] }`).
 * Float tensors go as raw little-endian bytes, integers as int64 unless said otherwise.
 */
import { onnx } from './onnx_pb.js';

/** An attribute value: numbers are ints unless listed as floats (`{ f: 0.5 }`, `{ floats: [...] }`). */
export type EncAttr =
  | number
  | string
  | readonly number[]
  | { readonly f: number }
  | { readonly floats: readonly number[] }
  /** Inside a function: the calling node's attribute `ref` (type: AttributeProto.AttributeType). */
  | { readonly ref: string; readonly type: number }
  | EncTensor;

export interface EncNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, EncAttr | undefined>>;
  /** Node metadata (the dynamo exporter's `pkg.torch.onnx.name_scopes`, …). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export type EncType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';

export interface EncTensor {
  readonly name?: string;
  readonly dims: readonly number[];
  readonly dtype: EncType;
  /** The values; none: the dims are written alone, unchecked, as a hostile file may (test/hostile/). */
  readonly data: ArrayLike<number> | BigInt64Array;
  /** Data in another file instead (`data` ignored): location, offset, length, written as strings as ONNX does. */
  readonly external?: {
    readonly location: string;
    readonly offset?: number | string;
    readonly length?: number | string;
  };
}

/** A graph input or output: dims may be symbolic (a string) or unknown (null). */
export interface EncValue {
  readonly name: string;
  readonly dims?: readonly (number | string | null)[];
  readonly dtype?: EncType;
}

/** A local function (FunctionProto): nodes calling `domain:name` are replaced by its body. */
export interface EncFunction {
  readonly name: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly EncNode[];
  /** Attribute names the body reads with ref_attr_name. */
  readonly attributes?: readonly string[];
}

export interface EncGraph {
  readonly nodes: readonly EncNode[];
  readonly inputs: readonly EncValue[];
  readonly outputs: readonly EncValue[];
  readonly initializers?: readonly EncTensor[];
  readonly opset: number;
  readonly name?: string;
  readonly producer?: string;
  readonly irVersion?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly functions?: readonly EncFunction[];
  /** NodeProto / TensorProto objects decoded from another model (decodeModelProto), kept as they are, before the new ones. */
  readonly rawNodes?: readonly unknown[];
  readonly rawInitializers?: readonly unknown[];
}

// TensorProto.DataType, AttributeProto.AttributeType
const DTYPE: Record<EncType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function rawData(t: EncTensor): Uint8Array {
  const d = t.data;
  switch (t.dtype) {
    case 'float32':
      return bytesOf(d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>));
    case 'int32':
      return bytesOf(d instanceof Int32Array ? d : Int32Array.from(d as ArrayLike<number>));
    case 'bool':
    case 'uint8':
      return Uint8Array.from(d as ArrayLike<number>, (v) => (t.dtype === 'bool' ? (v ? 1 : 0) : v));
    case 'int64': {
      if (d instanceof BigInt64Array) return bytesOf(d);
      const src = d as ArrayLike<number>;
      const b = new BigInt64Array(src.length);
      for (let i = 0; i < src.length; i++) b[i] = BigInt(Math.trunc(src[i]));
      return bytesOf(b);
    }
  }
}

/** A TensorProto object. */
export function tensorProto(t: EncTensor): Record<string, unknown> {
  const head = { name: t.name ?? '', dims: [...t.dims], data_type: DTYPE[t.dtype] };
  if (t.external) {
    const { location, offset, length } = t.external;
    const kv = [
      ['location', location],
      ['offset', offset],
      ['length', length],
    ].filter(([, v]) => v != null);
    return {
      ...head,
      external_data: kv.map(([key, value]) => ({ key, value: String(value) })),
      data_location: 1,
    };
  }
  if (t.data.length === 0) return head;
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n)
    throw new Error(
      `tensor '${t.name ?? ''}': ${t.data.length} values for dims [${t.dims.join(', ')}]`,
    );
  return { ...head, raw_data: rawData(t) };
}

const isTensor = (v: object): v is EncTensor => 'dims' in v && 'data' in v;

function attrProto(name: string, v: EncAttr): Record<string, unknown> {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: [...(v as number[])] };
  const o = v as Exclude<EncAttr, number | string | readonly number[]>;
  if ('ref' in o) return { name, type: o.type, ref_attr_name: o.ref };
  if (isTensor(o)) return { name, type: ATTR.TENSOR, t: tensorProto(o) };
  if ('f' in o) return { name, type: ATTR.FLOAT, f: o.f };
  return { name, type: ATTR.FLOATS, floats: [...o.floats] };
}

const entries = (kv: Readonly<Record<string, string>> | undefined) =>
  Object.entries(kv ?? {}).map(([key, value]) => ({ key, value }));

/** A NodeProto object (`index` names a node without a name). */
export function nodeProto(n: EncNode, index = 0): Record<string, unknown> {
  const attribute = Object.entries(n.attrs ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => attrProto(k, v!));
  return {
    input: [...n.inputs],
    output: [...n.outputs],
    name: n.name ?? `${n.op}_${index}`,
    op_type: n.op,
    domain: n.domain ?? '',
    attribute,
    metadata_props: entries(n.metadata),
  };
}

function valueInfo(v: EncValue): Record<string, unknown> {
  const tensor: Record<string, unknown> = { elem_type: DTYPE[v.dtype ?? 'float32'] };
  if (v.dims)
    tensor.shape = {
      dim: v.dims.map((d) =>
        typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {},
      ),
    };
  return { name: v.name, type: { tensor_type: tensor } };
}

/** The ModelProto object for `g`. */
export function modelProto(g: EncGraph): Record<string, unknown> {
  const fns = g.functions ?? [];
  return {
    ir_version: g.irVersion ?? (g.opset >= 21 ? 10 : 8),
    producer_name: g.producer ?? 'deepvis',
    opset_import: [
      { domain: '', version: g.opset },
      ...[...new Set(fns.map((f) => f.domain))].map((domain) => ({ domain, version: 1 })),
    ],
    metadata_props: entries(g.metadata),
    functions: fns.map((f) => ({
      name: f.name,
      domain: f.domain,
      input: [...f.inputs],
      output: [...f.outputs],
      attribute: [...(f.attributes ?? [])],
      node: f.nodes.map((n, i) => nodeProto(n, i)),
      opset_import: [{ domain: '', version: g.opset }],
    })),
    graph: {
      name: g.name ?? 'graph',
      node: [...(g.rawNodes ?? []), ...g.nodes.map((n, i) => nodeProto(n, i))],
      initializer: [...(g.rawInitializers ?? []), ...(g.initializers ?? []).map(tensorProto)],
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  };
}

type Coder = { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown };
const ModelProto = (onnx as unknown as { ModelProto: Coder }).ModelProto;

/** A ModelProto object (modelProto's, or decodeModelProto's edited) → bytes. */
export function encodeModelProto(model: unknown): Uint8Array {
  const b = ModelProto.encode(model).finish();
  // A plain view, not Node's Buffer: protobufjs reads a Buffer with its Buffer reader, whose byte
  // fields come out as views that .slice() does not copy (decode.ts relies on copies).
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** ModelProto bytes for `g`. */
export function encodeOnnx(g: EncGraph): Uint8Array {
  return encodeModelProto(modelProto(g));
}

/** An ONNX file's ModelProto as protobufjs objects (byte fields are views of `bytes`: no copy of the weights). */
export function decodeModelProto(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.decode(bytes) as Record<string, unknown>;
}
