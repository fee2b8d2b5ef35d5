/**
 * What `reproduce 004` (Yosinski et al. 2015) runs its recipes on and measures with.
 * The paper's CaffeNet cannot ship: the model is the user's file (ctx.model: ONNX, tfjs, Keras),
 * else deepvis's own MNIST CNN trained here. Measures of an optimized image: high-frequency
 * energy (what a σ = 1 blur removes, over the variance — the paper's "structured high frequency
 * patterns") and sparsity (pixels left at the neutral value — "sparse outlines" vs "dense").
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { subset, type ImageSet } from '../data/dataset.js';
import { loadDataSplit } from '../data/load.js';
import { loadModel } from '../io/model_files.js';
import { writePng } from '../io/png.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { blur } from '../projections/regularizers.js';
import type { RgbaImage } from '../render/image.js';
import { buildClassifier } from '../train/architectures.js';
import { fitClassifier } from '../train/fit.js';
import type { ReproduceContext } from './types.js';

export interface Subject {
  model: VisModel;
  /** Where the model came from, for the page. */
  what: string;
  /** MNIST test digits when the model takes 28×28×1 inputs (quality scores need natural examples); else null. */
  data: ImageSet | null;
  layer: string;
  units: number[];
  dispose(): void;
}

const isMnistShaped = (m: VisModel) => m.input.shape.join() === '28,28,1';

/** The user's model, or an MNIST CNN trained for `epochs` on `train` digits. */
export async function subjectOf(
  ctx: ReproduceContext,
  sizes: { train: number; test: number; epochs: number; units: number },
): Promise<Subject> {
  const split = await loadDataSplit('mnist', [28, 28, 1], ctx.seed);
  const take = (set: ImageSet, n: number) =>
    subset(
      set,
      Array.from({ length: Math.min(n, set.count) }, (_, i) => i),
    );
  const test = take(split.test, sizes.test);
  if (ctx.model) {
    const model = await loadModel(ctx.model);
    const layer = model.layer(model.logitsLayer ?? model.layers[model.layers.length - 1].name);
    // ImageNet models: the paper's fig. 4 class (gorilla, 366) and the toolbox's example (flamingo, 130).
    const units =
      layer.units >= 1000
        ? [366, 130]
        : Array.from({ length: Math.min(sizes.units, layer.units) }, (_, i) => i);
    return {
      model,
      what: `the supplied model ${path.basename(ctx.model)} (${model.format})`,
      data: isMnistShaped(model) ? test : null,
      layer: layer.name,
      units,
      dispose: () => model.dispose(),
    };
  }
  const train = take(split.train, sizes.train);
  ctx.log(`004: training the MNIST CNN on ${train.count} digits, ${sizes.epochs} epoch(s)`);
  const net = buildClassifier('cnn', [28, 28, 1], 10, ctx.seed);
  const history = await fitClassifier(net, train, test, 10, {
    epochs: sizes.epochs,
    seed: ctx.seed,
  });
  const acc = history[history.length - 1]?.testAccuracy ?? NaN;
  net.setUserDefinedMetadata({
    deepvis: {
      inputRange: [0, 1],
      channelOrder: 'gray',
      imageShape: [28, 28, 1],
      logitsLayer: 'logits',
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    },
  });
  const model = fromLayersModel(net);
  const units = Array.from({ length: sizes.units }, (_, i) => i);
  return {
    model,
    data: test,
    layer: 'logits',
    units,
    dispose: () => net.dispose(),
    what: `deepvis's MNIST CNN (conv 16-32-64, dense 128), trained ${sizes.epochs} epoch(s) on ${train.count.toLocaleString('en')} digits: ${(100 * acc).toFixed(1)}% on ${test.count.toLocaleString('en')} test digits`,
  };
}

/** Per image: the share of its variance a Gaussian blur of σ = 1 pixel removes (0 = smooth, → 1 = pixel noise). */
export function highFrequency(model: VisModel, images: tf.Tensor4D): number[] {
  return Array.from(
    tf.tidy(() => {
      const centred = images.sub(images.mean([1, 2, 3], true));
      const hf = images.sub(blur(images, 1)).square().sum([1, 2, 3]);
      return hf.div(centred.square().sum([1, 2, 3]).add(1e-12)).dataSync();
    }),
  );
}

/** Per image: the fraction of pixels within 1% of the range of the neutral value (what clipping leaves at "zero"). */
export function sparsity(model: VisModel, images: tf.Tensor4D): number[] {
  const [lo, hi] = model.input.range;
  return Array.from(
    tf.tidy(() =>
      images
        .sub(neutral(model))
        .abs()
        .lessEqual(0.01 * (hi - lo))
        .toFloat()
        .mean([1, 2, 3])
        .dataSync(),
    ),
  );
}

export async function savePng(
  ctx: ReproduceContext,
  name: string,
  img: RgbaImage,
): Promise<string> {
  await writePng(path.join(ctx.dir, name), img);
  return name;
}
