/**
 * Einsum's VJP is an Einsum: for 'ij,jk->ik', d/dA = einsum('ik,jk->ij', dy, B). For each operand,
 * the gradient contracts dy with the other operands onto the operand's own indices. An index an
 * operand alone sums away (it appears nowhere else) would need a broadcast back, and an index of
 * size 1 against N a sum: both not supported, as are diagonals (the importer refuses those too).
 */
import { parseEinsum } from '../ops_einsum.js';
import type { VjpTable } from './vjp_types.js';

export const EINSUM_VJP: VjpTable = {
  Einsum: (v) => {
    const ranks = v.node.inputs.map((n) => v.shape(n).length);
    const { inputs, output } = parseEinsum(v.attr('equation', ''), ranks, v.fail);
    const sizes = new Map<string, number>();
    inputs.forEach((term, i) =>
      [...term].forEach((c, a) => {
        const d = v.shape(v.node.inputs[i])[a];
        if (sizes.has(c) && sizes.get(c) !== d)
          v.fail('an einsum that broadcasts an index is not supported');
        sizes.set(c, d);
      }),
    );
    return inputs.map((term, i) => {
      if (!v.needs(i)) return null;
      const others = inputs.filter((_, j) => j !== i);
      const seen = new Set([...output, ...others.join('')]);
      if ([...term].some((c) => !seen.has(c)))
        v.fail(
          `operand ${i + 1}'s index summed on its own ('${v.attr('equation', '')}') is not supported`,
        );
      const eq = `${[output, ...others].join(',')}->${term}`;
      return v.op('Einsum', [v.dy, ...v.node.inputs.filter((_, j) => j !== i)], { equation: eq });
    });
  },
};
