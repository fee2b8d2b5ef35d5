/**
 * ONNX bytes → a plain graph (nodes, attributes, initializers as typed arrays) with protobufjs's
 * static decoder generated from the ONNX schema (onnx_pb.ts: no eval, so it runs under the web
 * app's Content-Security-Policy). External tensor data is read through a callback, so the caller
 * (io/ in Node, the page in the browser) decides which files may be read.
 */
import { formatBytes, memoryBudget } from '../../../engine/memory.js';
import { DeepvisError } from '../../../errors.js';
import { onnx } from './onnx_pb.js';

export type HostData = Float32Array | Int32Array | Uint8Array | number[];

/** A constant known at load time (an initializer, a Constant node or a folded value). */
export interface HostTensor {
  readonly dims: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
  readonly data: Float32Array | Int32Array | Uint8Array;
}

export type AttrValue = number | string | number[] | string[] | HostTensor;

export interface OnnxNode {
  readonly name: string;
  readonly op: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttrValue>;
  /** Inside a local function: attributes that take the calling node's (name → caller's name). */
  readonly attrRefs?: ReadonlyMap<string, string>;
}

export interface OnnxGraph {
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, HostTensor>;
  /** Graph inputs that are not initializers, with their declared dims (null = symbolic). */
  readonly inputs: ReadonlyArray<{ name: string; dims: (number | null)[] }>;
  readonly outputs: readonly string[];
  readonly opset: number;
  readonly producer: string;
  readonly metadata: ReadonlyMap<string, string>;
}

/** Reads the bytes of an external-data file named in the model (relative location). */
export type ExternalReader = (location: string) => Promise<Uint8Array>;

// TensorProto.DataType
const FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11;

type Long = { low: number; high: number } | number;
const num = (v: Long | undefined): number =>
  v == null ? 0 : typeof v === 'number' ? v : v.high * 4294967296 + (v.low >>> 0);

