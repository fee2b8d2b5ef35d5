/**
 * Checks made on a node before it is compiled or run at load, against its input's shape and the
 * memory budget, so a 3 KB file cannot make the loader allocate (or compute) without end: a Conv
 * with pads=[100000]×4 would pad a 28×28 map to 200,026² cells per channel. One line names the
 * file, the node, the attribute and the shape.
 *   - convolutions and pools: kernel, strides and dilations positive integers; pads non-negative
 *     and no larger than the input's side or the dilated kernel (a pad past both only adds rows
 *     that see nothing but padding); the dilated kernel must fit the padded input; the output
 *     (batch 1) must fit the budget;
 *   - Pad: pads no larger than twice the side (reflect: smaller than the side), output in budget;
 *   - ConstantOfShape, Range, Expand, Tile and Resize: the element count of the output (batch 1)
 *     within the budget before it is made.
 */
import { formatBytes, memoryBudget } from '../../../engine/memory.js';
import type { OpCtx } from './op_types.js';

const WINDOWED = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool']);
/** Fold limits of a shape-like host value (a shape, a range's length). */
const MAX_SIDE = 2 ** 31 - 1;

const list = (v: readonly number[]) => `[${v.join(', ')}]`;
const posInts = (v: readonly number[]) => v.every((x) => Number.isSafeInteger(x) && x >= 1);

function checkBytes(ctx: OpCtx, elements: number, what: string): void {
  const bytes = elements * 4;
  const budget = memoryBudget();
  if (!Number.isFinite(bytes) || bytes > budget) {
    ctx.fail(
      `${what} would hold ${Number.isFinite(elements) ? elements.toLocaleString('en') : 'too many'} values (${Number.isFinite(bytes) ? formatBytes(bytes) : 'more than any machine has'} for one image); the memory budget is ${formatBytes(budget)}`,
    );
  }
}

function windowed(ctx: OpCtx): void {
  const x = ctx.shape(0);
  if (x.length !== 4) return; // the op itself says it needs a 4-D image
  const [, , h, w] = x;
  const op = ctx.node.op;
  let k: number[];
  let cout = x[1];
  if (op === 'Conv' || op === 'ConvTranspose') {
    const W = ctx.host(1);
    if (!W || W.dims.length !== 4) return; // the op names the problem
    k = [W.dims[2], W.dims[3]];
    cout = op === 'Conv' ? W.dims[0] : W.dims[1] * Number(ctx.attr('group', 1));
  } else {
    k = ctx.attr<number[]>('kernel_shape', []);
    if (k.length !== 2) return;
  }
  const s = ctx.attr<number[]>('strides', [1, 1]);
  const d = ctx.attr<number[]>('dilations', [1, 1]);
  if (!posInts(k)) ctx.fail(`kernel ${list(k)} must be positive integers`);
  if (s.length !== 2 || !posInts(s)) ctx.fail(`strides ${list(s)} must be two positive integers`);
  if (d.length !== 2 || !posInts(d)) ctx.fail(`dilations ${list(d)} must be two positive integers`);
  const ek = k.map((kk, i) => (kk - 1) * d[i] + 1);
  const auto = String(ctx.attr('auto_pad', 'NOTSET'));
  const p = auto === 'NOTSET' ? ctx.attr<number[]>('pads', [0, 0, 0, 0]) : [0, 0, 0, 0];
  if (p.length !== 4) return; // the op names it
  if (!p.every((v) => Number.isSafeInteger(v) && v >= 0))
    ctx.fail(`pads ${list(p)} must be non-negative integers`);
  const sides = [h, w];
  p.forEach((v, i) => {
    const axis = i % 2;
    const most = Math.max(sides[axis], ek[axis] - 1);
    if (v > most)
      ctx.fail(
        `pads ${list(p)} do not fit its input of ${h}×${w} with a ${ek[0]}×${ek[1]} window: a pad may be at most ${most} there`,
      );
  });
  let out: number[];
  if (op === 'ConvTranspose') {
    out = sides.map((n, i) => (n - 1) * s[i] + ek[i] - p[i] - p[i + 2]);
  } else {
    const padded = sides.map((n, i) => n + p[i] + p[i + 2]);
    if (auto === 'NOTSET' && padded.some((n, i) => n < ek[i])) {
      ctx.fail(
        `its ${ek[0]}×${ek[1]} window (kernel ${list(k)}, dilations ${list(d)}) does not fit its padded input of ${padded[0]}×${padded[1]}`,
      );
    }
    out =
      auto === 'NOTSET'
        ? padded.map((n, i) => Math.floor((n - ek[i]) / s[i]) + 1)
        : sides.map((n, i) => Math.ceil(n / s[i]));
  }
  if (out.some((n) => n < 1))
    ctx.fail(`its output would be ${out[0]}×${out[1]} for its input of ${h}×${w}`);
  checkBytes(ctx, cout * out[0] * out[1], `its output of ${cout}×${out[0]}×${out[1]}`);
}

