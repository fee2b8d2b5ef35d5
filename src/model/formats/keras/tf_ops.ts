/**
 * Keras arithmetic saved outside layers, rewritten as ElementwiseOp (op_layers.ts):
 * - tf.keras TFOpLambda (`x + 3.0` → function '__operators__.add', node [[layer, 0, 0, {y: 3.0}]];
 *   a tensor operand is [layer, node, index] in y);
 * - Keras 3 operations (module keras.src.ops.numpy, class Add/Multiply/…, call record
 *   {args: [tensor, 3.0]}).
 * Anything else (other TF functions, three operands, a constant on the left of tf.keras's `-`)
 * returns null, and the caller refuses the layer by name.
 */
import type { ElementwiseKind } from './op_layers.js';
import type { Dict } from './keras3_config.js';

const TF_FUNCTIONS: Record<string, ElementwiseKind> = {
  '__operators__.add': 'add',
  'math.add': 'add',
  'math.subtract': 'subtract',
  'math.multiply': 'multiply',
  'math.truediv': 'divide',
  'math.divide': 'divide',
};

const KERAS3_OPS: Record<string, ElementwiseKind> = {
  Add: 'add',
  Subtract: 'subtract',
  Multiply: 'multiply',
  Divide: 'divide',
  TrueDivide: 'divide',
};

function layerOf(
  op: ElementwiseKind,
  name: string,
  kind: string,
  constant: number | null,
  constantFirst: boolean,
  inbound: unknown[],
): Dict {
  return {
    class_name: 'DeepvisElementwiseOp',
    name,
    config: { name, op, constant, constantFirst, kind },
    inbound_nodes: [inbound],
  };
}

const isRef = (v: unknown): v is [string, number, number] =>
  Array.isArray(v) && v.length === 3 && typeof v[0] === 'string';

/** A tf.keras TFOpLambda layer (Keras-2-form dict) as an ElementwiseOp, or null. */
export function tfOpLambda(layer: Dict, name: string): Dict | null {
  const op = TF_FUNCTIONS[String(layer.config?.function)];
  const nodes = layer.inbound_nodes;
  if (!op || !Array.isArray(nodes) || nodes.length !== 1) return null;
  const node = typeof nodes[0]?.[0] === 'string' ? [nodes[0]] : nodes[0]; // [[entry]] or [entry]
  if (!Array.isArray(node) || node.length !== 1 || !isRef(node[0].slice(0, 3))) return null;
  const [src, n, i, kwargs] = node[0] as [string, number, number, Dict | undefined];
  const y = kwargs?.y;
  if (typeof y === 'number') return layerOf(op, name, 'TFOpLambda', y, false, [[src, n, i, {}]]);
  if (isRef(y))
    return layerOf(op, name, 'TFOpLambda', null, false, [
      [src, n, i, {}],
      [...y, {}],
    ]);
  return null;
}

/**
 * A Keras 3 operation's call record → the ElementwiseOp config and its operands, or null. `refs`
 * are the Keras-2 inbound entries of the record's tensors, in order (from keras3_config.ts).
 */
export function keras3Op(
  className: string,
  record: Dict | undefined,
  refs: unknown[][],
): { config: Dict; inbound: unknown[][] } | null {
  const op = KERAS3_OPS[className];
  const args: unknown[] = Array.isArray(record?.args) ? record.args : [];
  if (!op || args.length !== 2) return null;
  const kind = `${className} (keras.ops)`;
  const constant = args.findIndex((a) => typeof a === 'number');
  if (constant === -1 && refs.length === 2)
    return { config: { op, constant: null, constantFirst: false, kind }, inbound: refs };
  if (constant !== -1 && refs.length === 1)
    return {
      config: { op, constant: args[constant], constantFirst: constant === 0, kind },
      inbound: refs,
    };
  return null;
}