interface RawTensor {
  name?: string;
  dims?: Long[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Long[];
  double_data?: number[];
  external_data?: Array<{ key: string; value: string }>;
  data_location?: number;
}

/** Float tensors of at least this many bytes are copied out of the file when first read. */
const COPY_ON_READ = 1 << 20;

// Uint8Array's own slice: on a Node Buffer (what protobufjs hands out for one), .slice() is a view
// of the whole file, not a copy.
function aligned(bytes: Uint8Array, width: number): ArrayBuffer {
  return bytes.byteOffset % width === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Integers become int32 (shapes, axes, indices; int64 values beyond ±2^31 saturate). */
function fromRaw(type: number, raw: Uint8Array, name: string): HostTensor['data'] {
  switch (type) {
    case FLOAT:
      return new Float32Array(aligned(raw, 4), 0, raw.byteLength / 4);
    case DOUBLE:
      return Float32Array.from(new Float64Array(aligned(raw, 8), 0, raw.byteLength / 8));
    case FLOAT16:
      return Float32Array.from(
        new Uint16Array(aligned(raw, 2), 0, raw.byteLength / 2),
        halfToFloat,
      );
    case INT32:
      return new Int32Array(aligned(raw, 4), 0, raw.byteLength / 4);
    case INT64: {
      const big = new BigInt64Array(aligned(raw, 8), 0, raw.byteLength / 8);
      return Int32Array.from(big, (b) =>
        b > 2147483647n ? 2147483647 : b < -2147483648n ? -2147483648 : Number(b),
      );
    }
    case INT8:
      return Int32Array.from(new Int8Array(aligned(raw, 1), 0, raw.byteLength));
    case UINT8:
      return Int32Array.from(raw);
    case BOOL:
      return Uint8Array.from(raw);
    default:
      throw new DeepvisError(
        `tensor '${name}' has ONNX data type ${type}, which deepvis cannot read`,
      );
  }
}

/** Bytes per value as stored, per data type deepvis reads. */
const WIDTH: Record<number, number> = {
  [FLOAT]: 4,
  [UINT8]: 1,
  [INT8]: 1,
  [INT32]: 4,
  [INT64]: 8,
  [BOOL]: 1,
  [FLOAT16]: 2,
  [DOUBLE]: 8,
};
const MAX_DIM = 2 ** 31 - 1;

/** What the tensors decoded so far hold (bytes, as deepvis keeps them), against the memory budget. */
interface Tally {
  bytes: number;
}

/**
 * A tensor's dims and value count, checked before anything is allocated: whole numbers in
 * [0, 2^31), and the values (as float32 or int32, what deepvis keeps) within the budget left.
 */
function checkedShape(
  t: RawTensor,
  source: string,
  tally: Tally,
): { dims: number[]; size: number } {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map(num);
  const shown = `[${dims.join(', ')}]`;
  const bad = dims.find((d) => !Number.isSafeInteger(d) || d < 0 || d > MAX_DIM);
  if (bad != null)
    throw new DeepvisError(
      `${source}: tensor '${name}' has shape ${shown}: a dimension of ${bad} is not a whole number from 0 to 2^31−1`,
    );
  const size = dims.reduce((a, b) => a * b, 1);
  const budget = memoryBudget();
  if (size * 4 > budget - tally.bytes) {
    throw new DeepvisError(
      `${source}: tensor '${name}' of shape ${shown} declares ${size.toLocaleString('en')} values (${formatBytes(size * 4)}); with the tensors before it that is more than the memory budget of ${formatBytes(budget)}`,
    );
  }
  tally.bytes += size * 4;
  return { dims, size };
}

/** Bytes the data of a tensor must have, or a one-line refusal for a type deepvis cannot read. */
function storedBytes(type: number, size: number, name: string, source: string): number {
  const w = WIDTH[type];
  if (w == null)
    throw new DeepvisError(
      `${source}: tensor '${name}' has ONNX data type ${type}, which deepvis cannot read`,
    );
  return size * w;
}

/** A non-negative whole number from an external-data entry (a string in the file), or a refusal. */
function byteCount(
  v: string | undefined,
  what: string,
  source: string,
  name: string,
): number | undefined {
  if (v == null) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw new DeepvisError(
      `${source}: tensor '${name}' has external-data ${what} '${v}', which is not a byte count`,
    );
  return n;
}

const dtypeOf = (type: number): HostTensor['dtype'] =>
  type === FLOAT || type === DOUBLE || type === FLOAT16
    ? 'float32'
    : type === BOOL
      ? 'bool'
      : 'int32';

async function tensorOf(
  t: RawTensor,
  source: string,
  readExternal: ExternalReader,
  tally: Tally,
  copyOnRead = false,
): Promise<HostTensor> {
  const location =
    t.data_location === 1
      ? new Map((t.external_data ?? []).map((e) => [e.key, e.value])).get('location')
      : undefined;
  return tensorFrom(t, source, tally, location ? await readExternal(location) : null, copyOnRead);
}

/** A tensor's values; `external` is the file its external data names (read by the caller). */
function tensorFrom(
  t: RawTensor,
  source: string,
  tally: Tally,
  external: Uint8Array | null,
  /** An initializer: a large float one is copied out of the file only when read. */
  copyOnRead = false,
): HostTensor {
  const name = t.name ?? '';
  const { dims, size } = checkedShape(t, source, tally);
  const type = t.data_type ?? FLOAT;
  const shape = `[${dims.join(', ')}]`;
  let data: HostTensor['data'];
  if (t.data_location === 1) {
    const kv = new Map((t.external_data ?? []).map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location)
      throw new DeepvisError(`${source}: tensor '${name}' has external data without a location`);
    const need = storedBytes(type, size, name, source);
    const offset = byteCount(kv.get('offset'), 'offset', source, name) ?? 0;
    const given = byteCount(kv.get('length'), 'length', source, name);
    if (given != null && given !== need) {
      throw new DeepvisError(
        `${source}: tensor '${name}' of shape ${shape} needs ${need.toLocaleString('en')} bytes but its external data says length ${given.toLocaleString('en')}`,
      );
    }
    const file = external!;
    const length = given ?? file.byteLength - offset;
    if (offset + length > file.byteLength || length !== need) {
      throw new DeepvisError(
        `${source}: external data '${location}' is too short for tensor '${name}' (needs ${offset + need} bytes, has ${file.byteLength})`,
      );
    }
    data = fromRaw(type, file.subarray(offset, offset + length), name);
  } else if (t.raw_data && t.raw_data.byteLength > 0) {
    const need = storedBytes(type, size, name, source);
    if (t.raw_data.byteLength !== need) {
      throw new DeepvisError(
        `${source}: tensor '${name}' holds ${t.raw_data.byteLength.toLocaleString('en')} bytes but its shape ${shape} needs ${need.toLocaleString('en')}`,
      );
    }
    if (copyOnRead && type === FLOAT && need >= COPY_ON_READ) {
      // Unaligned in the file, so a Float32Array of it is a copy: made when something reads it.
      // A weight that waits for its first use (weights.ts) is never read at load. The view of the
      // file goes once copied (it holds the whole file's buffer).
      let raw: Uint8Array | null = t.raw_data;
      let made: Float32Array | null = null;
      return {
        dims,
        dtype: 'float32',
        get data() {
          if (!made) {
            made = fromRaw(type, raw!, name) as Float32Array;
            raw = null;
          }
          return made;
        },
      };
    }
    data = fromRaw(type, t.raw_data, name);
  } else if (t.float_data?.length) data = Float32Array.from(t.float_data);
  else if (t.double_data?.length) data = Float32Array.from(t.double_data);
  else if (t.int64_data?.length) data = Int32Array.from(t.int64_data.map(num));
  else if (t.int32_data?.length) {
    data =
      type === FLOAT16
        ? Float32Array.from(t.int32_data, halfToFloat)
        : dtypeOf(type) === 'float32'
          ? Float32Array.from(t.int32_data)
          : Int32Array.from(t.int32_data);
  } else if (size === 0)
    data = dtypeOf(type) === 'float32' ? new Float32Array(0) : new Int32Array(0);
  else
    throw new DeepvisError(
      `${source}: tensor '${name}' of shape ${shape} declares ${size.toLocaleString('en')} values but the file holds none for it`,
    );
  if (data.length !== size) {
    throw new DeepvisError(
      `${source}: tensor '${name}' holds ${data.length} values but its shape [${dims.join(', ')}] needs ${size}`,
    );
  }
  return { dims, dtype: dtypeOf(type), data };
}

interface RawAttr {
  name: string;
  type?: number;
  f?: number;
  i?: Long;
  s?: Uint8Array;
  t?: RawTensor;
  ref_attr_name?: string;
  floats?: number[];
  ints?: Long[];
  strings?: Uint8Array[];
}

async function attrOf(
  a: RawAttr,
  source: string,
  readExternal: ExternalReader,
  tally: Tally,
): Promise<AttrValue> {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return num(a.i);
    case 3:
      return text(a.s ?? new Uint8Array());
    case 4:
      return tensorOf(a.t ?? {}, source, readExternal, tally);
    case 6:
      return a.floats ?? [];
    case 7:
      return (a.ints ?? []).map(num);
    case 8:
      return (a.strings ?? []).map(text);
    default:
      throw new DeepvisError(
        `${source}: attribute '${a.name}' has a type deepvis does not read (${a.type})`,
      );
  }
}

type RawNode = Record<string, unknown>;

/**
 * The dynamo exporter (torch.onnx.export(dynamo=True)) names nodes `node_linear_3` and records the
 * module path in metadata: name_scopes "['', 'blocks.2', 'blocks.2.mlp', 'blocks.2.mlp.fc1',
 * 'linear_3']". Such a node gets the legacy exporter's path form, `/blocks.2/blocks.2.mlp/
 * blocks.2.mlp.fc1/linear_3`, so layers are named by module path in both (naming.ts).
 */
export function scopedName(name: string, meta: ReadonlyMap<string, string>): string {
  const raw = meta.get('pkg.torch.onnx.name_scopes');
  if (!raw) return name;
  const scopes = [...raw.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)]
    .map((m) => m[1] ?? m[2])
    .filter((s) => s !== '');
  if (scopes.length < 2) return name;
  return '/' + scopes.join('/');
}

