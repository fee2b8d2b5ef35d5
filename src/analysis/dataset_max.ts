/**
 * The data set's best example for each unit: one streaming pass in batches, keeping per unit the
 * largest activation and the index of the image that gave it. Used to compare a synthesized
 * image's activation with what real data reaches (Erhan et al. 2009, §6.1).
 */
import * as tf from '@tensorflow/tfjs';
import { batchRanges, batchTensor, imagesTensor, type ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { checkUnits, unitScores, type UnitSelector } from '../objectives/units.js';

export interface DatasetMax {
  values: Float32Array;
  indices: Int32Array;
}

export function datasetMax(
  model: VisModel,
  set: ImageSet,
  layerName: string,
  unitList: readonly number[],
  sel: UnitSelector = {},
  batchSize = 256,
): DatasetMax {
  const layer = model.layer(layerName);
  checkUnits(layer, unitList, sel);
  const values = new Float32Array(unitList.length).fill(-Infinity);
  const indices = new Int32Array(unitList.length).fill(-1);
  for (const [from, to] of batchRanges(set.count, batchSize)) {
    const scores = tf.tidy(() => {
      const [act] = model.activations(batchTensor(set, from, to), [layer.name]);
      return unitScores(act, layer, sel).gather(tf.tensor1d(unitList as number[], 'int32'), 1);
    });
    const s = scores.dataSync();
    scores.dispose();
    const u = unitList.length;
    for (let i = 0; i < to - from; i++) {
      for (let k = 0; k < u; k++) {
        const v = s[i * u + k];
        if (v > values[k]) {
          values[k] = v;
          indices[k] = from + i;
        }
      }
    }
  }
  return { values, indices };
}

/** Mean L2 norm of the images of a set (Erhan's ρ when the data set is known). */
export function meanNorm(set: ImageSet, limit = 2000): number {
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  const n = Math.min(set.count, limit);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * size; j < (i + 1) * size; j++) s += set.images[j] * set.images[j];
    total += Math.sqrt(s);
  }
  return total / n;
}

/** Each unit's best data-set image [U, H, W, C] (caller disposes) and its index in `set`. */
export function bestImages(
  model: VisModel,
  set: ImageSet,
  layerName: string,
  unitList: readonly number[],
  sel: UnitSelector = {},
): { x: tf.Tensor4D; starts: number[] } {
  const starts = Array.from(
    datasetMax(model, set, model.layer(layerName).name, unitList, sel).indices,
  );
  return { x: imagesTensor(set, starts), starts };
}
