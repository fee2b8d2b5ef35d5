/**
 * CRAFT (Fel et al. 2023, "CRAFT: Concept Recursive Activation FacTorization for Explainability"),
 * with Xplique's defaults: the class's images are cut into patches (patches.ts), each patch resized
 * to the input and run through g (the layer's activations, averaged over space); NMF factorizes the
 * patches' activations A ≈ U W into k = 20 concepts (W's rows, directions at the layer); a concept's
 * importance is its total Sobol index on the class score h(·) (a Halton design of 32 × (k + 2)
 * masks on the coefficient maps of each class image, Jansen's estimator, the mean over images);
 * its 10 best crops are the patches with the largest coefficient. Besides: each concept's share of
 * the class score by gradient × coefficient (Fel et al. 2023b, "A Holistic Approach to Unifying
 * Automatic Concept Extraction and Concept Importance Estimation"), both among the concepts and as
 * a percentage of the class logit (LENS's "importance as a share of the logit"), its cosine with
 * the class's direction at the layer (the class's weight vector where pooling and a dense layer
 * follow), and the coefficient maps of a few images (concept attribution maps).
 */
import * as tf from '@tensorflow/tfjs';
import { subset, type ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { cosine, topIndices, type Concept, type ConceptMap, type ConceptSet } from './concept.js';
import { nmf, nmfTransform } from './nmf.js';
import {
  cutPatches,
  defaultPatchSize,
  patchesPerImage,
  patchGrid,
  patchOrigin,
  type PatchGrid,
} from './patches.js';
import { jansenTotal, sobolDesign } from './sobol.js';
import { defineConcept } from './method.js';
import {
  checkNonNegative,
  classGradients,
  defaultConceptLayer,
  headOutputs,
  layerValues,
  splitAt,
  type Split,
} from './split.js';

export const CRAFT_DEFAULTS = {
  k: 20,
  designs: 32,
  crops: 10,
  maps: 8,
  minImages: 10,
  batchSize: 64,
} as const;

export interface CraftArgs {
  readonly layer?: string;
  /** The class explained (its images are the data set's images of that label). */
  readonly classIndex: number;
  /** Concepts; default 20. */
  readonly k?: number;
  /** Patch side in input pixels; default 64, at most half the image. */
  readonly patch?: number;
  /** Sobol designs; default 32. */
  readonly designs?: number;
  /** Best crops per concept; default 10. */
  readonly crops?: number;
  /** Class images whose concept maps are kept (attribution maps); default 8. */
  readonly maps?: number;
  /** Class images the importance is estimated on (each costs designs × (k + 2) passes through h); default all. */
  readonly importanceImages?: number;
  readonly seed?: number;
  readonly onProgress?: (p: {
    readonly phase: string;
    readonly done: number;
    readonly total: number;
  }) => void;
}

export interface CraftResult extends ConceptSet {
  readonly grid: PatchGrid;
  /** Data-set indices of the class's images. */
  readonly images: readonly number[];
  readonly maps: readonly ConceptMap[];
}

/** The data-set indices of a class's images, refused in one line when there are too few. */
export function classImages(
  data: ImageSet,
  classIndex: number,
  needed: number,
  method: string,
): number[] {
  if (!data.labels)
    throw new DeepvisError(
      `${method} reads the images of a class; data set '${data.name}' has no labels`,
    );
  const name = data.classNames?.[classIndex];
  const classes = data.classNames?.length ?? Math.max(...data.labels) + 1;
  if (!(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < classes))
    throw new DeepvisError(
      `class ${classIndex} is not a class of '${data.name}' (0–${classes - 1})`,
    );
  const idx: number[] = [];
  data.labels.forEach((l, i) => (l === classIndex ? idx.push(i) : 0));
  if (idx.length < needed) {
    throw new DeepvisError(
      `class ${classIndex}${name ? ` (${name})` : ''} has ${idx.length} images in '${data.name}'; ${method} needs at least ${needed} (give --split all or more data)`,
    );
  }
  return idx;
}

/** Resolved parameters (the JSON's params). */
export function craftParams(model: VisModel, args: CraftArgs) {
  const layer = (args.layer ? model.layer(args.layer) : defaultConceptLayer(model, 'CRAFT')).name;
  const [h, w] = model.input.shape;
  const k = args.k ?? CRAFT_DEFAULTS.k;
  const width = model.layer(layer).units;
  if (!(Number.isInteger(k) && k >= 1))
    throw new DeepvisError(`--k must be a positive integer; got ${k}`);
  if (k > width)
    throw new DeepvisError(
      `--k ${k} is larger than the width of layer '${layer}' (${width} channels); NMF finds at most ${width} concepts there`,
    );
  return {
    method: 'craft',
    layer,
    classIndex: args.classIndex,
    k,
    patch: args.patch ?? defaultPatchSize(h, w),
    designs: args.designs ?? CRAFT_DEFAULTS.designs,
    crops: args.crops ?? CRAFT_DEFAULTS.crops,
    maps: args.maps ?? CRAFT_DEFAULTS.maps,
    importanceImages: args.importanceImages ?? null,
    seed: args.seed ?? 0,
  };
}

/** g on the patches: [P, C], each patch resized to the input, its activation map averaged over space. */
function patchActivations(
  model: VisModel,
  split: Split,
  images: Float32Array,
  count: number,
  grid: PatchGrid,
  onBatch: (done: number) => void,
): Float32Array {
  const [h, w] = model.input.shape;
  const per = patchesPerImage(grid);
  const c = split.layer.units;
  const out = new Float32Array(count * per * c);
  const size = h * w * model.input.shape[2];
  const step = Math.max(1, Math.floor(CRAFT_DEFAULTS.batchSize / per));
  for (let from = 0; from < count; from += step) {
    const n = Math.min(step, count - from);
    const a = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(from * size, (from + n) * size), [
        n,
        ...model.input.shape,
      ]);
      const [act] = model.activations(cutPatches(x, grid, [h, w]), [split.layer.name]);
      return act;
    });
    const values = a.dataSync() as Float32Array;
    checkNonNegative(model, values, split.layer, 'CRAFT');
    const pooled = tf.tidy(() => a.reshape([n * per, -1, c]).mean(1));
    out.set(pooled.dataSync(), from * per * c);
    tf.dispose([a, pooled]);
    onBatch(from + n);
  }
  return out;
}

