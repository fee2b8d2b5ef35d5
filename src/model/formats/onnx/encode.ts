/**
 * A small ONNX writer: plain objects → ModelProto bytes, with protobufjs's Writer and the field
 * numbers of onnx.proto (the generated onnx_pb.ts decodes only). For test fixtures made in the test
 * (hostile files: huge dims, huge pads, external data pointing at FIFOs, deep chains) and for small
 * graphs of ops Debian's torch cannot export. No eval, no schema parsing: it runs in the page too.
 * Values are written as given, unchecked — a fixture may be as wrong as a hostile file is.
 */
import protobuf from 'protobufjs/minimal.js';

/** TensorProto.DataType values deepvis reads. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

export interface TensorSpec {
  readonly name?: string;
  readonly dims: readonly number[];
  /** Default FLOAT. */
  readonly dataType?: number;
  readonly floats?: ArrayLike<number>;
  readonly int64s?: ArrayLike<number>;
  readonly int32s?: ArrayLike<number>;
  readonly raw?: Uint8Array;
  /** External data: location, offset, length (written as strings, as ONNX does). */
  readonly external?: { readonly location: string; readonly offset?: number | string; readonly length?: number | string };
}

export type AttrSpec = number | string | readonly number[] | TensorSpec | { readonly floats: readonly number[] } | { readonly f: number };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  /** Numbers that are integers become INT / INTS; use { f } / { floats } for floats. */
  readonly attrs?: Readonly<Record<string, AttrSpec>>;
}

export interface ValueSpec {
  readonly name: string;
  /** Numbers are dim_value, strings dim_param; null omits the dimension's value. */
  readonly dims?: ReadonlyArray<number | string | null>;
  readonly elemType?: number;
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly TensorSpec[];
  /** Default 17. */
  readonly opset?: number;
  readonly irVersion?: number;
  readonly producer?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

type W = protobuf.Writer;
const LEN = 2, VARINT = 0, I32 = 5;
const tag = (w: W, field: number, wire: number) => w.uint32((field << 3) | wire);
const str = (w: W, field: number, s: string) => tag(w, field, LEN).string(s);
const sub = (w: W, field: number, body: (w: W) => void) => {
  tag(w, field, LEN).fork();
  body(w);
  w.ldelim();
};

function tensor(w: W, t: TensorSpec): void {
  for (const d of t.dims) tag(w, 1, VARINT).int64(d);
  tag(w, 2, VARINT).int32(t.dataType ?? DT.FLOAT);
  if (t.floats?.length) {
    tag(w, 4, LEN).fork();
    for (const v of Array.from(t.floats)) w.float(v);
    w.ldelim();
  }
  if (t.int32s?.length) {
    tag(w, 5, LEN).fork();
    for (const v of Array.from(t.int32s)) w.int32(v);
    w.ldelim();
  }
  if (t.int64s?.length) {
    tag(w, 7, LEN).fork();
    for (const v of Array.from(t.int64s)) w.int64(v);
    w.ldelim();
  }
  if (t.name != null) str(w, 8, t.name);
  if (t.raw) tag(w, 9, LEN).bytes(t.raw);
  if (t.external) {
    const kv: Array<[string, string]> = [['location', t.external.location]];
    if (t.external.offset != null) kv.push(['offset', String(t.external.offset)]);
    if (t.external.length != null) kv.push(['length', String(t.external.length)]);
    for (const [k, v] of kv) sub(w, 13, (e) => { str(e, 1, k); str(e, 2, v); });
    tag(w, 14, VARINT).int32(1);
  }
}

const isTensor = (v: AttrSpec): v is TensorSpec => typeof v === 'object' && v !== null && 'dims' in v;

function attribute(w: W, name: string, v: AttrSpec): void {
  str(w, 1, name);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) { tag(w, 3, VARINT).int64(v); tag(w, 20, VARINT).int32(2); } else { tag(w, 2, I32).float(v); tag(w, 20, VARINT).int32(1); }
  } else if (typeof v === 'string') {
    tag(w, 4, LEN).bytes(new TextEncoder().encode(v));
    tag(w, 20, VARINT).int32(3);
  } else if (isTensor(v)) {
    sub(w, 5, (t) => tensor(t, v));
    tag(w, 20, VARINT).int32(4);
  } else if ('f' in v) {
    tag(w, 2, I32).float(v.f);
    tag(w, 20, VARINT).int32(1);
  } else if ('floats' in v) {
    tag(w, 7, LEN).fork();
    for (const x of v.floats) w.float(x);
    w.ldelim();
    tag(w, 20, VARINT).int32(6);
  } else {
    tag(w, 8, LEN).fork();
    for (const x of v as readonly number[]) w.int64(x);
    w.ldelim();
    tag(w, 20, VARINT).int32(7);
  }
}

function valueInfo(w: W, v: ValueSpec): void {
  str(w, 1, v.name);
  sub(w, 2, (t) => sub(t, 1, (tt) => {
    tag(tt, 1, VARINT).int32(v.elemType ?? DT.FLOAT);
    if (v.dims) {
      sub(tt, 2, (shape) => {
        for (const d of v.dims!) {
          sub(shape, 1, (dim) => {
            if (typeof d === 'number') tag(dim, 1, VARINT).int64(d);
            else if (typeof d === 'string') str(dim, 2, d);
          });
        }
      });
    }
  }));
}

/** ModelProto bytes of `m`. */
export function encodeOnnx(m: ModelSpec): Uint8Array {
  const w = protobuf.Writer.create();
  tag(w, 1, VARINT).int64(m.irVersion ?? 8);
  str(w, 2, m.producer ?? 'deepvis encode.ts');
  sub(w, 7, (g) => {
    m.nodes.forEach((n, i) => sub(g, 1, (nw) => {
      for (const x of n.inputs) str(nw, 1, x);
      for (const x of n.outputs) str(nw, 2, x);
      str(nw, 3, n.name ?? `${n.op}_${i}`);
      str(nw, 4, n.op);
      for (const [k, v] of Object.entries(n.attrs ?? {})) sub(nw, 5, (a) => attribute(a, k, v));
      if (n.domain) str(nw, 7, n.domain);
    }));
    str(g, 2, 'graph');
    for (const t of m.initializers ?? []) sub(g, 5, (tw) => tensor(tw, t));
    for (const v of m.inputs) sub(g, 11, (vw) => valueInfo(vw, v));
    for (const v of m.outputs) sub(g, 12, (vw) => valueInfo(vw, v));
  });
  sub(w, 8, (o) => { str(o, 1, ''); tag(o, 2, VARINT).int64(m.opset ?? 17); });
  for (const [k, v] of Object.entries(m.metadata ?? {})) sub(w, 14, (e) => { str(e, 1, k); str(e, 2, v); });
  return w.finish();
}

/** Float32 values as raw_data bytes (little-endian, as ONNX stores them). */
export const rawFloats = (v: ArrayLike<number>): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
