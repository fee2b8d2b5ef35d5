/**
 * Keras 3 config.json → the Keras 2 model JSON that tfjs-layers deserializes. Keras 3 differs in
 * the wrapping (module / registered_name / build_config / compile_config beside each object), dtype
 * policies instead of dtype strings, `batch_shape` on InputLayer, and call records for inbound
 * nodes ({args: [KerasTensor | [KerasTensor…]], kwargs}) instead of [layer, node, tensor, kwargs]
 * lists. Layer configs themselves keep their Keras 2 keys; prepare.ts cleans what both share.
 */
import { DeepvisError } from '../../../errors.js';

// Configs are untyped JSON; each function checks the fields it reads.
export type Dict = { [key: string]: any };

export const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Every __keras_tensor__ in a call record's args, in order, as Keras 2 inbound entries. */
function tensorsOf(value: unknown, out: unknown[][]): unknown[][] {
  if (Array.isArray(value)) for (const v of value) tensorsOf(v, out);
  else if (value && typeof value === 'object') {
    const d = value as Dict;
    if (d.class_name === '__keras_tensor__') {
      const h = d.config?.keras_history;
      if (!Array.isArray(h) || h.length !== 3) throw new DeepvisError('a Keras tensor without keras_history');
      out.push([h[0], h[1], h[2], {}]);
    } else for (const v of Object.values(d)) tensorsOf(v, out);
  }
  return out;
}

function node3to2(node: unknown): unknown {
  if (Array.isArray(node)) return node; // already the legacy form
  const d = node as Dict;
  // Only the call's args carry layer inputs; kwargs such as `training` or `mask` are not inputs.
  return tensorsOf(d?.args ?? [], []);
}

/** Keras 3 writes [[name, 0, 0]] (or, for one input in early 3.x, [name, 0, 0]). */
function tensorList(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  return typeof v[0] === 'string' ? [v] : v;
}

function layer3to2(layer: Dict): Dict {
  if (MODEL_CLASSES.has(layer.class_name)) return { ...model3to2(layer), ...placement(layer) };
  const config: Dict = { ...layer.config };
  if (layer.class_name === 'InputLayer') {
    const shape = config.batch_shape ?? config.batch_input_shape ?? (config.shape ? [null, ...config.shape] : undefined);
    delete config.batch_shape;
    delete config.shape;
    delete config.optional;
    config.batch_input_shape = shape;
  }
  return { class_name: layer.class_name, config, ...placement(layer) };
}

function placement(layer: Dict): Dict {
  const out: Dict = {};
  if ('name' in layer) out.name = layer.name;
  if (Array.isArray(layer.inbound_nodes)) out.inbound_nodes = layer.inbound_nodes.map(node3to2);
  return out;
}

export function model3to2(model: Dict): Dict {
  const config: Dict = model.config ?? {};
  const layers: Dict[] = (config.layers ?? []).map(layer3to2);
  if (model.class_name === 'Sequential') {
    // A Sequential built by .build(shape) has no InputLayer: its shape is in build_config.
    const shape = model.build_config?.input_shape;
    if (layers.length && layers[0].class_name !== 'InputLayer' && Array.isArray(shape) && !layers[0].config.batch_input_shape) {
      layers[0] = { ...layers[0], config: { ...layers[0].config, batch_input_shape: shape } };
    }
    return { class_name: 'Sequential', config: { name: config.name, layers } };
  }
  return {
    class_name: 'Functional',
    config: {
      name: config.name,
      layers,
      input_layers: tensorList(config.input_layers),
      output_layers: tensorList(config.output_layers),
    },
  };
}
