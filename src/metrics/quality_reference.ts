/**
 * What the quality scores of optimized images (quality.ts) compare against, measured once per
 * layer on a data set and shared by every method of a comparison:
 *   - each unit's best data-set activation and its top-K natural examples (one scan);
 *   - the "path" layers below the unit (conv and dense layers, in order), and at each the
 *     spatially averaged activation vector of every top example and of R random natural images;
 *   - the data set's typical feature distance at the nearest lower layer: the mean, over the random
 *     images, of the mean distance to their 9 nearest other random images.
 * Spatial averaging makes the features blind to where a pattern sits, as the unit objectives of
 * the methods (channel means) are.
 */
import * as tf from '@tensorflow/tfjs';
import {
  batchRanges,
  batchTensor,
  dataTooSmall,
  imagesTensor,
  type ImageSet,
} from '../data/dataset.js';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { checkUnits, unitScores, type UnitSelector } from '../objectives/units.js';

export interface QualityReferenceArgs {
  /** Top natural examples kept per unit; default 16. */
  readonly topK?: number;
  /** Random natural images for the baselines; default 64. */
  readonly randomCount?: number;
  /** Images of the set scanned for the best and top examples; default all. */
  readonly scan?: number;
  readonly neuron?: UnitSelector['neuron'];
  readonly seed?: number;
}

export interface QualityReference {
  readonly layer: string;
  readonly units: readonly number[];
  readonly neuron?: UnitSelector['neuron'];
  /** Per unit (in `units` order): best activation on the set, and the top-K indices into the set. */
  readonly best: Float32Array;
  /**
   * Per unit, the best over the set of the unit's largest value anywhere in its map: the same as
   * `best` for a dense unit or one neuron; for a channel (scored by its mean) it tells a unit
   * that never fires from one that fires only in places.
   */
  readonly peak: Float32Array;
  readonly top: readonly (readonly number[])[];
  /** Layers below `layer`, lowest first; the last is where plausibility is measured. */
  readonly path: readonly string[];
  /** topFeatures[l][u]: the unit's top examples' features at path layer l, [K × D_l] row-major. */
  readonly topFeatures: readonly (readonly Float32Array[])[];
  /** randomFeatures[l]: [R × D_l]. */
  readonly randomFeatures: readonly Float32Array[];
  /**
   * The random images' mean feature per layer [D_l], already subtracted from topFeatures and
   * randomFeatures (and to be subtracted from any image's): correlations then compare how an image
   * departs from typical data, not the offsets every image shares.
   */
  readonly centre: readonly Float32Array[];
  readonly dims: readonly number[];
  readonly typicalDistance: number;
  readonly params: Record<string, unknown>;
}

/** The layers a path check reads: conv and dense layers below `target`, lowest first. */
export function pathLayers(model: VisModel, target: LayerInfo): string[] {
  return model.layers
    .filter(
      (l) =>
        l.index < target.index &&
        !l.name.includes(':') &&
        /conv|dense|linear|gemm|matmul/i.test(l.kind) &&
        l.outputShape.length > 0,
    )
    .map((l) => l.name);
}

/** Spatially averaged activations of x at each layer: one [N × D] array per layer. */
export function pooledFeatures(
  model: VisModel,
  x: tf.Tensor4D,
  layers: readonly string[],
  batch = 128,
): Float32Array[] {
  if (layers.length === 0) return [];
  const parts: Float32Array[][] = layers.map(() => []);
  for (const [from, to] of batchRanges(x.shape[0], batch)) {
    const vals = tf.tidy(() => {
      const acts = model.activations(x.slice([from], [to - from]), layers);
      return acts.map((a) => (a.rank === 4 ? a.mean([1, 2]) : a.reshape([to - from, -1])));
    });
    vals.forEach((t, l) => {
      parts[l].push(t.dataSync() as Float32Array);
      t.dispose();
    });
  }
  return parts.map((p) => {
    const out = new Float32Array(p.reduce((a, q) => a + q.length, 0));
    let o = 0;
    for (const q of p) {
      out.set(q, o);
      o += q.length;
    }
    return out;
  });
}

/** Subtracts `centre` [D] from every row of f [N × D], in place. */
export function centreRows(f: Float32Array, centre: Float32Array): Float32Array {
  for (let i = 0; i < f.length; i++) f[i] -= centre[i % centre.length];
  return f;
}

export function distance(
  a: Float32Array,
  i: number,
  b: Float32Array,
  j: number,
  d: number,
): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = a[i * d + k] - b[j * d + k];
    s += t * t;
  }
  return Math.sqrt(s);
}

