/**
 * ImageSet: a labelled set of images held as one Float32Array [N, H, W, C] in the value range the
 * model expects. Small data sets (MNIST, Fashion-MNIST) live in memory; folders stream (folder.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { itemOf } from '../engine/read.js';
import { Rng } from '../engine/rng.js';

export interface ImageSet {
  readonly name: string;
  readonly images: Float32Array;
  readonly labels: Int32Array | null;
  readonly shape: readonly [number, number, number];
  readonly count: number;
  readonly classNames: readonly string[] | null;
}

export function imageSize(set: Pick<ImageSet, 'shape'>): number {
  return set.shape[0] * set.shape[1] * set.shape[2];
}

/** [from, to) of each batch of `batchSize` over `count` items: the one batching loop. */
export function* batchRanges(count: number, batchSize: number): Generator<[number, number]> {
  for (let from = 0; from < count; from += batchSize)
    yield [from, Math.min(count, from + batchSize)];
}

/** A batch of a data set: `count` images [count, H, W, C] starting at image `offset`. */
export interface Batch {
  readonly images: Float32Array;
  readonly count: number;
  readonly offset: number;
}

/** An in-memory set as batches (folders stream theirs: folder.ts folderBatches). */
export function* batchesOf(set: ImageSet, batchSize = 256): Generator<Batch> {
  const size = imageSize(set);
  for (const [from, to] of batchRanges(set.count, batchSize))
    yield { images: set.images.subarray(from * size, to * size), count: to - from, offset: from };
}

export function subset(set: ImageSet, indices: readonly number[], name = set.name): ImageSet {
  const size = imageSize(set);
  const images = new Float32Array(indices.length * size);
  const labels = set.labels ? new Int32Array(indices.length) : null;
  indices.forEach((src, dst) => {
    images.set(itemOf(set.images, src, set.shape), dst * size);
    if (labels && set.labels) labels[dst] = set.labels[src];
  });
  return { ...set, name, images, labels, count: indices.length };
}

/** A seeded split; the same seed always gives the same train/test images. */
/**
 * A set as a user knows it: split() names its halves "DIR/test" and "DIR/train", folders that do
 * not exist; this says "the held-out 20% of DIR".
 */
export function describeSet(set: Pick<ImageSet, 'name' | 'count'>): string {
  const m = /^(.*)\/(test|train)$/.exec(set.name);
  if (!m) return set.name;
  return m[2] === 'test' ? `the held-out 20% of ${m[1]}` : `the training 80% of ${m[1]}`;
}

/**
 * The one line for a data set too small ('quality scores need', 'an embedding needs'), naming the folder the user gave; for a folder's
 * held-out split, how many images the folder needs (the split keeps 20%).
 */
export function dataTooSmall(
  what: string,
  need: number,
  set: Pick<ImageSet, 'name' | 'count'>,
  count = set.count,
): DeepvisError {
  const held = /\/test$/.test(set.name)
    ? ` (put at least ${Math.ceil(need / TEST_FRACTION)} images in the folder)`
    : '';
  return new DeepvisError(
    `${what} at least ${need} data-set images; ${describeSet(set)} has ${count}${held}`,
  );
}

/** The share of a data set held out for evaluation (load.ts splits every set so). */
export const TEST_FRACTION = 0.2;

export function split(
  set: ImageSet,
  testFraction: number,
  seed = 0,
): { train: ImageSet; test: ImageSet } {
  if (!(testFraction > 0 && testFraction < 1))
    throw new DeepvisError(`test fraction must be in (0, 1), got ${testFraction}`);
  const order = new Rng(seed).permutation(set.count);
  const nTest = Math.round(set.count * testFraction);
  return {
    test: subset(set, order.slice(0, nTest), `${set.name}/test`),
    train: subset(set, order.slice(nTest), `${set.name}/train`),
  };
}

/** Images [from, to) as a tensor [n, H, W, C]. Caller disposes. */
export function batchTensor(set: ImageSet, from: number, to: number): tf.Tensor4D {
  const size = imageSize(set);
  const n = Math.min(to, set.count) - from;
  return tf.tensor4d(set.images.subarray(from * size, (from + n) * size), [n, ...set.shape]);
}

export function imagesTensor(set: ImageSet, indices: readonly number[]): tf.Tensor4D {
  return batchTensor(subset(set, indices), 0, indices.length);
}

/** Rescales [0, 1] pixel values into `range`. */
export function toRange(set: ImageSet, range: readonly [number, number]): ImageSet {
  if (range[0] === 0 && range[1] === 1) return set;
  const [lo, hi] = range;
  const images = set.images.map((v) => lo + v * (hi - lo));
  return { ...set, images };
}