async function nodeOf(
  n: RawNode,
  index: number,
  source: string,
  readExternal: ExternalReader,
  tally: Tally,
): Promise<OnnxNode> {
  const attrs = new Map<string, AttrValue>();
  const refs = new Map<string, string>();
  for (const a of (n.attribute as RawAttr[] | undefined) ?? []) {
    if (a.ref_attr_name) refs.set(a.name, a.ref_attr_name);
    else attrs.set(a.name, await attrOf(a, source, readExternal, tally));
  }
  const op = String(n.op_type ?? '');
  const meta = new Map(
    ((n.metadata_props as Array<{ key: string; value: string }> | undefined) ?? []).map((p) => [
      p.key,
      p.value,
    ]),
  );
  const name = String(n.name ?? '') || `${op}_${index}`;
  return {
    name: scopedName(name, meta),
    op,
    domain: String(n.domain ?? ''),
    inputs: (n.input as string[] | undefined) ?? [],
    outputs: (n.output as string[] | undefined) ?? [],
    attrs,
    ...(refs.size ? { attrRefs: refs } : {}),
  };
}

interface OnnxFunction {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly string[];
  readonly defaults: ReadonlyMap<string, AttrValue>;
  readonly nodes: readonly OnnxNode[];
}

/** Local functions (what an exporter writes for a module it keeps whole), keyed `domain:name`. */
async function functionsOf(
  model: Record<string, unknown>,
  source: string,
  readExternal: ExternalReader,
  tally: Tally,
): Promise<Map<string, OnnxFunction>> {
  const out = new Map<string, OnnxFunction>();
  for (const f of (model.functions as RawNode[] | undefined) ?? []) {
    const nodes: OnnxNode[] = [];
    for (const [i, n] of ((f.node as RawNode[] | undefined) ?? []).entries())
      nodes.push(await nodeOf(n, i, source, readExternal, tally));
    const defaults = new Map<string, AttrValue>();
    for (const a of (f.attribute_proto as RawAttr[] | undefined) ?? [])
      defaults.set(a.name, await attrOf(a, source, readExternal, tally));
    out.set(`${String(f.domain ?? '')}:${String(f.name ?? '')}`, {
      inputs: (f.input as string[] | undefined) ?? [],
      outputs: (f.output as string[] | undefined) ?? [],
      attributes: [...((f.attribute as string[] | undefined) ?? []), ...defaults.keys()],
      defaults,
      nodes,
    });
  }
  return out;
}

