/**
 * Reference embeddings on the command line (`--target cosine:REF`): a .npy file (np.save of one
 * vector [C] or of K vectors [K, C]), a .json file (a list of numbers, or a list of lists), or an
 * image (a file or DATASET:N) whose activations at the layer are the reference — the whole vector
 * for a flat layer, the mean over positions for a spatial one. A CLIP text embedding computed
 * elsewhere arrives as a .npy or .json. Lengths are checked against the layer in one line.
 */
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { parseNpy } from '../io/npy.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { imageFrom } from './inputs.js';

/** The K reference vectors REF names, each `size` long. */
export async function referencesFrom(
  ref: string,
  model: VisModel,
  layer: LayerInfo,
  size = layer.units,
): Promise<number[][]> {
  const what = `--target cosine:${ref}`;
  let vectors: number[][];
  if (/\.(npy|json)$/i.test(ref)) {
    const bytes = await fs.readFile(ref).catch(() => {
      throw new DeepvisError(`${what}: no such file ${ref}`);
    });
    if (/\.npy$/i.test(ref)) {
      const a = parseNpy(bytes, ref);
      if (a.shape.length > 2)
        throw new DeepvisError(
          `${ref} holds an array of shape (${a.shape.join(', ')}); a reference is one vector [C] or K vectors [K, C]`,
        );
      const c = a.shape[a.shape.length - 1] ?? 1;
      vectors = Array.from({ length: a.shape.length === 2 ? a.shape[0] : 1 }, (_, k) =>
        Array.from(a.data.subarray(k * c, (k + 1) * c)),
      );
    } else {
      let j: unknown;
      try {
        j = JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        throw new DeepvisError(`${ref} is not JSON (${(e as Error).message})`);
      }
      const list = Array.isArray(j) && j.every((v) => typeof v === 'number') ? [j as number[]] : j;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        !list.every(
          (v) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)),
        )
      ) {
        throw new DeepvisError(`${ref} must hold a list of numbers or a list of such lists`);
      }
      vectors = list as number[][];
    }
  } else {
    const image = await imageFrom(ref, model);
    try {
      vectors = [
        tf.tidy(() => {
          const [a] = model.activations(image.expandDims(0) as tf.Tensor4D, [layer.name]);
          return Array.from((a.rank === 4 && size === layer.units ? a.mean([1, 2]) : a).dataSync());
        }),
      ];
    } finally {
      image.dispose();
    }
  }
  for (const [k, v] of vectors.entries()) {
    if (v.length !== size)
      throw new DeepvisError(
        `the reference embedding${vectors.length > 1 ? ` ${k}` : ''} of ${ref} has ${v.length} values; '${layer.name}' has ${size}`,
      );
    if (!v.some((x) => x !== 0))
      throw new DeepvisError(
        `the reference embedding${vectors.length > 1 ? ` ${k}` : ''} of ${ref} is the zero vector`,
      );
  }
  return vectors;
}
