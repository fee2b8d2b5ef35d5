/**
 * A small ONNX writer: a plain graph description → ModelProto bytes, written field by field with
 * protobufjs's Writer (the field numbers are onnx.proto's). It writes what deepvis itself needs:
 * test fixtures for ops newer than the exporters at hand, and graphs built at run time (gradient
 * graphs for onnxruntime). Float tensors go as raw little-endian bytes, integers as int64.
 */
import $protobuf from 'protobufjs/minimal.js';

type Writer = $protobuf.Writer;

/** An attribute value: numbers are ints unless listed as floats (`{ f: 0.5 }`, `{ floats: [...] }`). */
export type EncAttr =
  | number
  | string
  | number[]
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
  readonly attrs?: Readonly<Record<string, EncAttr>>;
  /** Node metadata (the dynamo exporter's `pkg.torch.onnx.name_scopes`, …). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface EncTensor {
  readonly name?: string;
  readonly dims: readonly number[];
  readonly dtype: 'float32' | 'int64' | 'int32' | 'bool';
  readonly data: ArrayLike<number>;
}

/** A graph input or output: dims may be symbolic (a string) or unknown (null). */
export interface EncValue {
  readonly name: string;
  readonly dims?: readonly (number | string | null)[];
  readonly dtype?: EncTensor['dtype'];
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
}

const DTYPE = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;
// Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
const tag = (w: Writer, field: number, wire: number) => w.uint32((field << 3) | wire);

function message(w: Writer, field: number, body: (w: Writer) => void): void {
  tag(w, field, 2);
  w.fork();
  body(w);
  w.ldelim();
}

const str = (w: Writer, field: number, s: string | undefined) => {
  if (s != null) tag(w, field, 2).string(s);
};
const int = (w: Writer, field: number, v: number) => tag(w, field, 0).int64(v);

function entries(w: Writer, field: number, kv: Readonly<Record<string, string>> | undefined): void {
  for (const [key, value] of Object.entries(kv ?? {})) message(w, field, (m) => { str(m, 1, key); str(m, 2, value); });
}

function tensor(w: Writer, t: EncTensor): void {
  for (const d of t.dims) int(w, 1, d);
  int(w, 2, DTYPE[t.dtype]);
  str(w, 8, t.name);
  const n = t.data.length;
  let bytes: Uint8Array;
  if (t.dtype === 'float32') bytes = new Uint8Array(Float32Array.from(t.data).buffer);
  else if (t.dtype === 'int32') bytes = new Uint8Array(Int32Array.from(t.data).buffer);
  else if (t.dtype === 'bool') bytes = Uint8Array.from(t.data, (v) => (v ? 1 : 0));
  else {
    const b = new BigInt64Array(n);
    for (let i = 0; i < n; i++) b[i] = BigInt(Math.trunc(t.data[i]));
    bytes = new Uint8Array(b.buffer);
  }
  tag(w, 9, 2).bytes(bytes);
}

function attribute(w: Writer, name: string, v: EncAttr): void {
  str(w, 1, name);
  if (typeof v === 'object' && !Array.isArray(v) && 'ref' in v) {
    tag(w, 20, 0).int32(v.type);
    str(w, 21, v.ref);
    return;
  }
  if (typeof v === 'number') {
    tag(w, 20, 0).int32(2);
    int(w, 3, v);
  } else if (typeof v === 'string') {
    tag(w, 20, 0).int32(3);
    tag(w, 4, 2).bytes(new TextEncoder().encode(v));
  } else if (Array.isArray(v)) {
    tag(w, 20, 0).int32(7);
    for (const i of v) int(w, 8, i);
  } else if ('f' in v) {
    tag(w, 20, 0).int32(1);
    tag(w, 2, 5).float(v.f);
  } else if ('floats' in v) {
    tag(w, 20, 0).int32(6);
    for (const f of v.floats) tag(w, 7, 5).float(f);
  } else {
    tag(w, 20, 0).int32(4);
    message(w, 5, (m) => tensor(m, v));
  }
}

function valueInfo(w: Writer, v: EncValue): void {
  str(w, 1, v.name);
  message(w, 2, (tp) =>
    message(tp, 1, (tt) => {
      int(tt, 1, DTYPE[v.dtype ?? 'float32']);
      if (v.dims)
        message(tt, 2, (shape) => {
          for (const d of v.dims!)
            message(shape, 1, (dim) => {
              if (typeof d === 'number') int(dim, 1, d);
              else if (typeof d === 'string') str(dim, 2, d);
            });
        });
    }),
  );
}

function node(w: Writer, n: EncNode, index: number): void {
  for (const i of n.inputs) str(w, 1, i);
  for (const o of n.outputs) str(w, 2, o);
  str(w, 3, n.name ?? `${n.op}_${index}`);
  str(w, 4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) message(w, 5, (a) => attribute(a, k, v));
  if (n.domain) str(w, 7, n.domain);
  entries(w, 9, n.metadata);
}

/** ModelProto bytes for `g`. */
export function encodeOnnx(g: EncGraph): Uint8Array {
  const w = $protobuf.Writer.create();
  int(w, 1, g.irVersion ?? (g.opset >= 21 ? 10 : 8));
  str(w, 2, g.producer ?? 'deepvis');
  message(w, 7, (gw) => {
    g.nodes.forEach((n, i) => message(gw, 1, (nw) => node(nw, n, i)));
    str(gw, 2, g.name ?? 'graph');
    for (const t of g.initializers ?? []) message(gw, 5, (tw) => tensor(tw, t));
    for (const v of g.inputs) message(gw, 11, (vw) => valueInfo(vw, v));
    for (const v of g.outputs) message(gw, 12, (vw) => valueInfo(vw, v));
  });
  message(w, 8, (o) => { str(o, 1, ''); int(o, 2, g.opset); });
  for (const d of new Set((g.functions ?? []).map((f) => f.domain))) message(w, 8, (o) => { str(o, 1, d); int(o, 2, 1); });
  entries(w, 14, g.metadata);
  for (const f of g.functions ?? []) {
    message(w, 25, (fw) => {
      str(fw, 1, f.name);
      for (const i of f.inputs) str(fw, 4, i);
      for (const o of f.outputs) str(fw, 5, o);
      for (const a of f.attributes ?? []) str(fw, 6, a);
      f.nodes.forEach((n, i) => message(fw, 7, (nw) => node(nw, n, i)));
      message(fw, 9, (o) => { str(o, 1, ''); int(o, 2, g.opset); });
      str(fw, 10, f.domain);
    });
  }
  return w.finish();
}
