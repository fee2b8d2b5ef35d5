/**
 * Keras 2 legacy .h5 (model.save('net.h5'), Keras 2.0 through 2.15, also tf.keras): root attribute
 * model_config (the model's JSON) and group model_weights, whose attribute layer_names lists the
 * layers and whose group per layer lists its weight_names (datasets at <layer>/<weight name>).
 * Layer weights come in Keras's order for that layer. A nested model is saved as one "layer" with
 * all its sublayers' weights; they are split by the sublayer named in each weight's name.
 */
import { DeepvisError } from '../../../errors.js';
import { dataset, group, stringList, type H5Data, type H5Group } from './h5tree.js';
import { MODEL_CLASSES, type Dict } from './keras3_config.js';

export interface KerasParts {
  /** Keras-2-form {class_name, config}. */
  readonly topology: Dict;
  /** Weights per layer path ('layer', or 'model/layer' inside a nested model), in Keras's order. */
  readonly weights: ReadonlyMap<string, readonly H5Data[]>;
  readonly kerasMajor: number;
}

function layersOf(model: Dict): Dict[] {
  return Array.isArray(model.config) ? model.config : (model.config?.layers ?? []);
}

function nameOf(layer: Dict): string {
  return String(layer.config?.name ?? layer.name);
}

/** Each leaf layer of a nested model by name → its path below the top level ('base/block/conv'). */
function leafPaths(model: Dict, prefix: string, out: Map<string, string>): Map<string, string> {
  for (const l of layersOf(model)) {
    if (MODEL_CLASSES.has(l.class_name)) leafPaths(l, `${prefix}${nameOf(l)}/`, out);
    else out.set(nameOf(l), `${prefix}${nameOf(l)}`);
  }
  return out;
}

/** Top-level nested models (saved as one "layer") → their leaf paths. */
function nestedModels(topology: Dict): Map<string, Map<string, string>> {
  const nested = new Map<string, Map<string, string>>();
  for (const l of layersOf(topology))
    if (MODEL_CLASSES.has(l.class_name))
      nested.set(nameOf(l), leafPaths(l, `${nameOf(l)}/`, new Map()));
  return nested;
}

export function readLegacyH5(root: H5Group, source: string): KerasParts {
  const text = root.attrs.model_config;
  if (typeof text !== 'string') {
    throw new DeepvisError(
      `${source}: no model_config: this file holds weights only; save the whole model`,
    );
  }
  const version = String(root.attrs.keras_version ?? '2');
  if (version.startsWith('1.'))
    throw new DeepvisError(
      `${source}: written by Keras ${version}; deepvis reads Keras 2 and 3 files`,
    );
  let topology: Dict;
  try {
    topology = JSON.parse(text) as Dict;
  } catch {
    throw new DeepvisError(`${source}: model_config is not valid JSON (corrupt file?)`);
  }
  const mw = group(root, 'model_weights') ?? root;
  const nested = nestedModels(topology);
  const weights = new Map<string, H5Data[]>();
  for (const layer of stringList(mw.attrs.layer_names)) {
    const g = mw.groups.get(layer);
    if (!g)
      throw new DeepvisError(
        `${source}: model_weights lists layer '${layer}' but has no group for it (corrupt file?)`,
      );
    for (const name of stringList(g.attrs.weight_names)) {
      const data = dataset(g, name);
      if (!data)
        throw new DeepvisError(
          `${source}: layer '${layer}' has no dataset for its weight '${name}' (corrupt file?)`,
        );
      // Inside a nested model the weight's name says its layer: 'conv_a/kernel:0'.
      const parts = name.split('/');
      const leaves = nested.get(layer);
      const key =
        leaves && parts.length >= 2
          ? (leaves.get(parts[parts.length - 2]) ?? `${layer}/${parts[parts.length - 2]}`)
          : layer;
      const list = weights.get(key) ?? [];
      list.push(data);
      weights.set(key, list);
    }
  }
  return { topology, weights, kerasMajor: Number.parseInt(version, 10) || 2 };
}
