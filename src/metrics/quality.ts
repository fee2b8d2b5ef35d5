/**
 * How good is an optimized image? Four scores per image, against a QualityReference
 * (quality_reference.ts) measured on natural data:
 *   - relativeActivation: the unit's activation on the image over its best data-set example's
 *     (Erhan et al. 2009 §6.1); 1 for that example itself; null when the best is ≤ 0 (dead unit).
 *   - plausibility: the mean distance of the image's features at the nearest lower layer to its 9
 *     nearest top examples of the unit, over the data set's typical 9-neighbour distance: ≈ 1 or
 *     below for a natural-looking input, ≫ 1 for one the network processes like nothing real.
 *   - pathScore (Geirhos, Zimmermann, Bilodeau, Brendel & Kim, ICML 2024, "Don't trust your eyes:
 *     on the (un)reliability of feature visualizations"): at every layer below the unit, the mean
 *     Spearman correlation of the image's features with the top examples', placed between the
 *     random-image baseline (0) and the top examples' own leave-one-out similarity (1), averaged
 *     over the layers where that span is at least 0.05: does the network reach this unit by the path natural images take?
 *   - diversity (with several images per unit): 1 − the mean pairwise cosine of their features at
 *     the plausibility layer.
 * Features are spatial means of each layer's activations, minus the random natural images' mean
 * (quality_reference.ts), so correlations and cosines compare departures from typical data.
 * Higher is better for all but plausibility. Scores that cannot be measured (no lower layer, a
 * dead unit) are null, never a made-up number.
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../model/types.js';
import { unitScores } from '../objectives/units.js';
import { spearman } from './stats.js';
import {
  centreRows,
  distance,
  meanSmallest,
  pooledFeatures,
  type QualityReference,
} from './quality_reference.js';

export interface ImageQuality {
  unit: number;
  relativeActivation: number | null;
  plausibility: number | null;
  pathScore: number | null;
  diversity: number | null;
}

const MIN_CONTRAST = 0.05;
const row = (f: Float32Array, i: number, d: number) => f.subarray(i * d, (i + 1) * d);
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/** Mean Spearman correlation of row i of `a` with every row of `top` except `skip`. */
function similarity(a: Float32Array, i: number, top: Float32Array, d: number, skip = -1): number {
  const k = top.length / d;
  const s: number[] = [];
  for (let j = 0; j < k; j++) if (j !== skip) s.push(spearman(row(a, i, d), row(top, j, d)));
  return mean(s.filter(Number.isFinite));
}

/** Per path layer and unit: [baseline (random images), ceiling (top examples, leave-one-out)]. */
function pathScale(ref: QualityReference): [number, number][][] {
  return ref.path.map((_, l) =>
    ref.units.map((_, u) => {
      const d = ref.dims[l];
      const top = ref.topFeatures[l][u];
      const r = ref.randomFeatures[l].length / d;
      const base = mean(
        Array.from({ length: r }, (_, i) => similarity(ref.randomFeatures[l], i, top, d)),
      );
      const k = top.length / d;
      const ceil = mean(Array.from({ length: k }, (_, i) => similarity(top, i, top, d, i)));
      return [base, ceil];
    }),
  );
}

/**
 * Scores of images [N, H, W, C], image i made for unit `perItem[i]` (which must be among the
 * reference's units). The images are read, not kept.
 */
