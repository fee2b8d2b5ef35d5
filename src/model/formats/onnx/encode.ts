/**
 * ONNX graphs → bytes, with the protobufjs static encoder generated from onnx.proto (onnx_pb.ts, the
 * decoder's module: no eval, so the page can build graphs too). One call for the common case —
 * nodes, initializers, inputs and outputs → a ModelProto's bytes — used by the gradient-graph
 * builder (grad/) and by tests that write small graphs for onnxruntime to check.
 *
 * Attribute types follow the value: an integer number is INT, any other number FLOAT (wrap a
 * whole-number float as `{ float: 1 }`), number arrays INTS unless one is fractional (or
 * `{ floats: [...] }`), strings STRING, a TensorSpec TENSOR.
 */
import { onnx } from './onnx_pb.js';

export type TensorType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';
export type TensorValues = Float32Array | Int32Array | BigInt64Array | Uint8Array | readonly number[];

export interface TensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  /** Default: float32 for a Float32Array or a number array, int64 for a BigInt64Array, … */
  readonly dtype?: TensorType;
  readonly data: TensorValues;
}

export type AttrSpec =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | TensorSpec
  | { readonly float: number }
  | { readonly floats: readonly number[] };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrSpec | undefined>>;
}

/** A graph input or output; dims null/strings are symbolic (a free batch size). */
export interface ValueSpec {
  readonly name: string;
  readonly dtype?: TensorType;
  readonly dims?: readonly (number | string | null)[];
}

export interface GraphSpec {
  readonly name?: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly TensorSpec[];
  readonly inputs: readonly (string | ValueSpec)[];
  readonly outputs: readonly (string | ValueSpec)[];
  /** NodeProto / TensorProto objects decoded from another model (decodeModelProto), kept as they are, placed first. */
  readonly rawNodes?: readonly unknown[];
  readonly rawInitializers?: readonly unknown[];
}

export interface ModelSpec {
  readonly graph: GraphSpec;
  /** ai.onnx opset. Default 17. */
  readonly opset?: number;
  /** Other domains' opsets ('com.microsoft': 1). */
  readonly opsets?: Readonly<Record<string, number>>;
  /** Default 8 (onnxruntime 1.30 reads up to 11). */
  readonly irVersion?: number;
  readonly producer?: string;
}

// TensorProto.DataType and AttributeProto.AttributeType
const DATA_TYPE: Record<TensorType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

const encoder = new TextEncoder();

function typeOf(t: TensorSpec): TensorType {
  if (t.dtype) return t.dtype;
  if (t.data instanceof BigInt64Array) return 'int64';
  if (t.data instanceof Int32Array) return 'int32';
  if (t.data instanceof Uint8Array) return 'uint8';
  return 'float32';
}

function rawBytes(type: TensorType, data: TensorValues): Uint8Array {
  const arr = (() => {
    if (type === 'float32') return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    if (type === 'int64') return data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(v))));
    if (type === 'int32') return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
    return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>);
  })();
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** A TensorProto object (raw_data little-endian, as every platform deepvis runs on is). */
export function tensorProto(t: TensorSpec): Record<string, unknown> {
  const type = typeOf(t);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new Error(`tensor '${t.name}': ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  return { name: t.name, dims: [...t.dims], data_type: DATA_TYPE[type], raw_data: rawBytes(type, t.data) };
}

const isTensor = (v: unknown): v is TensorSpec => typeof v === 'object' && v != null && 'dims' in v && 'data' in v;

function attrProto(name: string, v: AttrSpec): Record<string, unknown> {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: encoder.encode(v) };
  if (isTensor(v)) return { name, type: ATTR.TENSOR, t: tensorProto(v) };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: ATTR.FLOATS, floats: [...v.floats] };
  const list = v as readonly (number | string)[];
  if (list.some((x) => typeof x === 'string')) return { name, type: ATTR.STRINGS, strings: list.map((x) => encoder.encode(String(x))) };
  const nums = list as readonly number[];
  return nums.every(Number.isInteger) ? { name, type: ATTR.INTS, ints: [...nums] } : { name, type: ATTR.FLOATS, floats: [...nums] };
}

export function nodeProto(n: NodeSpec): Record<string, unknown> {
  const attribute = Object.entries(n.attrs ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => attrProto(k, v!));
  return { input: [...n.inputs], output: [...n.outputs], name: n.name ?? '', op_type: n.op, domain: n.domain ?? '', attribute };
}

export function valueInfoProto(v: string | ValueSpec): Record<string, unknown> {
  const spec = typeof v === 'string' ? { name: v } : v;
  const tensor: Record<string, unknown> = { elem_type: DATA_TYPE[spec.dtype ?? 'float32'] };
  if (spec.dims) tensor.shape = { dim: spec.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d ?? 'N' })) };
  return { name: spec.name, type: { tensor_type: tensor } };
}

/** A ModelProto object for `spec` (what encodeModelProto writes). */
export function modelProto(spec: ModelSpec): Record<string, unknown> {
  const g = spec.graph;
  const opsets = [{ domain: '', version: spec.opset ?? 17 }, ...Object.entries(spec.opsets ?? {}).map(([domain, version]) => ({ domain, version }))];
  return {
    ir_version: spec.irVersion ?? 8,
    producer_name: spec.producer ?? 'deepvis',
    opset_import: opsets,
    graph: {
      name: g.name ?? 'deepvis',
      node: [...(g.rawNodes ?? []), ...g.nodes.map(nodeProto)],
      initializer: [...(g.rawInitializers ?? []), ...(g.initializers ?? []).map(tensorProto)],
      input: g.inputs.map(valueInfoProto),
      output: g.outputs.map(valueInfoProto),
    },
  };
}

type Coder = { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown };
const ModelProto = (onnx as unknown as { ModelProto: Coder }).ModelProto;

/** A ModelProto object (modelProto's, or decodeModelProto's edited) → bytes. */
export function encodeModelProto(model: unknown): Uint8Array {
  const b = ModelProto.encode(model).finish();
  // A plain view, not Node's Buffer: protobufjs reads a Buffer with its Buffer reader, whose byte
  // fields come out as views that .slice() does not copy (and decode.ts relies on copies).
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The model's bytes: graph, nodes, initializers → one ONNX file. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  return encodeModelProto(modelProto(spec));
}

/** An ONNX file's ModelProto as protobufjs objects (byte fields are views of `bytes`: no copy of the weights). */
export function decodeModelProto(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.decode(bytes) as Record<string, unknown>;
}
