/**
 * Constant folding: ops whose inputs are all known at load run here, on small host arrays — the
 * shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape) exporters emit around
 * flattening. The batch size is not known at load: Shape marks the entries it derives from the
 * batch, marks follow the values, and Reshape turns a marked entry into -1.
 */
import type { HostTensor } from './decode.js';
import { NHWC_AXIS, type Value } from './layout.js';
import type { OpCtx } from './op_types.js';

type Host = Extract<Value, { kind: 'host' }>;
type HostFn = (ctx: OpCtx, ins: readonly (Host | undefined)[]) => Host;

const ints = (data: number[], dims: number[] = [data.length], batch?: boolean[]): Host => ({
  kind: 'host',
  t: { dims, dtype: 'int32', data: Int32Array.from(data) },
  batch,
});
const same = (t: HostTensor, data: number[], dims: readonly number[]): HostTensor => ({
  dims,
  dtype: t.dtype,
  data:
    t.dtype === 'float32'
      ? Float32Array.from(data)
      : t.dtype === 'bool'
        ? Uint8Array.from(data)
        : Int32Array.from(data),
});
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const norm = (a: number, r: number) => (a < 0 ? a + r : a);

function shape(ctx: OpCtx): Host {
  const dims = [...ctx.shape(0)];
  const meta = ctx.meta(0);
  const start = Math.max(0, Math.min(dims.length, norm(ctx.attr('start', 0), dims.length)));
  const end = Math.max(0, Math.min(dims.length, norm(ctx.attr('end', dims.length), dims.length)));
  // Which entries derive from the batch: the axes the compile's batch-2 run saw double.
  const marks = meta ? (meta.batched ?? dims.map((_, i) => i === 0)) : undefined;
  return ints(dims.slice(start, end), undefined, marks?.slice(start, end));
}

/** NumPy broadcasting of host tensors: the output dims and, per output index, each input's index. */
export function broadcastIndex(
  shapes: ReadonlyArray<readonly number[]>,
  fail: (why: string) => never,
): { dims: number[]; index: (k: number) => number[] } {
  const rank = Math.max(...shapes.map((s) => s.length));
  const padded = shapes.map((s) => [...Array(rank - s.length).fill(1), ...s]);
  const dims = Array.from({ length: rank }, (_, a) => {
    const sizes = new Set(padded.map((s) => s[a]).filter((d) => d !== 1));
    if (sizes.size > 1)
      fail(`cannot broadcast shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')}`);
    return sizes.size ? [...sizes][0] : 1;
  });
  const strides = padded.map((s) => s.map((d, a) => (d === 1 ? 0 : size(s.slice(a + 1)))));
  return {
    dims,
    index: (k) => {
      const out = strides.map(() => 0);
      let rest = k;
      for (let a = rank - 1; a >= 0; a--) {
        const i = rest % dims[a];
        rest = Math.floor(rest / dims[a]);
        strides.forEach((st, j) => (out[j] += i * st[a]));
      }
      return out;
    },
  };
}

/**
 * An elementwise op on host tensors with broadcasting; batch marks follow the values (an entry is
 * marked when any entry it was computed from is).
 */
function elementwise(
  fn: (...v: number[]) => number,
  dtypeOf?: (ins: readonly HostTensor[]) => HostTensor['dtype'],
): HostFn {
  return (ctx, ins) => {
    const xs = ins.map((v) => v ?? ctx.fail('expects all its inputs'));
    const { dims, index } = broadcastIndex(
      xs.map((x) => x.t.dims),
      (why) => ctx.fail(why),
    );
    const n = size(dims);
    const data = new Array<number>(n);
    const marked = xs.some((x) => x.batch);
    const batch = marked ? new Array<boolean>(n) : undefined;
    for (let k = 0; k < n; k++) {
      const at = index(k);
      data[k] = fn(...xs.map((x, j) => Number(x.t.data[at[j]])));
      if (batch) batch[k] = xs.some((x, j) => Boolean(x.batch?.[at[j]]));
    }
    const float = xs.some((x) => x.t.dtype === 'float32');
    const dtype = dtypeOf ? dtypeOf(xs.map((x) => x.t)) : float ? 'float32' : xs[0].t.dtype;
    const integer = dtype !== 'float32';
    return {
      kind: 'host',
      t: same(
        { dims, dtype, data: new Float32Array() },
        integer ? data.map(Math.trunc) : data,
        dims,
      ),
      batch,
    };
  };
}
const bool = () => 'bool' as const;
const last = (ins: readonly HostTensor[]) => ins[ins.length - 1].dtype;

