/**
 * The gradient builder's working graph: the model's own nodes (their decoded protos, kept as they
 * are) plus the nodes the VJP rules add, each tensor with its element type and its kind —
 * 'const' (initializers and what is computed from them alone), 'fwd' (depends on the image, not on
 * the gradient coming down) or 'bwd' (depends on it). `emit` cuts one ONNX model out of it for a
 * set of outputs: only the nodes those outputs need, with the tensors that are neither made
 * inside nor initializers becoming graph inputs — which is how one build yields the fused graph
 * (image and tap gradients in, taps and input gradient out), the forward graph (image in, taps and
 * the tensors the backward reads out) and the backward graph (those tensors and the tap gradients in).
 */
import type { OnnxNode } from '../decode.js';
import {
  encodeOnnx,
  nodeProto,
  tensorProto,
  type EncAttr,
  type EncTensor,
  type EncType,
} from '../encode.js';

export type Kind = 'const' | 'fwd' | 'bwd';

export interface GNode {
  readonly op: string;
  inputs: string[];
  outputs: string[];
  readonly domain?: string;
  /** New nodes: attributes as specs. */
  readonly attrs?: Readonly<Record<string, EncAttr | undefined>>;
  /** The model's own nodes: the decoded proto (attributes taken from it as they are) and its decoded form. */
  readonly raw?: Record<string, unknown>;
  readonly decoded?: OnnxNode;
  readonly name: string;
}

// ONNX TensorProto.DataType → ours (what crosses between the forward and the backward graph).
const FROM_ONNX: Record<number, EncType> = {
  1: 'float32',
  2: 'uint8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
};
const TO_ONNX: Record<EncType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
const BOOL_OPS = new Set([
  'Greater',
  'Less',
  'Equal',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Not',
  'Xor',
  'IsNaN',
  'IsInf',
]);
const INT64_OPS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin']);

export class WorkGraph {
  readonly nodes: GNode[] = [];
  readonly producer = new Map<string, GNode>();
  readonly kind = new Map<string, Kind>();
  readonly dtype = new Map<string, EncType | 'other'>();
  /** Initializers: the model's (decoded TensorProto objects) and new ones (specs), as TensorProto objects. */
  readonly initializers = new Map<string, unknown>();
  private counter = 0;
  private constants = new Map<string, string>();

  constructor(readonly opset: number) {}

  fresh(hint: string): string {
    return `dv/${hint}_${this.counter++}`;
  }

  addInitializer(name: string, proto: unknown, dtype: EncType | 'other'): void {
    this.initializers.set(name, proto);
    this.kind.set(name, 'const');
    this.dtype.set(name, dtype);
  }

  /** A graph input of the given kind (the image, an offset, a tap's gradient). */
  addInput(name: string, kind: Kind, dtype: EncType = 'float32'): void {
    this.kind.set(name, kind);
    this.dtype.set(name, dtype);
  }

  /** Appends a node; its outputs' kinds and types follow from its inputs. */
  add(node: GNode): GNode {
    const kinds = node.inputs.filter((i) => i).map((i) => this.kind.get(i) ?? 'const');
    const kind: Kind = kinds.includes('bwd') ? 'bwd' : kinds.includes('fwd') ? 'fwd' : 'const';
    node.outputs.forEach((o, k) => {
      if (!o) return;
      this.producer.set(o, node);
      this.kind.set(o, kind);
      this.dtype.set(o, this.typeOf(node, k));
    });
    this.nodes.push(node);
    return node;
  }

  /** Output k of a node, added (with a fresh name) if the model did not ask for it (MaxPool's Indices). */
  addOutput(node: GNode, k: number): string {
    if (node.outputs[k]) return node.outputs[k];
    while (node.outputs.length <= k) node.outputs.push('');
    const name = this.fresh(`${node.op}_out${k}`);
    node.outputs[k] = name;
    this.producer.set(name, node);
    this.kind.set(name, this.kind.get(node.outputs[0]) ?? 'fwd');
    this.dtype.set(name, this.typeOf(node, k));
    return name;
  }

  /** A new node with one output (or n). */
  op(
    op: string,
    inputs: readonly string[],
    attrs?: Record<string, EncAttr | undefined>,
    hint = op,
  ): string {
    const out = this.fresh(hint);
    this.add({ op, inputs: [...inputs], outputs: [out], attrs, name: out });
    return out;
  }

  opN(
    op: string,
    inputs: readonly string[],
    n: number,
    attrs?: Record<string, EncAttr | undefined>,
  ): string[] {
    const outs = Array.from({ length: n }, () => this.fresh(op));
    this.add({ op, inputs: [...inputs], outputs: outs, attrs, name: outs[0] });
    return outs;
  }

  /** A constant initializer (shared between equal small constants). */
  constant(
    data: Float32Array | BigInt64Array | readonly number[],
    dims: readonly number[],
    dtype: EncType = 'float32',
  ): string {
    const key =
      data.length <= 16
        ? `${dtype}:${dims.join(',')}:${Array.from(data as ArrayLike<number | bigint>).join(',')}`
        : null;
    const known = key ? this.constants.get(key) : undefined;
    if (known) return known;
    const name = this.fresh('c');
    this.addInitializer(
      name,
      tensorProto({ name, dims, dtype, data: data as EncTensor['data'] }),
      dtype,
    );
    if (key) this.constants.set(key, name);
    return name;
  }

