/**
 * Resize's VJP (the importer computes Resize as one interpolation matrix per resized axis,
 * ops_resize.ts): dy times the same matrices, along each axis.
 */
import { interpolationMatrix, resizePlan } from '../ops_resize.js';
import type { VjpTable } from './vjp_types.js';

/**
 * Resize is a product with one interpolation matrix M [out, in] per resized axis (ops_resize.ts);
 * its VJP multiplies dy by M along each of those axes (dx = dy · M), with the same matrices.
 */
export const RESIZE_VJP: VjpTable = {
  Resize: (v) => {
    const shape = v.shape(v.x());
    const rank = shape.length;
    const [scalesAt, sizesAt] = v.opset < 11 ? [1, -1] : [2, 3];
    const constant = (i: number) =>
      i > 0 && v.node.inputs[i]
        ? (v.value(v.node.inputs[i]) ?? v.fail('its scales or sizes must be constants'))
        : undefined;
    const scales = constant(scalesAt),
      sizes = constant(sizesAt);
    const plan = resizePlan(
      shape,
      v.opset,
      (n, f) => v.attr(n, f),
      v.fail,
      scales?.data,
      sizes ? Array.from(sizes.data, Number) : undefined,
      v.node.attrs.get('axes') as number[] | undefined,
    );
    let g = v.dy;
    // The batch axis keeps its size (as the importer has it).
    for (const a of plan.resized.filter((x) => !v.batched(v.x(), x))) {
      const m = interpolationMatrix(shape[a], plan.sizes[a], plan.scales[a], plan.at);
      const perm = [...Array(rank).keys()];
      [perm[a], perm[rank - 1]] = [perm[rank - 1], perm[a]];
      const moved = a === rank - 1 ? g : v.op('Transpose', [g], { perm });
      const back = v.op('MatMul', [moved, v.floats(m, [plan.sizes[a], shape[a]])]);
      g = a === rank - 1 ? back : v.op('Transpose', [back], { perm });
    }
    return [g, null, null, null];
  },
};