function pad(ctx: OpCtx): void {
  const x = ctx.shape(0);
  const pads = ctx.opset < 11 ? ctx.attr<number[]>('pads', []) : ctx.hostInts(1);
  if (!pads || pads.length === 0) return;
  const mode = String(ctx.attr('mode', 'constant'));
  const axes = ctx.node.inputs[3] ? (ctx.hostInts(3) ?? []) : x.map((_, i) => i);
  if (pads.length !== 2 * axes.length) return; // the op names it
  const out = [...x];
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + x.length : a0;
    const side = x[a];
    if (side == null) return;
    const [b, e] = [pads[i], pads[i + axes.length]];
    const most = mode === 'reflect' ? side - 1 : Math.max(2 * side, 4);
    for (const v of [b, e]) {
      if (Number.isSafeInteger(v) && v > most)
        ctx.fail(
          `pads ${list(pads)} do not fit its input ${list(x)}: at most ${most} on axis ${a}${mode === 'reflect' ? ' (reflect)' : ''}`,
        );
    }
    out[a] = side + Math.max(0, b) + Math.max(0, e);
  });
  checkBytes(
    ctx,
    out.slice(1).reduce((q, v) => q * v, 1),
    `its output ${list(out)}`,
  );
}

function constantOfShape(ctx: OpCtx): void {
  const shape = ctx.hostInts(0);
  if (!shape) return;
  if (shape.some((v) => !Number.isSafeInteger(v) || v < 0 || v > MAX_SIDE))
    ctx.fail(`shape ${list(shape)} must be non-negative integers`);
  checkBytes(
    ctx,
    shape.reduce((q, v) => q * v, 1),
    `its output ${list(shape)}`,
  );
}

function range(ctx: OpCtx): void {
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.host(i)?.data[0]);
  if (start == null || limit == null || delta == null) return;
  if (delta === 0) ctx.fail('delta is 0');
  checkBytes(
    ctx,
    Math.max(0, Math.ceil((Number(limit) - Number(start)) / Number(delta))),
    `its range ${start}…${limit} by ${delta}`,
  );
}

/** Elements of `shape` past the batch axis (the probe runs batch 1). */
const perImage = (shape: readonly number[]) => shape.slice(1).reduce((q, v) => q * v, 1);

function expand(ctx: OpCtx): void {
  const x = ctx.shape(0),
    target = ctx.hostInts(1);
  if (!target) return;
  if (target.some((v) => !Number.isSafeInteger(v) || v < 0 || v > MAX_SIDE))
    ctx.fail(`shape ${list(target)} must be non-negative integers`);
  const rank = Math.max(x.length, target.length);
  const pad = (s: readonly number[]) => [...Array(rank - s.length).fill(1), ...s];
  const [a, b] = [pad(x), pad(target)];
  checkBytes(
    ctx,
    perImage(a.map((d, i) => (d === 1 ? b[i] : d))),
    `its output ${list(a.map((d, i) => (d === 1 ? b[i] : d)))}`,
  );
}

function tile(ctx: OpCtx): void {
  const x = ctx.shape(0),
    repeats = ctx.hostInts(1);
  if (!repeats || repeats.length !== x.length) return;
  if (repeats.some((v) => !Number.isSafeInteger(v) || v < 0))
    ctx.fail(`repeats ${list(repeats)} must be non-negative integers`);
  const out = x.map((d, i) => d * repeats[i]);
  checkBytes(ctx, perImage(out), `its output ${list(out)}`);
}

function resize(ctx: OpCtx): void {
  const x = ctx.shape(0);
  const [scalesAt, sizesAt] = ctx.opset < 11 ? [1, -1] : [2, 3];
  const sizes = sizesAt > 0 && ctx.node.inputs[sizesAt] ? ctx.hostInts(sizesAt) : undefined;
  const scales = ctx.node.inputs[scalesAt]
    ? ctx.host(scalesAt)?.data
    : (ctx.node.attrs.get('scales') as number[] | undefined);
  const axes =
    (ctx.node.attrs.get('axes') as number[] | undefined)?.map((a) => (a < 0 ? a + x.length : a)) ??
    x.map((_, i) => i);
  const out = [...x];
  if (sizes?.length) axes.forEach((a, k) => (out[a] = sizes[k]));
  else if (scales?.length) axes.forEach((a, k) => (out[a] = Math.floor(x[a] * Number(scales[k]))));
  else return;
  if (out.some((v) => !Number.isFinite(v) || v < 0))
    ctx.fail(`its output ${list(out)} must have non-negative sizes`);
  checkBytes(ctx, perImage(out), `its output ${list(out)}`);
}

/** Throws one line when `ctx`'s node would take more than its input and the budget allow. */
export function checkNodeLimits(ctx: OpCtx): void {
  const op = ctx.node.op;
  if (WINDOWED.has(op)) windowed(ctx);
  else if (op === 'Pad') pad(ctx);
  else if (op === 'ConstantOfShape') constantOfShape(ctx);
  else if (op === 'Range') range(ctx);
  else if (op === 'Expand') expand(ctx);
  else if (op === 'Tile') tile(ctx);
  else if (op === 'Resize' || op === 'Upsample') resize(ctx);
}
