/**
 * Agrawal & Balani's three methods (§4) as recipes on any VisModel — their VGG16 when the
 * user supplies it, deepvis's small CNN otherwise:
 *  - deconvnet (§4.1, figs. 3, 6, 7): a filter's top images projected to pixels with switch
 *    unpooling and with the switch-less variant; how much each projection follows the image's own
 *    structure is |corr(|projection|, image luminance)| over the pixels;
 *  - gradient ascent on the sum of a filter's activations (§4.2, figs. 4, 8–10), from a grey image
 *    with a little noise, compared with the best activation over the images;
 *  - t-SNE of the last fully connected layer (§4.3, fig. 5), with the 2-D 5-NN label agreement.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { deconvnet } from '../attribution/gradients.js';
import { datasetMax } from '../analysis/dataset_max.js';
import { embed } from '../analysis/embedding.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { units as unitObjective } from '../objectives/units.js';
import { boundedAscentSteps } from '../optimize/ascent.js';
import { drain } from '../optimize/drive.js';
import { grid } from '../render/grid.js';
import { toImage, type RgbaImage } from '../render/image.js';
import { thumbnailScatter } from '../render/plots.js';
import { mean } from './figure_io.js';
import { pearson } from './paper_001_history.js';

/** Spatial layers with weights (convolutions), in order. */
export const convLayers = (m: VisModel): LayerInfo[] =>
  m.layers.filter((l) => l.outputShape.length === 3 && m.weightsOf(l.name).length > 0);

/** The last fully connected layer before the output (the output itself when it is the only one). */
export function lastDense(m: VisModel): LayerInfo | null {
  const dense = m.layers.filter(
    (l) => l.outputShape.length === 1 && m.weightsOf(l.name).length > 0,
  );
  const hidden = dense.filter((l) => l.name !== m.logitsLayer && l !== dense[dense.length - 1]);
  return hidden[hidden.length - 1] ?? dense[dense.length - 1] ?? null;
}

const imageOf = (m: VisModel, v: ArrayLike<number>) =>
  toImage(v, m.input.shape as [number, number, number], { mode: 'range', range: m.input.range });

export function deconvRecipe(
  m: VisModel,
  data: ImageSet,
  layer: LayerInfo,
  unit: number,
  k: number,
) {
  const [h, w, c] = m.input.shape;
  const size = h * w * c;
  // Every image's score for the unit (the filter's spatial mean), in chunks; the top k, best first.
  const scores: number[] = [];
  for (let from = 0; from < data.count; from += 16) {
    const n = Math.min(16, data.count - from);
    scores.push(
      ...tf.tidy(() =>
        Array.from(
          unitObjective(layer, Array(n).fill(unit))
            .evaluate(
              m,
              tf.tensor4d(data.images.subarray(from * size, (from + n) * size), [n, h, w, c]),
            )
            .dataSync(),
        ),
      ),
    );
  }
  const top = scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([, i]) => i);
  const x = tf.tensor4d(
    Float32Array.from(
      top.flatMap((i) => Array.from(data.images.subarray(i * size, (i + 1) * size))),
    ),
    [top.length, h, w, c],
  );
  const target = { layer, units: top.map(() => unit) };
  const [sw, nn] = [deconvnet(m, x, target, 'switches'), deconvnet(m, x, target, 'nearest')];
  const [xs, ss, ns] = [
    x.dataSync() as Float32Array,
    sw.dataSync() as Float32Array,
    nn.dataSync() as Float32Array,
  ];
  tf.dispose([x, sw, nn]);
  const structure = (proj: Float32Array, i: number) => {
    const lum = Float32Array.from({ length: h * w }, (_, p) => {
      let s = 0;
      for (let q = 0; q < c; q++) s += xs[i * size + p * c + q];
      return s / c;
    });
    const mag = Float32Array.from({ length: h * w }, (_, p) => {
      let s = 0;
      for (let q = 0; q < c; q++) s += Math.abs(proj[i * size + p * c + q]);
      return s;
    });
    return Math.abs(pearson(mag, lum));
  };
  const tiles: RgbaImage[] = [];
  top.forEach((_, i) => {
    const at = (v: Float32Array) => v.subarray(i * size, (i + 1) * size);
    tiles.push(
      imageOf(m, at(xs)),
      toImage(at(ss), [h, w, c], { mode: 'symmetric', percentile: 99.5 }),
      toImage(at(ns), [h, w, c], { mode: 'symmetric', percentile: 99.5 }),
    );
  });
  const image = grid(tiles, {
    cols: 3,
    labels: top.flatMap((i) => [`#${i}`, 'switches', 'no switches']),
    title: `${layer.name} filter ${unit}: deconvnet`,
  });
  return {
    image,
    top,
    switches: mean(top.map((_, i) => structure(ss, i))),
    nearest: mean(top.map((_, i) => structure(ns, i))),
    agreement: mean(
      top.map((_, i) =>
        pearson(ss.subarray(i * size, (i + 1) * size), ns.subarray(i * size, (i + 1) * size)),
      ),
    ),
  };
}

export function ascentRecipe(
  m: VisModel,
  data: ImageSet,
  layers: readonly LayerInfo[],
  perLayer: number,
  steps: number,
  seed: number,
) {
  const [h, w, c] = m.input.shape;
  const [lo, hi] = m.input.range;
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  const ratios: number[] = [];
  for (const layer of layers) {
    const units = Array.from({ length: Math.min(perLayer, layer.units) }, (_, i) => i);
    const init = tf.tidy(() =>
      tf
        .randomUniform([units.length, h, w, c], -0.05, 0.05, 'float32', seed)
        .mul(hi - lo)
        .add((lo + hi) / 2)
        .clipByValue(lo, hi),
    ) as tf.Tensor4D;
    const run = drain(
      boundedAscentSteps(m, init, unitObjective(layer, units), { steps, stepFraction: 0.01 }),
    );
    init.dispose();
    const bestData = datasetMax(m, data, layer.name, units, {}, 8).values;
    const v = run.images.dataSync();
    units.forEach((u, i) => {
      tiles.push(
        toImage(v.subarray(i * h * w * c, (i + 1) * h * w * c), [h, w, c], { mode: 'minmax' }),
      );
      labels.push(`${layer.name}:${u}`);
      ratios.push(bestData[i] > 0 ? run.scores[i] / bestData[i] : NaN);
    });
    run.images.dispose();
  }
  return {
    image: grid(tiles, {
      cols: perLayer,
      labels,
      title: "gradient ascent on the sum of a filter's activations",
    }),
    ratios,
  };
}

export function tsneRecipe(m: VisModel, data: ImageSet, layer: LayerInfo, seed: number) {
  const e = embed(m, data, layer.name, { method: 'tsne', seed });
  const [h, w, c] = m.input.shape;
  const thumbs = Array.from({ length: data.count }, (_, i) =>
    imageOf(m, data.images.subarray(i * h * w * c, (i + 1) * h * w * c)),
  );
  const image = thumbnailScatter(e.points, thumbs, e.labels, {
    title: `t-SNE of ${layer.name} (${data.count} images)`,
    size: 600,
  });
  return { image, knn: e.knnAccuracy, seconds: e.seconds, dims: e.dims };
}
