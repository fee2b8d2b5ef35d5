/**
 * Deep Feature Factorization (Collins, Achanta & Süsstrunk 2018), as pytorch-grad-cam's
 * deep_feature_factorization does it: NMF over a layer's spatial activations across a batch of
 * images (every position of every image is one vector of C channels, after subtracting each
 * channel's minimum), k = 5 concepts by default (its run_dff_on_image); each image gets one heat
 * map per concept (its coefficients, min-max scaled per image and concept, bilinear to the input),
 * and each concept is named by the classifier head: h(concept) — the layer set to the concept's
 * vector at every position, through the rest of the network — read as softmax probabilities, its
 * top classes. Also the images and positions where each concept is strongest.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { topIndices, type Concept, type ConceptMap, type ConceptSet } from './concept.js';
import { defineConcept } from './method.js';
import { nmf } from './nmf.js';
import { defaultConceptLayer, headOutputs, layerValues, splitAt } from './split.js';

export const DFF_DEFAULTS = { k: 5, images: 64, top: 9, labels: 2 } as const;

export interface DffArgs {
  readonly layer?: string;
  readonly k?: number;
  /** Only images of this class, when given. */
  readonly classIndex?: number;
  /** How many images are factorized together (the first ones of the set, or of the class); default 64. */
  readonly images?: number;
  readonly seed?: number;
}

export interface DffResult extends ConceptSet {
  /** Data-set indices of the images factorized. */
  readonly images: readonly number[];
  /** Each image's coefficient map [h · w, k], each concept's scaled to [0, 1] in each image. */
  readonly maps: readonly ConceptMap[];
}

export function dffParams(model: VisModel, args: DffArgs) {
  const layer = (args.layer ? model.layer(args.layer) : defaultConceptLayer(model, 'DFF')).name;
  const k = args.k ?? DFF_DEFAULTS.k;
  const width = model.layer(layer).units;
  if (!(Number.isInteger(k) && k >= 1))
    throw new DeepvisError(`--k must be a positive integer; got ${k}`);
  if (k > width)
    throw new DeepvisError(
      `--k ${k} is larger than the width of layer '${layer}' (${width} channels); NMF finds at most ${width} concepts there`,
    );
  return {
    method: 'dff',
    layer,
    k,
    classIndex: args.classIndex ?? null,
    images: args.images ?? DFF_DEFAULTS.images,
    seed: args.seed ?? 0,
  };
}