/** Total Sobol indices [k] of the concepts for one image: masks on its coefficient map, h on (U ⊙ m) W. */
function sobolOfImage(
  model: VisModel,
  split: Split,
  x: tf.Tensor4D,
  u: Float32Array,
  w: tf.Tensor2D,
  masks: Float32Array,
  k: number,
  designs: number,
  unit: number,
): Float64Array {
  const rows = masks.length / k;
  const shape = split.layer.outputShape;
  const positions = u.length / k;
  const scores = new Float32Array(rows);
  const chunk = Math.max(1, Math.floor(2 ** 22 / split.size));
  const anchorAct = tf.tidy(() => model.activations(x, [split.layer.name])[0]);
  try {
    for (let from = 0; from < rows; from += chunk) {
      const m = Math.min(chunk, rows - from);
      const s = tf.tidy(() => {
        const mk = tf.tensor2d(masks.subarray(from * k, (from + m) * k), [m, k]);
        const coeff = tf
          .tensor2d(u, [positions, k])
          .expandDims(0)
          .mul(mk.expandDims(1)) as tf.Tensor3D;
        const replaced = coeff
          .reshape([m * positions, k])
          .matMul(w)
          .reshape([m, ...shape]);
        return headOutputs(model, split, x, anchorAct, replaced)
          .slice([0, unit], [m, 1])
          .reshape([m]);
      });
      scores.set(s.dataSync(), from);
      s.dispose();
    }
  } finally {
    anchorAct.dispose();
  }
  return jansenTotal(scores, k, designs);
}