/** Gather along an axis of a host tensor (any rank). */
const gather: HostFn = (ctx, ins) => {
  const [d, i] = [ins[0] ?? ctx.fail('expects data'), ins[1] ?? ctx.fail('expects indices')];
  const rank = d.t.dims.length;
  const axis = norm(ctx.attr('axis', 0), rank);
  const dims = d.t.dims;
  const outer = size(dims.slice(0, axis)),
    inner = size(dims.slice(axis + 1)),
    n = dims[axis];
  const idx = Array.from(i.t.data, (v) => norm(Number(v), n));
  const data: number[] = [],
    batch: boolean[] = [];
  for (let o = 0; o < outer; o++)
    for (const k of idx)
      for (let j = 0; j < inner; j++) {
        const src = (o * n + k) * inner + j;
        data.push(Number(d.t.data[src]));
        batch.push(Boolean(d.batch?.[src]));
      }
  const outDims = [...dims.slice(0, axis), ...i.t.dims, ...dims.slice(axis + 1)];
  return { kind: 'host', t: same(d.t, data, outDims), batch: d.batch ? batch : undefined };
};

const concat: HostFn = (ctx, ins) => {
  const parts = ins.filter((v): v is Host => v != null);
  const rank = parts[0].t.dims.length;
  const axis = norm(ctx.attr('axis', 0), Math.max(1, rank));
  const dims = [...parts[0].t.dims];
  dims[axis] = parts.reduce((n, p) => n + p.t.dims[axis], 0);
  const outer = size(dims.slice(0, axis)),
    inner = size(dims.slice(axis + 1));
  const data: number[] = [],
    batch: boolean[] = [];
  const marked = parts.some((p) => p.batch);
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.t.dims[axis] * inner;
      for (let j = 0; j < chunk; j++) {
        data.push(Number(p.t.data[o * chunk + j]));
        if (marked) batch.push(Boolean(p.batch?.[o * chunk + j]));
      }
    }
  }
  const dtype = parts.some((p) => p.t.dtype === 'float32') ? 'float32' : parts[0].t.dtype;
  return {
    kind: 'host',
    t: same({ ...parts[0].t, dtype }, data, rank ? dims : [data.length]),
    batch: marked ? batch : undefined,
  };
};

/** Reshape-like ops on host data keep the values and their batch marks. */
function relabel(
  dimsOf: (ctx: OpCtx, x: Host, ins: readonly (Host | undefined)[]) => number[],
): HostFn {
  return (ctx, ins) => {
    const x = ins[0] ?? ctx.fail('expects an input');
    return { kind: 'host', t: { ...x.t, dims: dimsOf(ctx, x, ins) }, batch: x.batch };
  };
}

const axesIn = (ctx: OpCtx, ins: readonly (Host | undefined)[]) =>
  ins[1] ? Array.from(ins[1].t.data, Number) : ctx.attr<number[]>('axes', []);

const unsqueeze = relabel((ctx, x, ins) => {
  const axes = axesIn(ctx, ins);
  const out = [...x.t.dims];
  const rank = out.length + axes.length;
  for (const a of axes.map((v) => norm(v, rank)).sort((p, q) => p - q)) out.splice(a, 0, 1);
  return out;
});

const squeeze = relabel((ctx, x, ins) => {
  const axes = axesIn(ctx, ins).map((a) => norm(a, x.t.dims.length));
  return x.t.dims.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
});

/** Element indices of a host tensor picked per axis (slice, transpose), with their batch marks. */
function pick(x: Host, dims: number[], source: (out: number[]) => number[]): Host {
  const strides = x.t.dims.map((_, i) => size(x.t.dims.slice(i + 1)));
  const n = size(dims);
  const idx = new Array<number>(n);
  const at = dims.map(() => 0);
  for (let k = 0; k < n; k++) {
    idx[k] = source(at).reduce((p, v, a) => p + v * strides[a], 0);
    for (let a = dims.length - 1; a >= 0 && ++at[a] === dims[a]; a--) at[a] = 0;
  }
  return {
    kind: 'host',
    t: same(
      x.t,
      idx.map((i) => Number(x.t.data[i])),
      dims,
    ),
    batch: x.batch ? idx.map((i) => x.batch![i]) : undefined,
  };
}

const slice: HostFn = (ctx, ins) => {
  const x = ins[0] ?? ctx.fail('expects an input');
  const rank = x.t.dims.length;
  const get = (k: number, name: string) =>
    ins[k]
      ? Array.from(ins[k]!.t.data, Number)
      : (ctx.node.attrs.get(name) as number[] | undefined);
  const starts = get(1, 'starts') ?? ctx.fail('has no starts');
  const ends = get(2, 'ends') ?? ctx.fail('has no ends');
  const axes = (get(3, 'axes') ?? starts.map((_, i) => i)).map((a) => norm(a, rank));
  const steps = get(4, 'steps') ?? axes.map(() => 1);
  const begin = x.t.dims.map(() => 0),
    step = x.t.dims.map(() => 1),
    dims = [...x.t.dims];
  axes.forEach((a, i) => {
    const n = x.t.dims[a],
      st = steps[i];
    const clamp = (v: number, lo: number, hi: number) =>
      Math.max(lo, Math.min(hi, v < 0 ? v + n : v));
    const b = st > 0 ? clamp(starts[i], 0, n) : clamp(starts[i], -1, n - 1);
    const e = st > 0 ? clamp(ends[i], 0, n) : clamp(ends[i], -1, n - 1);
    begin[a] = b;
    step[a] = st;
    dims[a] = Math.max(0, Math.ceil((e - b) / st));
  });
  return pick(x, dims, (out) => out.map((o, a) => begin[a] + o * step[a]));
};

