/**
 * The training loop for classifiers: seeded shuffles, mini-batch Adam, per-epoch train and test
 * loss/accuracy, a progress callback. Returns metrics; saving is the caller's (io/) business.
 */
import * as tf from '@tensorflow/tfjs';
import { batchRanges, batchTensor, imageSize, subset, type ImageSet } from '../data/dataset.js';
import { oneHot } from '../engine/one_hot.js';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { setLearningRate } from '../engine/internals.js';

export interface FitArgs {
  readonly epochs: number;
  /** Default 64. */
  readonly batchSize?: number;
  /** Adam learning rate; default 1e-3, decayed ×0.85 per epoch after the first. */
  readonly learningRate?: number;
  readonly seed?: number;
  /** Random shifts of up to this many pixels (data augmentation); default 0. */
  readonly shift?: number;
  readonly onBatch?: (info: {
    epoch: number;
    batch: number;
    batches: number;
    loss: number;
  }) => void;
  /** Awaited before the next epoch (a checkpoint can be saved from it). */
  readonly onEpoch?: (e: EpochMetrics) => void | Promise<void>;
  /** Runs after every update (e.g. to re-apply a connectivity mask). */
  readonly afterBatch?: () => void;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

export { oneHot };

export function evaluate(
  model: tf.LayersModel,
  set: ImageSet,
  classes: number,
  batchSize = 500,
): { loss: number; accuracy: number } {
  if (!set.labels) throw new DeepvisError(`data set ${set.name} has no labels`);
  let loss = 0;
  let correct = 0;
  for (const [from, to] of batchRanges(set.count, batchSize)) {
    const [l, c] = tf.tidy(() => {
      const x = batchTensor(set, from, to);
      const y = oneHot(set.labels!.subarray(from, to), classes);
      const p = model.predict(x) as tf.Tensor2D;
      const ce = tf.losses.softmaxCrossEntropy(
        y,
        tf.log(p.add(1e-7)),
        undefined,
        undefined,
        tf.Reduction.SUM,
      );
      const hits = p.argMax(1).equal(y.argMax(1)).sum();
      return [ce.dataSync()[0], hits.dataSync()[0]];
    });
    loss += l;
    correct += c;
  }
  return { loss: loss / set.count, accuracy: correct / set.count };
}

function shifted(set: ImageSet, indices: number[], maxShift: number, rng: Rng): ImageSet {
  const part = subset(set, indices);
  if (maxShift <= 0) return part;
  const [h, w, c] = set.shape;
  const size = imageSize(set);
  const out = new Float32Array(part.images.length);
  for (let n = 0; n < part.count; n++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        if (sx < 0 || sx >= w) continue;
        for (let k = 0; k < c; k++)
          out[n * size + (y * w + x) * c + k] = part.images[n * size + (sy * w + sx) * c + k];
      }
    }
  }
  return { ...part, images: out };
}

export async function fitClassifier(
  model: tf.LayersModel,
  train: ImageSet,
  test: ImageSet,
  classes: number,
  args: FitArgs,
): Promise<EpochMetrics[]> {
  if (!train.labels)
    throw new DeepvisError(`data set ${train.name} has no labels; a classifier needs them`);
  const batchSize = args.batchSize ?? 64;
  const lr0 = args.learningRate ?? 1e-3;
  const rng = new Rng(args.seed ?? 0);
  const optimizer = tf.train.adam(lr0);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history: EpochMetrics[] = [];
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    const t0 = performance.now();
    setLearningRate(optimizer, lr0 * Math.pow(0.85, Math.max(0, epoch - 1)));
    const order = rng.permutation(train.count);
    const batches = Math.ceil(train.count / batchSize);
    let lossSum = 0;
    let accSum = 0;
    for (let b = 0; b < batches; b++) {
      const idx = order.slice(b * batchSize, (b + 1) * batchSize);
      const part = shifted(train, idx, args.shift ?? 0, rng);
      const x = batchTensor(part, 0, part.count);
      const y = oneHot(part.labels!, classes);
      let loss: number;
      let acc: number;
      try {
        [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
      } finally {
        x.dispose();
        y.dispose();
      }
      args.afterBatch?.();
      lossSum += Number(loss) * idx.length;
      accSum += Number(acc) * idx.length;
      args.onBatch?.({ epoch, batch: b, batches, loss: Number(loss) });
    }
    const t = evaluate(model, test, classes);
    const m: EpochMetrics = {
      epoch: epoch + 1,
      loss: lossSum / train.count,
      accuracy: accSum / train.count,
      testLoss: t.loss,
      testAccuracy: t.accuracy,
      seconds: (performance.now() - t0) / 1000,
    };
    history.push(m);
    await args.onEpoch?.(m);
  }
  optimizer.dispose();
  return history;
}