/** Adds ‖A − UW‖² and ‖A‖² of one map to `fit`. */
function residual(
  a: Float32Array,
  u: Float32Array,
  w: Float32Array,
  k: number,
  c: number,
  fit: { err: number; norm: number },
): void {
  for (let p = 0; p < a.length / c; p++) {
    for (let t = 0; t < c; t++) {
      let r = a[p * c + t];
      for (let j = 0; j < k; j++) r -= u[p * k + j] * w[j * c + t];
      fit.err += r * r;
      fit.norm += a[p * c + t] ** 2;
    }
  }
}

export function craft(model: VisModel, data: ImageSet, args: CraftArgs): CraftResult {
  const started = performance.now();
  const p = craftParams(model, args);
  const split = splitAt(model, p.layer, 'CRAFT');
  if (split.layer.outputShape.length !== 3)
    throw new DeepvisError(
      `CRAFT reads a spatial layer (a map of channels); '${split.layer.name}' is flat`,
    );
  if (split.head.units <= p.classIndex)
    throw new DeepvisError(
      `class ${p.classIndex} is not an output of '${split.head.name}' (${split.head.units} units)`,
    );
  const grid = patchGrid(model.input.shape[0], model.input.shape[1], p.patch);
  const per = patchesPerImage(grid);
  const indices = classImages(
    data,
    p.classIndex,
    Math.max(CRAFT_DEFAULTS.minImages, Math.ceil(p.k / per)),
    'CRAFT',
  );
  const set = subset(data, indices);
  const progress = (phase: string, done: number, total: number) =>
    args.onProgress?.({ phase, done, total });
  const c = split.layer.units;
  const acts = patchActivations(model, split, set.images, set.count, grid, (d) =>
    progress('patches', d, set.count),
  );
  const f = nmf({ values: acts, n: set.count * per, c }, { k: p.k, seed: p.seed });
  progress('nmf', 1, 1);
  // Every image's coefficient map on the concept bank; gradients of the class score at the layer.
  const maps = layerValues(model, split.layer.name, set.images, set.count);
  checkNonNegative(model, maps, split.layer, 'CRAFT');
  const positions = split.size / c;
  const uAll = nmfTransform({ values: maps, n: set.count * positions, c }, f.w, p.k);
  const fit = { err: 0, norm: 0 };
  residual(maps, uAll, f.w, p.k, c, fit);
  progress('maps', 1, 1);
  const shares = new Float64Array(p.k);
  const direction = new Float64Array(c);
  let scoreSum = 0;
  for (let from = 0; from < set.count; from += 32) {
    const n = Math.min(32, set.count - from);
    const { grad, scores } = classGradients(model, split, set.images, from, n, p.classIndex);
    scores.forEach((v) => (scoreSum += v));
    for (let q = 0; q < n * positions; q++) {
      const o = (from * positions + q) * p.k;
      for (let t = 0; t < c; t++) direction[t] += grad[q * c + t];
      for (let j = 0; j < p.k; j++) {
        let d = 0;
        for (let t = 0; t < c; t++) d += f.w[j * c + t] * grad[q * c + t];
        shares[j] += uAll[o + j] * d;
      }
    }
  }
  progress('gradients', 1, 1);
  // Total Sobol indices, averaged over the first importanceImages class images.
  const wt = tf.tensor2d(f.w, [p.k, c]);
  const masks = sobolDesign(p.k, p.designs);
  const size = set.images.length / set.count;
  const importance = new Float64Array(p.k);
  const nImp = Math.min(set.count, p.importanceImages ?? set.count);
  try {
    for (let i = 0; i < nImp; i++) {
      const x = tf.tensor4d(set.images.subarray(i * size, (i + 1) * size), [
        1,
        ...model.input.shape,
      ]);
      try {
        const u = uAll.subarray(i * positions * p.k, (i + 1) * positions * p.k);
        sobolOfImage(model, split, x, u, wt, masks, p.k, p.designs, p.classIndex).forEach(
          (v, j) => (importance[j] += v / nImp),
        );
      } finally {
        x.dispose();
      }
      progress('importance', i + 1, nImp);
    }
  } finally {
    wt.dispose();
  }
  const kept: ConceptMap[] = Array.from({ length: Math.min(p.maps, set.count) }, (_, i) => ({
    index: indices[i],
    h: split.layer.outputShape[0],
    w: split.layer.outputShape[1],
    values: uAll.slice(i * positions * p.k, (i + 1) * positions * p.k),
  }));
  const meanScore = scoreSum / set.count;
  const total = shares.reduce((a, v) => a + Math.abs(v), 0) || 1;
  const concepts: Concept[] = Array.from({ length: p.k }, (_, j) => {
    const col = Float32Array.from({ length: set.count * per }, (_, r) => f.u[r * p.k + j]);
    const top = topIndices(col, p.crops).map((r) => {
      const o = patchOrigin(grid, r);
      return {
        index: indices[o.image],
        value: col[r],
        box: [o.y, o.x, o.y + grid.size, o.x + grid.size] as const,
      };
    });
    const dir = Array.from(f.w.subarray(j * c, (j + 1) * c));
    return {
      id: j,
      layer: split.layer.name,
      direction: dir,
      importance: importance[j],
      logitShare: (100 * shares[j]) / total,
      logitPercent: (100 * shares[j]) / (scoreSum || 1),
      alignment: cosine(dir, direction),
      top,
    };
  });
  return {
    method: 'craft',
    layer: split.layer.name,
    classIndex: p.classIndex,
    className: data.classNames?.[p.classIndex] ?? model.labels?.[p.classIndex],
    params: { ...p, stride: grid.stride, patchPositions: [grid.ys, grid.xs] },
    concepts,
    grid,
    images: indices,
    maps: kept,
    seconds: (performance.now() - started) / 1000,
    metrics: {
      classImages: set.count,
      patches: set.count * per,
      nmfRelativeError: f.relativeError,
      nmfIterations: f.iterations,
      nmfSeconds: f.seconds,
      meanClassScore: meanScore,
      conceptsScore: shares.reduce((a, v) => a + v, 0) / set.count,
      importanceImages: nImp,
      mapRelativeError: Math.sqrt(fit.err / Math.max(fit.norm, 1e-30)),
    },
  };
}