const transpose: HostFn = (ctx, ins) => {
  const x = ins[0] ?? ctx.fail('expects an input');
  const rank = x.t.dims.length;
  const perm = ctx.attr<number[]>('perm', [...Array(rank).keys()].reverse());
  const dims = perm.map((p) => x.t.dims[p]);
  return pick(x, dims, (out) => {
    const src = new Array<number>(rank);
    perm.forEach((p, i) => (src[p] = out[i]));
    return src;
  });
};

const cast: HostFn = (ctx, [x]) => {
  const to = ctx.attr('to', 1);
  const float = to === 1 || to === 10 || to === 11;
  const data = Array.from(x!.t.data, Number);
  return {
    kind: 'host',
    t: same({ ...x!.t, dtype: float ? 'float32' : to === 9 ? 'bool' : 'int32' }, data, x!.t.dims),
    batch: x!.batch,
  };
};

const constantOfShape: HostFn = (ctx, [s]) => {
  const dims = Array.from(s!.t.data, Number);
  const v = ctx.node.attrs.get('value') as HostTensor | undefined;
  const fill = v ? Number(v.data[0]) : 0;
  return {
    kind: 'host',
    t: same(
      v ?? { dims: [], dtype: 'float32', data: new Float32Array() },
      new Array(size(dims)).fill(fill),
      dims,
    ),
  };
};

const range: HostFn = (ctx, [a, b, d]) => {
  const [start, limit, delta] = [a, b, d].map((v) => Number(v!.t.data[0]));
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  return {
    kind: 'host',
    t: same(
      a!.t,
      Array.from({ length: n }, (_, i) => start + i * delta),
      [n],
    ),
  };
};

export const HOST_OPS: Record<string, HostFn> = {
  Shape: shape,
  Gather: gather,
  Concat: concat,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Reshape: relabel((ctx, x, ins) => {
    const t = Array.from(ins[1]!.t.data, Number).map((d, i) => (d === 0 ? x.t.dims[i] : d));
    const free = t.indexOf(-1);
    if (free >= 0) t[free] = size(x.t.dims) / t.reduce((p, d, i) => (i === free ? p : p * d), 1);
    return t;
  }),
  Flatten: relabel((ctx, x) => {
    const axis = norm(ctx.attr('axis', 1), x.t.dims.length);
    return [size(x.t.dims.slice(0, axis)), size(x.t.dims.slice(axis))];
  }),
  Identity: relabel((_, x) => [...x.t.dims]),
  Slice: slice,
  Transpose: transpose,
  Cast: cast,
  ConstantOfShape: constantOfShape,
  Range: range,
  Add: elementwise((a, b) => a + b),
  Sub: elementwise((a, b) => a - b),
  Mul: elementwise((a, b) => a * b),
  Div: elementwise((a, b) => a / b),
  Pow: elementwise((a, b) => a ** b),
  // fmod = 1: C's fmod (the sign of a); otherwise Python's % (the sign of b).
  Mod: (ctx, ins) =>
    elementwise(
      ctx.attr('fmod', 0)
        ? (a, b) => a - Math.trunc(a / b) * b
        : (a, b) => a - Math.floor(a / b) * b,
    )(ctx, ins),
  Max: elementwise((...v) => Math.max(...v)),
  Min: elementwise((...v) => Math.min(...v)),
  Neg: elementwise((a) => -a),
  Abs: elementwise((a) => Math.abs(a)),
  Sqrt: elementwise((a) => Math.sqrt(a)),
  Floor: elementwise((a) => Math.floor(a)),
  Ceil: elementwise((a) => Math.ceil(a)),
  Reciprocal: elementwise((a) => 1 / a),
  Equal: elementwise((a, b) => Number(a === b), bool),
  Less: elementwise((a, b) => Number(a < b), bool),
  Greater: elementwise((a, b) => Number(a > b), bool),
  LessOrEqual: elementwise((a, b) => Number(a <= b), bool),
  GreaterOrEqual: elementwise((a, b) => Number(a >= b), bool),
  Not: elementwise((a) => Number(!a), bool),
  And: elementwise((a, b) => Number(Boolean(a && b)), bool),
  Or: elementwise((a, b) => Number(Boolean(a || b)), bool),
  Where: elementwise((c, a, b) => (c ? a : b), last),
};

/** Host ops that are only worth folding for small (shape-sized) values; weights stay as they are. */
export const FOLD_LIMIT = 4096;

export { NHWC_AXIS };
