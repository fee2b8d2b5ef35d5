/**
 * Puts the file's weights into the tfjs model built from its config, layer by layer (into nested
 * models too), checking count and shape first so that a file whose weights do not fit its config
 * fails with one line naming the layer and the weight — before any weight is set.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError, listNames } from '../../../errors.js';
import type { H5Data } from './h5tree.js';
import { variableOriginalName } from '../../../engine/internals.js';

interface Pending {
  readonly layer: tf.layers.Layer;
  readonly data: readonly H5Data[];
}

/** 'kernel' for conv2d_2/kernel (tfjs makes variable names unique: its `name` may be kernel_2). */
function weightName(w: tf.LayerVariable): string {
  return variableOriginalName(w).split('/').pop() as string;
}

function shape(s: readonly (number | null)[]): string {
  return `[${s.join(', ')}]`;
}

function plan(
  layers: readonly tf.layers.Layer[],
  prefix: string,
  weights: ReadonlyMap<string, readonly H5Data[]>,
  used: Set<string>,
  source: string,
): Pending[] {
  const out: Pending[] = [];
  for (const layer of layers) {
    if (layer instanceof tf.LayersModel) {
      out.push(...plan(layer.layers, `${prefix}${layer.name}/`, weights, used, source));
      continue;
    }
    const key = `${prefix}${layer.name}`;
    const data = weights.get(key) ?? [];
    used.add(key);
    const want = layer.weights;
    if (want.length !== data.length) {
      throw new DeepvisError(
        `${source}: layer '${key}' has ${data.length} weight${data.length === 1 ? '' : 's'} in the file, its config needs ${want.length} (${want.map(weightName).join(', ') || 'none'}): the weights do not fit the config`,
      );
    }
    want.forEach((w, i) => {
      if (!tf.util.arraysEqual(w.shape as number[], data[i].shape as number[])) {
        throw new DeepvisError(
          `${source}: layer '${key}' weight ${i} (${weightName(w)}) is ${shape(data[i].shape)} in the file, its config needs ${shape(w.shape)}: the weights do not fit the config`,
        );
      }
    });
    if (want.length) out.push({ layer, data });
  }
  return out;
}

export function assignWeights(
  model: tf.LayersModel,
  weights: ReadonlyMap<string, readonly H5Data[]>,
  source: string,
): void {
  const used = new Set<string>();
  const pending = plan(model.layers, '', weights, used, source);
  const extra = [...weights.keys()].filter((k) => !used.has(k));
  if (extra.length) {
    throw new DeepvisError(
      `${source}: the file has weights for layers its config does not have: ${listNames(extra, 5)}: the weights do not fit the config`,
    );
  }
  for (const { layer, data } of pending) {
    const tensors = data.map((d) => tf.tensor(d.values, d.shape as number[], 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}