/**
 * Calls of local functions replaced by the functions' bodies: inner values renamed under the call's
 * name, formal inputs and outputs bound to the call's, attribute references resolved. Iterative (a
 * work list), so nested calls inline at any depth without recursion; a function that calls itself
 * is refused.
 */
function inlineFunctions(
  nodes: readonly OnnxNode[],
  fns: ReadonlyMap<string, OnnxFunction>,
  source: string,
): OnnxNode[] {
  const out: OnnxNode[] = [];
  const work: Array<{ node: OnnxNode; depth: number }> = nodes
    .map((node) => ({ node, depth: 0 }))
    .reverse();
  while (work.length) {
    const { node, depth } = work.pop()!;
    const fn = fns.get(`${node.domain}:${node.op}`);
    if (!fn) {
      out.push(node);
      continue;
    }
    if (depth > 64)
      throw new DeepvisError(
        `${source}: function '${node.op}' calls itself (inlining went 64 levels deep)`,
      );
    const bind = new Map<string, string>();
    fn.inputs.forEach((f, i) => bind.set(f, node.inputs[i] ?? ''));
    fn.outputs.forEach((f, i) => bind.set(f, node.outputs[i] ?? ''));
    const rename = (v: string) => (v === '' ? '' : (bind.get(v) ?? `${node.name}/${v}`));
    const body = fn.nodes.map((inner): OnnxNode => {
      const attrs = new Map(inner.attrs);
      for (const [k, ref] of inner.attrRefs ?? []) {
        const v = node.attrs.get(ref) ?? fn.defaults.get(ref);
        if (v !== undefined) attrs.set(k, v);
      }
      const leaf = inner.name.startsWith('/') ? inner.name : `/${inner.name}`;
      return {
        ...inner,
        name: `${node.name}${leaf}`,
        inputs: inner.inputs.map(rename),
        outputs: inner.outputs.map(rename),
        attrs,
        attrRefs: undefined,
      };
    });
    for (let i = body.length - 1; i >= 0; i--) work.push({ node: body[i], depth: depth + 1 });
  }
  return out;
}

function rawModel(bytes: Uint8Array, source: string): Record<string, unknown> {
  try {
    return (onnx as { ModelProto: { decode(b: Uint8Array): unknown } }).ModelProto.decode(
      bytes,
    ) as Record<string, unknown>;
  } catch (e) {
    throw new DeepvisError(
      `${source} is not a readable ONNX model (${(e as Error).message.split('\n')[0]}); truncated or not ONNX?`,
    );
  }
}

