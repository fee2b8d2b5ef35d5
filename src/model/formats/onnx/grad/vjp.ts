/**
 * The VJP rule table: one row per ONNX op the importer runs, keyed by op type. Adding an op to the
 * importer is adding its row here (vjp_elementwise.ts, vjp_nn.ts, vjp_shape.ts); an op without a
 * row keeps that model's gradients on tfjs, and `inspect` names it. Ops: activations and arithmetic
 * (vjp_elementwise.ts), convolutions, pooling, batch norm and products (vjp_nn.ts), moves, softmax,
 * reductions, scatter/gather (vjp_shape.ts), Resize (vjp_resize.ts), normalizations (vjp_norm.ts), Einsum
 * (vjp_einsum.ts). Opset 23's Attention is written out in its primitive ops first (upgrade.ts).
 */
import { ELEMENTWISE_VJP } from './vjp_elementwise.js';
import { nnVjp } from './vjp_nn.js';
import { SHAPE_VJP } from './vjp_shape.js';
import { RESIZE_VJP } from './vjp_resize.js';
import { normVjp } from './vjp_norm.js';
import { EINSUM_VJP } from './vjp_einsum.js';
import type { HostTensor } from '../decode.js';
import type { VjpTable } from './vjp_types.js';

export type ConvVjp = 'flip' | 'transpose';

/** `weights` reads a constant's float values (flipped filters, batch-norm scales). */
export function vjpTable(
  weights: (name: string) => HostTensor | undefined,
  conv: ConvVjp,
): VjpTable {
  return {
    ...ELEMENTWISE_VJP,
    ...nnVjp(weights, conv),
    ...SHAPE_VJP,
    ...RESIZE_VJP,
    ...normVjp(weights),
    ...EINSUM_VJP,
  };
}

/** Op types with a row (whatever the weights): for coverage checks. */
export const VJP_OPS: ReadonlySet<string> = new Set(
  Object.keys(vjpTable(() => undefined, 'transpose')),
);
