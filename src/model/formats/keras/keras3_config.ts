/**
 * Keras 3 config.json → the Keras 2 model JSON that tfjs-layers deserializes. Keras 3 differs in
 * the wrapping (module / registered_name / build_config / compile_config beside each object), dtype
 * policies instead of dtype strings, `batch_shape` on InputLayer, and call records for inbound
 * nodes ({args: [KerasTensor | [KerasTensor…]], kwargs}) instead of [layer, node, tensor, kwargs]
 * lists. Layer configs themselves keep their Keras 2 keys; prepare.ts cleans what both share.
 */
import { DeepvisError } from '../../../errors.js';
import { keras3Op } from './tf_ops.js';

// Configs are untyped JSON; each function checks the fields it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any field may hold anything; the readers check
export type Dict = { [key: string]: any };

export const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** A Keras 3 operation (keras.src.ops.*) in a functional config: not a layer, no weights. */
export function isOperation(layer: Dict): boolean {
  return typeof layer.module === 'string' && /(^|\.)ops(\.|$)/.test(layer.module);
}

/**
 * Node indices of references to layers in `bump` move up by one: in Keras 3 a nested Sequential is
 * no Functional, so its first call is its node 0, where tfjs (like tf.keras) counts the node that
 * links the model's own inputs to its outputs first.
 */
type Bump = ReadonlySet<string>;

function history(h: unknown[], bump: Bump): unknown[] {
  return [h[0], bump.has(String(h[0])) ? Number(h[1]) + 1 : h[1], h[2]];
}

/** Every __keras_tensor__ in a call record's args, in order, as Keras 2 inbound entries. */
function tensorsOf(value: unknown, out: unknown[][], bump: Bump): unknown[][] {
  if (Array.isArray(value)) for (const v of value) tensorsOf(v, out, bump);
  else if (value && typeof value === 'object') {
    const d = value as Dict;
    if (d.class_name === '__keras_tensor__') {
      const h = d.config?.keras_history;
      if (!Array.isArray(h) || h.length !== 3)
        throw new DeepvisError('a Keras tensor without keras_history');
      out.push([...history(h, bump), {}]);
    } else for (const v of Object.values(d)) tensorsOf(v, out, bump);
  }
  return out;
}

function node3to2(node: unknown, bump: Bump): unknown {
  if (Array.isArray(node)) return node; // already the legacy form
  const d = node as Dict;
  // Only the call's args carry layer inputs; kwargs such as `training` or `mask` are not inputs.
  return tensorsOf(d?.args ?? [], [], bump);
}

/** Keras 3 writes [[name, 0, 0]] (or, for one input in early 3.x, [name, 0, 0]). */
function tensorList(v: unknown, bump: Bump): unknown[] {
  if (!Array.isArray(v)) return [];
  return (typeof v[0] === 'string' ? [v] : v).map((h: unknown[]) => history(h, bump));
}

function layer3to2(layer: Dict, bump: Bump, kerasMajor: number): Dict {
  if (MODEL_CLASSES.has(layer.class_name))
    return { ...model3to2(layer, kerasMajor), ...placement(layer, bump) };
  const config: Dict = { ...layer.config };
  if (layer.class_name === 'InputLayer') {
    const shape =
      config.batch_shape ??
      config.batch_input_shape ??
      (config.shape ? [null, ...config.shape] : undefined);
    delete config.batch_shape;
    delete config.shape;
    delete config.optional;
    config.batch_input_shape = shape;
  }
  // `x + 3.0` on a Keras 3 tensor saves an operation (module keras.src.ops.*) named like a layer
  // (Add, Multiply): arithmetic becomes an ElementwiseOp; anything else keeps where it came from,
  // so it is refused rather than built as the look-alike layer.
  if (isOperation(layer)) {
    const nodes: unknown[] = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    const refs = nodes.length === 1 ? (node3to2(nodes[0], bump) as unknown[][]) : [];
    const op = nodes.length === 1 ? keras3Op(layer.class_name, nodes[0] as Dict, refs) : null;
    if (op)
      return {
        class_name: 'DeepvisElementwiseOp',
        name: layer.name,
        config: { name: config.name ?? layer.name, ...op.config },
        inbound_nodes: [op.inbound],
      };
    return { class_name: layer.class_name, config, op: layer.module, ...placement(layer, bump) };
  }
  return { class_name: layer.class_name, config, ...placement(layer, bump) };
}

function placement(layer: Dict, bump: Bump): Dict {
  const out: Dict = {};
  if ('name' in layer) out.name = layer.name;
  if (Array.isArray(layer.inbound_nodes))
    out.inbound_nodes = layer.inbound_nodes.map((n: unknown) => node3to2(n, bump));
  return out;
}

/** `kerasMajor` 2 for the .keras zips tf.keras 2.13–2.15 wrote (their Sequential is a Functional). */
export function model3to2(model: Dict, kerasMajor = 3): Dict {
  const config: Dict = model.config ?? {};
  const raw: Dict[] = config.layers ?? [];
  const bump = new Set(
    kerasMajor >= 3
      ? raw
          .filter((l) => l.class_name === 'Sequential')
          .map((l) => String(l.name ?? l.config?.name))
      : [],
  );
  const layers: Dict[] = raw.map((l) => layer3to2(l, bump, kerasMajor));
  if (model.class_name === 'Sequential') {
    // A Sequential built by .build(shape) has no InputLayer: its shape is in build_config.
    const shape = model.build_config?.input_shape;
    if (
      layers.length &&
      layers[0].class_name !== 'InputLayer' &&
      Array.isArray(shape) &&
      !layers[0].config.batch_input_shape
    ) {
      layers[0] = { ...layers[0], config: { ...layers[0].config, batch_input_shape: shape } };
    }
    return { class_name: 'Sequential', config: { name: config.name, layers } };
  }
  return {
    class_name: 'Functional',
    config: {
      name: config.name,
      layers,
      input_layers: tensorList(config.input_layers, bump),
      output_layers: tensorList(config.output_layers, bump),
    },
  };
}