export async function decodeOnnx(
  bytes: Uint8Array,
  source: string,
  readExternal: ExternalReader,
): Promise<OnnxGraph> {
  const model = rawModel(bytes, source);
  const graph = model.graph as Record<string, unknown> | undefined;
  if (!graph || !Array.isArray(graph.node) || graph.node.length === 0) {
    throw new DeepvisError(`${source} is not an ONNX model: it has no graph`);
  }
  const opsets =
    (model.opset_import as Array<{ domain?: string; version?: Long }> | undefined) ?? [];
  const opset = num(opsets.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  // Each external file is read once, however many tensors it holds.
  const files = new Map<string, Promise<Uint8Array>>();
  const readOnce: ExternalReader = (location) => {
    let f = files.get(location);
    if (!f) files.set(location, (f = readExternal(location)));
    return f;
  };
  const initializers = new Map<string, HostTensor>();
  const tally: Tally = { bytes: 0 };
  for (const t of (graph.initializer as RawTensor[] | undefined) ?? []) {
    initializers.set(t.name ?? '', await tensorOf(t, source, readOnce, tally, true));
  }
  const nodes: OnnxNode[] = [];
  let index = 0;
  for (const n of graph.node as RawNode[]) {
    nodes.push(await nodeOf(n, index, source, readOnce, tally));
    index++;
  }
  const functions = await functionsOf(model, source, readOnce, tally);
  type RawValueInfo = {
    name: string;
    type?: { tensor_type?: { shape?: { dim?: Array<{ dim_value?: Long; dim_param?: string }> } } };
  };
  const inputs = ((graph.input as RawValueInfo[] | undefined) ?? [])
    .filter((v) => !initializers.has(v.name))
    .map((v) => ({
      name: v.name,
      dims: (v.type?.tensor_type?.shape?.dim ?? []).map((d) => {
        const n = d.dim_value != null ? num(d.dim_value) : null;
        if (n != null && (n < 0 || !Number.isSafeInteger(n)))
          throw new DeepvisError(
            `${source}: input '${v.name}' declares a dimension of ${n}; dimensions are whole numbers ≥ 0`,
          );
        return n != null && n > 0 ? n : null;
      }),
    }));
  const metadata = new Map(
    ((model.metadata_props as Array<{ key: string; value: string }> | undefined) ?? []).map((p) => [
      p.key,
      p.value,
    ]),
  );
  return {
    nodes: functions.size ? inlineFunctions(nodes, functions, source) : nodes,
    initializers,
    inputs,
    outputs: ((graph.output as RawValueInfo[] | undefined) ?? []).map((v) => v.name),
    opset: opset || 1,
    producer: `${model.producer_name ?? ''} ${model.producer_version ?? ''}`.trim(),
    metadata,
  };
}

/**
 * The named initializers of a model without external data, decoded again from its bytes: the
 * weights a loader left unmade until a tfjs path needs them (onnx/weights.ts). Their values are
 * views of `bytes` where the alignment allows.
 */
export function initializersOf(
  bytes: Uint8Array,
  source: string,
  names: ReadonlySet<string>,
): Map<string, HostTensor> {
  const graph = rawModel(bytes, source).graph as Record<string, unknown> | undefined;
  const out = new Map<string, HostTensor>();
  const tally: Tally = { bytes: 0 };
  for (const t of (graph?.initializer as RawTensor[] | undefined) ?? []) {
    if (!names.has(t.name ?? '')) continue;
    if (t.data_location === 1)
      throw new DeepvisError(`${source}: tensor '${t.name}' keeps its data in an external file`);
    out.set(t.name ?? '', tensorFrom(t, source, tally, null));
  }
  return out;
}

/** The external-data files a model refers to and the bytes it reads from each, without reading them. */
export function onnxExternalData(
  bytes: Uint8Array,
  source: string,
): Array<{ location: string; size: number }> {
  const graph = rawModel(bytes, source).graph as { initializer?: RawTensor[] } | undefined;
  const found = new Map<string, number>();
  for (const t of graph?.initializer ?? []) {
    if (t.data_location !== 1) continue;
    const kv = new Map((t.external_data ?? []).map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location) continue;
    const end = Number(kv.get('offset') ?? 0) + Number(kv.get('length') ?? 0);
    found.set(location, Math.max(found.get(location) ?? 0, end));
  }
  return [...found].map(([location, size]) => ({ location, size }));
}

/** The external-data file names a model refers to (for the server's list of a model's files). */
export function onnxExternalLocations(bytes: Uint8Array, source: string): string[] {
  return onnxExternalData(bytes, source).map((e) => e.location);
}