export const craftMethod = defineConcept({
  name: 'craft',
  title: 'CRAFT',
  paper: 'Fel et al. 2023',
  summary:
    "a class's concepts: NMF of its image patches at a non-negative layer, ranked by Sobol total indices on the class score",
  needsClass: 'required',
  options: {
    k: { type: 'int', min: 1, help: 'concepts (default: craft 20, dff 5)' },
    patch: {
      type: 'int',
      min: 2,
      help: 'patch side in input pixels (default 64, at most half the image)',
    },
    designs: {
      type: 'int',
      min: 2,
      help: 'Sobol designs (Halton points)',
      default: CRAFT_DEFAULTS.designs,
    },
    crops: {
      type: 'int',
      min: 1,
      help: 'best crops kept per concept',
      default: CRAFT_DEFAULTS.crops,
    },
    maps: {
      type: 'int',
      min: 0,
      help: 'class images whose concept attribution maps are kept',
      default: CRAFT_DEFAULTS.maps,
    },
    'importance-images': {
      type: 'int',
      min: 1,
      help: 'class images the Sobol importance is averaged over (default all)',
    },
  },
  run: (ctx) =>
    craft(ctx.model, ctx.data, {
      layer: ctx.layer,
      classIndex: ctx.classIndex!,
      k: ctx.options.k,
      patch: ctx.options.patch,
      designs: ctx.options.designs,
      crops: ctx.options.crops,
      maps: ctx.options.maps,
      importanceImages: ctx.options['importance-images'],
      seed: ctx.seed,
      onProgress: ctx.onProgress,
    }),
});
