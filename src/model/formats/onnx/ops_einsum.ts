/**
 * Einsum as transposes, reshapes and batched matrix products (what transformer code writes for
 * attention, 'bhid,bhjd->bhij', and for projections, 'bnd,de->bne'). Operands are contracted left
 * to right; an index is summed out as soon as no later operand or the output needs it. Ellipses
 * broadcast (right-aligned). A repeated index within one operand (a diagonal) is refused.
 */
import * as tf from '@tensorflow/tfjs';
import { broadcastTo, hostTensor, materialize, type RtMeta } from './layout.js';
import type { OpCompiler, OpCtx } from './op_types.js';

interface Term {
  idx: string;
  t: tf.Tensor;
}

const ELLIPSIS_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** 'ij,jk->ik' with ellipses expanded for the given ranks, and the implicit output made explicit. */
export function parseEinsum(
  equation: string,
  ranks: readonly number[],
  fail: (why: string) => never,
): { inputs: string[]; output: string } {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.includes('->') ? eq.split('->') : [eq, null];
  const terms = lhs.split(',');
  if (terms.length !== ranks.length)
    fail(`equation '${equation}' names ${terms.length} operands; the node has ${ranks.length}`);
  const ellipsisRank = Math.max(
    0,
    ...terms.map((t, i) => (t.includes('...') ? ranks[i] - (t.length - 3) : 0)),
  );
  const letters = ELLIPSIS_LETTERS.slice(0, ellipsisRank);
  const inputs = terms.map((t, i) => {
    if (!t.includes('...')) {
      if (t.length !== ranks[i])
        fail(`operand ${i + 1} has rank ${ranks[i]} but '${t}' names ${t.length} axes`);
      return t;
    }
    const e = ranks[i] - (t.length - 3);
    return t.replace('...', letters.slice(ellipsisRank - e));
  });
  for (const t of inputs)
    if (new Set(t).size !== t.length)
      fail(`'${t}' repeats an index (a diagonal), which deepvis does not take`);
  let output: string;
  if (rhs == null) {
    const counts = new Map<string, number>();
    for (const c of inputs.join('')) counts.set(c, (counts.get(c) ?? 0) + 1);
    output =
      letters +
      [...counts]
        .filter(([c, n]) => n === 1 && !letters.includes(c))
        .map(([c]) => c)
        .sort()
        .join('');
  } else output = rhs.replace('...', letters);
  return { inputs, output };
}

/** Sums out axes of `a` that `keep` does not hold. */
function sumOut(a: Term, keep: string): Term {
  const drop = [...a.idx].map((c, i) => (keep.includes(c) ? -1 : i)).filter((i) => i >= 0);
  if (drop.length === 0) return a;
  return { idx: [...a.idx].filter((c) => keep.includes(c)).join(''), t: a.t.sum(drop) };
}

const prod = (xs: readonly number[]) => xs.reduce((p, q) => p * q, 1);

/** Contracts two terms, keeping the indices in `keep`. */
function contract(x: Term, y: Term, keep: string): Term {
  const a = sumOut(x, keep + y.idx),
    b = sumOut(y, keep + x.idx);
  const batch = [...a.idx].filter((c) => b.idx.includes(c) && keep.includes(c));
  const summed = [...a.idx].filter((c) => b.idx.includes(c) && !keep.includes(c));
  const left = [...a.idx].filter((c) => !b.idx.includes(c));
  const right = [...b.idx].filter((c) => !a.idx.includes(c));
  const dims = new Map<string, number>();
  for (const term of [a, b])
    [...term.idx].forEach((c, i) => dims.set(c, Math.max(dims.get(c) ?? 1, term.t.shape[i])));
  const arrange = (term: Term, order: string[], shape: number[]) => {
    const perm = order.map((c) => term.idx.indexOf(c));
    let t = perm.every((p, i) => p === i) ? term.t : tf.transpose(term.t, perm);
    const full = order.map((c) => dims.get(c)!);
    t = broadcastTo(t, full); // a broadcast ellipsis axis
    return t.reshape(shape);
  };
  const [nb, nl, ns, nr] = [batch, left, summed, right].map((g) =>
    prod(g.map((c) => dims.get(c)!)),
  );
  const ta = arrange(a, [...batch, ...left, ...summed], [nb, nl, ns]);
  const tb = arrange(b, [...batch, ...summed, ...right], [nb, ns, nr]);
  const out = tf.matMul(ta, tb).reshape([...batch, ...left, ...right].map((c) => dims.get(c)!));
  return { idx: [...batch, ...left, ...right].join(''), t: out };
}

export function einsum(
  equation: string,
  xs: readonly tf.Tensor[],
  fail: (why: string) => never,
): tf.Tensor {
  const { inputs, output } = parseEinsum(
    equation,
    xs.map((x) => x.rank),
    fail,
  );
  let acc: Term = sumOut({ idx: inputs[0], t: xs[0] }, output + inputs.slice(1).join(''));
  for (let i = 1; i < xs.length; i++) {
    const later = output + inputs.slice(i + 1).join('');
    acc = contract(acc, { idx: inputs[i], t: xs[i] }, later);
  }
  acc = sumOut(acc, output);
  const perm = [...output].map((c) => acc.idx.indexOf(c));
  if (perm.some((p) => p < 0)) fail(`output '${output}' names an index no operand has`);
  return perm.every((p, i) => p === i) ? acc.t : tf.transpose(acc.t, perm);
}

const einsumOp: OpCompiler = (ctx: OpCtx) => {
  const equation = ctx.attr('equation', '');
  const n = ctx.node.inputs.length;
  const metas: Array<RtMeta | undefined> = Array.from({ length: n }, (_, i) => ctx.meta(i));
  const consts = Array.from({ length: n }, (_, i) =>
    ctx.host(i) ? ctx.keep(hostTensor(ctx.host(i)!)) : null,
  );
  // Checked at load on the logical ranks, so a bad equation is one line before any run.
  parseEinsum(
    equation,
    Array.from({ length: n }, (_, i) => ctx.shape(i).length),
    (why) => ctx.fail(why),
  );
  return {
    layout: 'plain',
    run: (xs) =>
      einsum(
        equation,
        xs.map((x, i) => consts[i] ?? materialize(x!, metas[i]!)),
        (why) => ctx.fail(why),
      ),
  };
};

export const EINSUM_OPS: Record<string, OpCompiler> = { Einsum: einsumOp };
