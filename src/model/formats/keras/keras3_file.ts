/**
 * Keras 3 .keras: a zip of config.json, metadata.json and model.weights.h5. The weights file is
 * keyed not by layer name but by object path (keras/src/saving/saving_lib.py): a model's layers
 * sit at layers/<snake_case of the class>[_k]/vars/<i>, k counting earlier layers of the same
 * class, a nested model's at layers/<its key>/layers/…. Recent Keras also writes the layer's name
 * as an attribute of its vars group; when present it is checked. tf.keras 2.13–2.15 wrote the same
 * zip with `_layer_checkpoint_dependencies` where Keras 3 writes `layers`, and its counters skip a
 * number after each layer with weights (it lists those twice); keys are therefore taken in counter
 * order, not rebuilt.
 */
import { pytorchCheckpoint } from '../../pytorch.js';
import { DeepvisError } from '../../../errors.js';
import { group, readH5, type H5Data, type H5Group } from './h5tree.js';
import { isOperation, MODEL_CLASSES, model3to2, type Dict } from './keras3_config.js';
import type { KerasParts } from './legacy_h5.js';
import { unzipCapped } from './unzip.js';

/** keras.src.utils.naming.to_snake_case. */
export function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The container's keys for one class, in the order of their counters: conv2d, conv2d_1, …. The
 * n-th layer of that class takes the n-th key, which also reads tf.keras's keys with gaps.
 */
function classKeys(container: H5Group | null, base: string): string[] {
  if (!container) return [];
  const re = new RegExp(`^${base}(?:_(\\d+))?$`);
  const counter = (k: string) => Number(re.exec(k)?.[1] ?? 0);
  return [...container.groups.keys()]
    .filter((k) => re.test(k))
    .sort((a, b) => counter(a) - counter(b));
}

function collect(
  root: H5Group,
  model: Dict,
  path: string,
  prefix: string,
  out: Map<string, H5Data[]>,
  ctx: { source: string; layers: string },
): void {
  const used = new Map<string, number>();
  const container = group(root, path);
  for (const layer of (model.config?.layers ?? []) as Dict[]) {
    if (isOperation(layer)) continue; // not in model.layers, so neither saved nor counted
    const base = snakeCase(String(layer.class_name));
    const n = used.has(base) ? (used.get(base) as number) + 1 : 0;
    used.set(base, n);
    const key = `${path}/${classKeys(container, base)[n] ?? (n ? `${base}_${n}` : base)}`;
    const name = String(layer.config?.name ?? layer.name);
    if (MODEL_CLASSES.has(layer.class_name)) {
      collect(root, layer, `${key}/${ctx.layers}`, `${prefix}${name}/`, out, ctx);
      continue;
    }
    const vars = group(root, `${key}/vars`);
    if (!vars) continue; // a layer without state, or one the file lacks: the weight check names it
    const owner = vars.attrs.name;
    if (typeof owner === 'string' && owner !== name) {
      throw new DeepvisError(
        `${ctx.source}: model.weights.h5 has the weights of '${owner}' where '${name}' belongs (${key})`,
      );
    }
    const list = [...vars.datasets.entries()]
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([, d]) => d);
    if (list.length) out.set(`${prefix}${name}`, list);
  }
}

export async function readKeras3(bytes: Uint8Array, source: string): Promise<KerasParts> {
  // Only the entries read, inflated with caps (unzip.ts): a zip bomb is refused, not inflated.
  const { files, names } = unzipCapped(
    bytes,
    new Set(['config.json', 'metadata.json', 'model.weights.h5']),
    source,
  );
  // torch.save writes a zip too (archive/data.pkl), whatever the file is called.
  if (!files['config.json'] && names.some((f) => f.endsWith('/data.pkl')))
    throw pytorchCheckpoint(source);
  if (!files['config.json'])
    throw new DeepvisError(`${source}: a zip without config.json, so not a Keras 3 .keras file`);
  if (!files['model.weights.h5']) {
    const npz = names.includes('model.weights.npz')
      ? ' (it has model.weights.npz; save with the default h5 weights format)'
      : '';
    throw new DeepvisError(`${source}: the .keras file has no model.weights.h5${npz}`);
  }
  let config: Dict;
  let version = '3';
  try {
    config = JSON.parse(new TextDecoder().decode(files['config.json'])) as Dict;
    if (files['metadata.json'])
      version = String(
        JSON.parse(new TextDecoder().decode(files['metadata.json'])).keras_version ?? '3',
      );
  } catch {
    throw new DeepvisError(
      `${source}: config.json or metadata.json is not valid JSON (corrupt file?)`,
    );
  }
  if (!MODEL_CLASSES.has(config.class_name)) {
    throw new DeepvisError(
      `${source}: the saved object is a '${config.class_name}', not a Sequential or functional model (subclassed models carry no graph)`,
    );
  }
  const root = await readH5(files['model.weights.h5'], `${source} (model.weights.h5)`);
  const weights = new Map<string, H5Data[]>();
  const major = Number.parseInt(version, 10) || 3;
  const layers =
    root.groups.has('layers') || !root.groups.has('_layer_checkpoint_dependencies')
      ? 'layers'
      : '_layer_checkpoint_dependencies';
  collect(root, config, layers, '', weights, { source, layers });
  let topology: Dict;
  try {
    topology = model3to2(config, major);
  } catch (e) {
    throw e instanceof DeepvisError ? new DeepvisError(`${source}: config.json: ${e.message}`) : e;
  }
  return { topology, weights, kerasMajor: major };
}