export function dff(model: VisModel, data: ImageSet, args: DffArgs = {}): DffResult {
  const started = performance.now();
  const p = dffParams(model, args);
  const split = splitAt(model, p.layer, 'DFF');
  const shape = split.layer.outputShape;
  if (shape.length !== 3)
    throw new DeepvisError(
      `DFF factorizes a spatial layer (a map of channels); '${p.layer}' is flat`,
    );
  const pool =
    p.classIndex == null
      ? Array.from({ length: data.count }, (_, i) => i)
      : Array.from(data.labels ?? []).flatMap((l, i) => (l === p.classIndex ? [i] : []));
  if (p.classIndex != null && !data.labels)
    throw new DeepvisError(
      `DFF with a class reads the images of that class; data set '${data.name}' has no labels`,
    );
  const indices = pool.slice(0, p.images);
  if (indices.length < 1)
    throw new DeepvisError(
      `DFF has no images to factorize${p.classIndex != null ? ` (class ${p.classIndex} has none in '${data.name}')` : ''}`,
    );
  const size = data.images.length / data.count;
  const images = new Float32Array(indices.length * size);
  indices.forEach((src, i) =>
    images.set(data.images.subarray(src * size, (src + 1) * size), i * size),
  );
  const [h, w, c] = shape;
  const positions = h * w;
  const acts = layerValues(model, p.layer, images, indices.length);
  const offset = new Float32Array(c).fill(Infinity);
  for (let i = 0; i < acts.length; i++) offset[i % c] = Math.min(offset[i % c], acts[i]);
  const shifted = acts.map((v, i) => v - offset[i % c]);
  const f = nmf({ values: shifted, n: indices.length * positions, c }, { k: p.k, seed: p.seed });
  // Each image's map of each concept, min-max scaled (pytorch-grad-cam's scale_cam_image).
  const maps = new Float32Array(indices.length * positions * p.k);
  for (let i = 0; i < indices.length; i++) {
    for (let j = 0; j < p.k; j++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let q = 0; q < positions; q++) {
        const v = f.u[(i * positions + q) * p.k + j];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      for (let q = 0; q < positions; q++)
        maps[(i * positions + q) * p.k + j] =
          (f.u[(i * positions + q) * p.k + j] - lo) / (hi - lo + 1e-7);
    }
  }
  // A concept's vector at its typical strength (the mean of its top tenth of coefficients), plus the offset.
  const vectors = Array.from({ length: p.k }, (_, j) => {
    const col = Float32Array.from(
      { length: indices.length * positions },
      (_, r) => f.u[r * p.k + j],
    ).sort();
    const strong = col.subarray(Math.floor(col.length * 0.9));
    const scale = strong.reduce((a, v) => a + v, 0) / Math.max(1, strong.length);
    return Float32Array.from({ length: c }, (_, t) => scale * f.w[j * c + t] + offset[t]);
  });
  const probs = tf.tidy(() => {
    const x = tf.tensor4d(images.subarray(0, size), [1, ...model.input.shape]);
    const [anchorAct] = model.activations(x, [p.layer]);
    const replaced = tf
      .tensor2d(
        vectors.flatMap((v) => Array.from(v)),
        [p.k, c],
      )
      .reshape([p.k, 1, 1, c])
      .tile([1, h, w, 1]);
    return tf.softmax(headOutputs(model, split, x, anchorAct, replaced));
  });
  const pv = probs.dataSync();
  const classes = probs.shape[1]!;
  probs.dispose();
  const labels = model.labels ?? data.classNames;
  const concepts: Concept[] = Array.from({ length: p.k }, (_, j) => {
    const row = pv.subarray(j * classes, (j + 1) * classes);
    const named = topIndices(row, DFF_DEFAULTS.labels).map((u) => ({
      unit: u,
      label: labels?.[u] ?? String(u),
      p: row[u],
    }));
    const col = Float32Array.from(
      { length: indices.length * positions },
      (_, r) => f.u[r * p.k + j],
    );
    // The strongest position of each image, then the images by it.
    const best = Array.from({ length: indices.length }, (_, i) => {
      let q0 = 0;
      for (let q = 1; q < positions; q++)
        if (col[i * positions + q] > col[i * positions + q0]) q0 = q;
      return { i, q: q0, v: col[i * positions + q0] };
    })
      .sort((a, b) => b.v - a.v || a.i - b.i)
      .slice(0, DFF_DEFAULTS.top);
    return {
      id: j,
      layer: p.layer,
      name: named.map((x) => `${x.label} ${(100 * x.p).toFixed(0)}%`).join(', '),
      direction: Array.from(f.w.subarray(j * c, (j + 1) * c)),
      top: best.map((b) => ({
        index: indices[b.i],
        value: b.v,
        at: [Math.floor(b.q / w), b.q % w] as const,
      })),
      numbers: Object.fromEntries(
        named.flatMap((x, r) => [
          [`class${r + 1}`, x.label],
          [`p${r + 1}`, x.p],
        ]),
      ),
    };
  });
  return {
    method: 'dff',
    layer: p.layer,
    classIndex: p.classIndex ?? undefined,
    className: p.classIndex != null ? labels?.[p.classIndex] : undefined,
    params: p,
    concepts,
    images: indices,
    maps: indices.map((index, i) => ({
      index,
      h,
      w,
      values: maps.slice(i * positions * p.k, (i + 1) * positions * p.k),
    })),
    metrics: {
      images: indices.length,
      vectors: indices.length * positions,
      nmfRelativeError: f.relativeError,
      nmfIterations: f.iterations,
      nmfSeconds: f.seconds,
    },
    seconds: (performance.now() - started) / 1000,
  };
}

export const dffMethod = defineConcept({
  name: 'dff',
  title: 'Deep Feature Factorization',
  paper: 'Collins et al. 2018',
  summary:
    "NMF of a layer's positions across images: per-image concept heat maps, concepts named by the classifier head",
  needsClass: 'optional',
  options: {
    k: { type: 'int', min: 1, help: 'concepts (default: craft 20, dff 5)' },
    images: {
      type: 'int',
      min: 1,
      help: 'images factorized together (the first of the set, or of --class)',
      default: DFF_DEFAULTS.images,
    },
  },
  run: (ctx) =>
    dff(ctx.model, ctx.data, {
      layer: ctx.layer,
      classIndex: ctx.classIndex,
      k: ctx.options.k,
      images: ctx.options.images,
      seed: ctx.seed,
    }),
});