export function imageQuality(
  model: VisModel,
  images: tf.Tensor4D,
  perItem: readonly number[],
  ref: QualityReference,
): ImageQuality[] {
  const layer = model.layer(ref.layer);
  const slot = perItem.map((u) => {
    const s = ref.units.indexOf(u);
    if (s < 0) throw new Error(`unit ${u} is not in the quality reference`);
    return s;
  });
  const acts = tf.tidy(() => {
    const [a] = model.activations(images, [layer.name]);
    return unitScores(a, layer, { neuron: ref.neuron }).dataSync() as Float32Array;
  });
  const feats = pooledFeatures(model, images, ref.path).map((f, l) => centreRows(f, ref.centre[l]));
  const scale = pathScale(ref);
  const low = ref.path.length - 1;
  const out = perItem.map((unit, i): ImageQuality => {
    const u = slot[i];
    const best = ref.best[u];
    const a = acts[i * layer.units + unit];
    let plausibility: number | null = null;
    let pathScore: number | null = null;
    if (low >= 0) {
      const d = ref.dims[low];
      const top = ref.topFeatures[low][u];
      const ds = Array.from({ length: top.length / d }, (_, j) =>
        distance(feats[low], i, top, j, d),
      );
      plausibility = ref.typicalDistance > 0 ? meanSmallest(ds, 9) / ref.typicalDistance : null;
      const per = ref.path
        .map((_, l) => {
          const [base, ceil] = scale[l][u];
          const s = similarity(feats[l], i, ref.topFeatures[l][u], ref.dims[l]);
          // A layer where the top examples are barely more alike than random images (ceiling − baseline
          // under 0.05 in Spearman units) cannot tell paths apart; it would only blow the ratio up.
          return ceil - base >= MIN_CONTRAST && Number.isFinite(s)
            ? (s - base) / (ceil - base)
            : NaN;
        })
        .filter(Number.isFinite);
      // A unit no natural image turns on has no natural path to compare with.
      pathScore = per.length && best > 0 ? mean(per) : null;
    }
    return {
      unit,
      relativeActivation: best > 0 ? a / best : null,
      plausibility,
      pathScore,
      diversity: null,
    };
  });
  // Diversity: the images that share a unit, at the plausibility layer.
  if (low >= 0) {
    const d = ref.dims[low];
    const groups = new Map<number, number[]>();
    perItem.forEach((u, i) => groups.set(u, [...(groups.get(u) ?? []), i]));
    for (const idx of groups.values()) {
      if (idx.length < 2) continue;
      const cos: number[] = [];
      for (let p = 0; p < idx.length; p++) {
        for (let q = p + 1; q < idx.length; q++) {
          const [x, y] = [row(feats[low], idx[p], d), row(feats[low], idx[q], d)];
          let xy = 0;
          let xx = 0;
          let yy = 0;
          for (let k = 0; k < d; k++) {
            xy += x[k] * y[k];
            xx += x[k] * x[k];
            yy += y[k] * y[k];
          }
          cos.push(xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 1);
        }
      }
      for (const i of idx) out[i].diversity = 1 - mean(cos);
    }
  }
  return out;
}

/** A grid label's suffix: "r0.82 p1.3 g0.61" (relative activation, plausibility, path), skipping what is null. */
export function qualityLabel(q: ImageQuality): string {
  const parts: string[] = [];
  if (q.relativeActivation != null) parts.push(`r${q.relativeActivation.toFixed(2)}`);
  if (q.plausibility != null) parts.push(`p${q.plausibility.toFixed(1)}`);
  if (q.pathScore != null) parts.push(`g${q.pathScore.toFixed(2)}`);
  if (q.diversity != null) parts.push(`d${q.diversity.toFixed(2)}`);
  return parts.join(' ');
}

/** Mean of each score over images (nulls left out; null when none), for the methods × scores table. */
export function meanQuality(
  qs: readonly ImageQuality[],
): Record<'relativeActivation' | 'plausibility' | 'pathScore' | 'diversity', number | null> {
  const m = (k: keyof Omit<ImageQuality, 'unit'>) => {
    const v = qs.map((q) => q[k]).filter((x): x is number => x != null && Number.isFinite(x));
    return v.length ? mean(v) : null;
  };
  return {
    relativeActivation: m('relativeActivation'),
    plausibility: m('plausibility'),
    pathScore: m('pathScore'),
    diversity: m('diversity'),
  };
}