/** Mean of the `k` smallest values. */
export function meanSmallest(values: number[], k: number): number {
  const v = values
    .slice()
    .sort((a, b) => a - b)
    .slice(0, Math.max(1, Math.min(k, values.length)));
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Fewest data-set images a quality reference (nearest neighbours among the top examples) can use. */
export const QUALITY_MIN_IMAGES = 2;

/** The one line for a data set too small for quality scores, naming the folder the user gave. */
export const qualityDataTooSmall = (data: ImageSet, count = data.count): DeepvisError =>
  dataTooSmall('quality scores need', QUALITY_MIN_IMAGES, data, count);

export function qualityReference(
  model: VisModel,
  data: ImageSet,
  layerName: string,
  units: readonly number[],
  args: QualityReferenceArgs = {},
): QualityReference {
  const layer = model.layer(layerName);
  checkUnits(layer, units, { neuron: args.neuron });
  const k = args.topK ?? 16;
  const count = Math.min(data.count, args.scan ?? data.count);
  if (count < QUALITY_MIN_IMAGES) throw qualityDataTooSmall(data, count);
  // One scan: per unit, the top-k (value, index) pairs, kept sorted descending.
  const top: [number, number][][] = units.map(() => []);
  const peak = new Float32Array(units.length).fill(-Infinity);
  const spatial = layer.outputShape.length === 3 && args.neuron == null;
  const unitIdx = tf.tensor1d(units as number[], 'int32');
  try {
    for (const [from, to] of batchRanges(count, 256)) {
      const [s, p] = tf.tidy(() => {
        const [act] = model.activations(batchTensor(data, from, to), [layer.name]);
        const scores = unitScores(act, layer, { neuron: args.neuron }).gather(unitIdx, 1);
        const peaks = spatial ? tf.max(act, [1, 2]).gather(unitIdx, 1).max(0) : scores.max(0);
        return [scores.dataSync() as Float32Array, peaks.dataSync() as Float32Array];
      });
      p.forEach((v, u) => {
        peak[u] = Math.max(peak[u], v);
      });
      for (let i = 0; i < to - from; i++) {
        units.forEach((_, u) => {
          const v = s[i * units.length + u];
          const list = top[u];
          if (list.length < k || v > list[list.length - 1][0]) {
            list.push([v, from + i]);
            list.sort((a, b) => b[0] - a[0]);
            if (list.length > k) list.pop();
          }
        });
      }
    }
  } finally {
    unitIdx.dispose();
  }
  const path = pathLayers(model, layer);
  const rng = new Rng(args.seed ?? 0);
  const r = Math.min(args.randomCount ?? 64, count);
  const randomIdx = rng.shuffle(Array.from({ length: count }, (_, i) => i)).slice(0, r);
  const featuresOf = (idx: readonly number[]) => {
    const x = imagesTensor(data, idx);
    try {
      return pooledFeatures(model, x, path);
    } finally {
      x.dispose();
    }
  };
  const randomFeatures = featuresOf(randomIdx);
  const dims = randomFeatures.map((f) => f.length / r);
  const centre = randomFeatures.map((f, l) => {
    const m = new Float32Array(dims[l]);
    for (let i = 0; i < f.length; i++) m[i % dims[l]] += f[i] / r;
    return m;
  });
  randomFeatures.forEach((f, l) => centreRows(f, centre[l]));
  const perUnit = top.map((list) => featuresOf(list.map(([, i]) => i)));
  perUnit.forEach((fs) => fs.forEach((f, l) => centreRows(f, centre[l])));
  const topFeatures = path.map((_, l) => perUnit.map((f) => f[l]));
  let typicalDistance = 0;
  if (path.length) {
    const l = path.length - 1;
    const f = randomFeatures[l];
    for (let i = 0; i < r; i++) {
      const ds = Array.from({ length: r }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => distance(f, i, f, j, dims[l]));
      typicalDistance += meanSmallest(ds, 9) / r;
    }
  }
  return {
    layer: layer.name,
    units,
    neuron: args.neuron,
    best: Float32Array.from(top, (t) => t[0]?.[0] ?? NaN),
    peak,
    top: top.map((t) => t.map(([, i]) => i)),
    path,
    topFeatures,
    randomFeatures,
    centre,
    dims,
    typicalDistance,
    params: {
      dataset: data.name,
      scanned: count,
      topK: k,
      randomImages: r,
      neighbours: 9,
      path,
      plausibilityLayer: path[path.length - 1] ?? null,
      seed: args.seed ?? 0,
    },
  };
}