  private typeOf(node: GNode, k: number): EncType | 'other' {
    if (BOOL_OPS.has(node.op)) return 'bool';
    if (INT64_OPS.has(node.op) || (node.op === 'MaxPool' && k === 1)) return 'int64';
    if (node.op === 'Cast') return FROM_ONNX[Number(this.attrOf(node, 'to'))] ?? 'other';
    if (node.op === 'Constant' || node.op === 'ConstantOfShape') return this.constantType(node);
    if (node.op === 'Where') return this.dtype.get(node.inputs[1]) ?? 'float32';
    const first = node.inputs.find((i) => i);
    return (first ? this.dtype.get(first) : undefined) ?? 'float32';
  }

  /** An attribute of a node, new (spec) or the model's (decoded value). */
  attrOf(node: GNode, name: string): unknown {
    return node.attrs ? node.attrs[name] : node.decoded?.attrs.get(name);
  }

  /** The element type a Constant / ConstantOfShape makes, from its attribute's proto. */
  private constantType(node: GNode): EncType | 'other' {
    if (node.attrs) {
      const v = node.attrs.value as EncTensor | undefined;
      return v ? (v.dtype ?? (v.data instanceof BigInt64Array ? 'int64' : 'float32')) : 'float32';
    }
    const attrs =
      (node.raw?.attribute as
        Array<{ name: string; type: number; t?: { data_type?: number } }> | undefined) ?? [];
    if (attrs.length === 0) return 'float32'; // ConstantOfShape without a value: float zeros
    const a = attrs[0];
    if (a.type === 4) return FROM_ONNX[a.t?.data_type ?? 1] ?? 'other';
    return a.type === 2 || a.type === 7
      ? 'int64'
      : a.type === 1 || a.type === 6
        ? 'float32'
        : 'other';
  }

  /**
   * One ONNX model computing `outputs` from `inputs` (every other tensor the needed nodes read must
   * be an initializer). Returns the bytes, or throws naming a tensor that nothing provides.
   */
  /**
   * `file`: when given, the model's own initializers (views of these bytes) are written as external
   * data pointing into it (location `file.path`) rather than copied into the graph.
   */
  emit(
    inputs: ReadonlyArray<{ name: string; dtype?: EncType }>,
    outputs: ReadonlyArray<{ name: string; as?: string }>,
    irVersion: number,
    file?: { path: string; bytes: Uint8Array },
  ): Uint8Array {
    const given = new Set(inputs.map((i) => i.name));
    const needed = new Set<GNode>();
    const inits = new Set<string>();
    const visit = (t: string) => {
      if (!t || given.has(t)) return;
      if (this.initializers.has(t)) {
        inits.add(t);
        return;
      }
      const p = this.producer.get(t);
      if (!p) throw new Error(`gradient graph: nothing computes '${t}'`);
      if (needed.has(p)) return;
      needed.add(p);
      p.inputs.forEach(visit);
    };
    outputs.forEach((o) => visit(o.name));
    const renames = outputs.filter((o) => o.as && o.as !== o.name);
    // Graph order is kept: the model's nodes come first and every new node reads only earlier ones.
    const ordered: unknown[] = this.nodes
      .filter((n) => needed.has(n))
      .map((n, i) =>
        n.raw
          ? { ...n.raw, input: n.inputs, output: n.outputs }
          : nodeProto(
              {
                op: n.op,
                inputs: n.inputs,
                outputs: n.outputs,
                attrs: n.attrs,
                name: n.name,
                domain: n.domain,
              },
              i,
            ),
      );
    for (const r of renames)
      ordered.push(nodeProto({ op: 'Identity', inputs: [r.name], outputs: [r.as!], name: r.as! }));
    const value = (name: string, dtype?: EncType) => ({
      name,
      dtype: dtype ?? this.elemType(name),
    });
    return encodeOnnx({
      opset: this.opset,
      irVersion,
      nodes: [],
      rawNodes: ordered,
      rawInitializers: [...inits].map((name) =>
        pointInto(this.initializers.get(name) as Record<string, unknown>, file),
      ),
      inputs: inputs.map((i) => value(i.name, i.dtype)),
      outputs: outputs.map((o) => value(o.as ?? o.name, this.elemType(o.name))),
    });
  }

  elemType(name: string): EncType {
    const t = this.dtype.get(name);
    if (!t || t === 'other')
      throw new Error(`gradient graph: tensor '${name}' has a type that cannot leave a session`);
    return t;
  }
}

/** An initializer whose raw bytes lie inside `file`, rewritten as ONNX external data pointing there. */
function pointInto(
  t: Record<string, unknown>,
  file?: { path: string; bytes: Uint8Array },
): unknown {
  const raw = t.raw_data as Uint8Array | undefined;
  if (!file || !raw || raw.byteLength < 1024 || raw.buffer !== file.bytes.buffer) return t;
  const offset = raw.byteOffset - file.bytes.byteOffset;
  if (offset < 0 || offset + raw.byteLength > file.bytes.byteLength) return t;
  const external_data = [
    { key: 'location', value: file.path },
    { key: 'offset', value: String(offset) },
    { key: 'length', value: String(raw.byteLength) },
  ];
  return { name: t.name, dims: t.dims, data_type: t.data_type, data_location: 1, external_data };
}

export { TO_ONNX, FROM_ONNX };
