/**
 * Specificity of units (the maximising-images paper, §3): the mean activation of every unit over each class of a
 * labelled set. A unit is specific to a class when its mean on that class exceeds its mean over all
 * classes by more than 40%; a unit specific to exactly one class is unimodal, to two bimodal, and
 * otherwise non-specific. The maximising-images paper uses the unimodal units to tune the data-driven method's step
 * count, and compares the fraction of specific units per layer across models (its Fig. 5).
 * Conv channels are reduced to their spatial mean first. One streaming pass; memory units × classes.
 */
import { tidyData } from '../engine/read.js';
import { batchRanges, batchTensor, type ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { unitScores } from '../objectives/units.js';

export type Modality = 'unimodal' | 'bimodal' | 'non-specific';

export interface UnitSpecificity {
  unit: number;
  /** Mean activation per class. */
  classMeans: number[];
  overallMean: number;
  /** Classes whose mean exceeds the overall mean by more than the threshold. */
  specificTo: number[];
  modality: Modality;
}

export interface LayerSpecificity {
  layer: string;
  classes: number;
  threshold: number;
  units: UnitSpecificity[];
  fractions: Record<Modality, number>;
}

/** A unit is specific to a class whose mean exceeds the overall mean by more than this fraction (the maximising-images paper). */
export const SPECIFICITY_THRESHOLD = 0.4;

export function specificity(
  model: VisModel,
  set: ImageSet,
  layerName: string,
  args: { threshold?: number; batchSize?: number } = {},
): LayerSpecificity {
  if (!set.labels)
    throw new DeepvisError(`specificity needs a labelled data set; '${set.name}' has no labels`);
  const layer = model.layer(layerName);
  const threshold = args.threshold ?? SPECIFICITY_THRESHOLD;
  const classes = Math.max(...set.labels) + 1;
  const u = layer.units;
  const sums = new Float64Array(classes * u);
  const counts = new Float64Array(classes);
  for (const [from, to] of batchRanges(set.count, args.batchSize ?? 256)) {
    const s = tidyData(() => {
      const [act] = model.activations(batchTensor(set, from, to), [layer.name]);
      return unitScores(act, layer);
    });
    for (let i = 0; i < to - from; i++) {
      const k = set.labels[from + i];
      counts[k]++;
      for (let j = 0; j < u; j++) sums[k * u + j] += s[i * u + j];
    }
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const units: UnitSpecificity[] = [];
  for (let j = 0; j < u; j++) {
    const classMeans = Array.from({ length: classes }, (_, k) =>
      counts[k] ? sums[k * u + j] / counts[k] : 0,
    );
    let all = 0;
    for (let k = 0; k < classes; k++) all += sums[k * u + j];
    const overallMean = all / total;
    // "Exceeds by more than 40%" needs a positive mean; a unit that is never on is non-specific.
    const specificTo =
      overallMean > 0
        ? classMeans.flatMap((m, k) => (m > overallMean * (1 + threshold) ? [k] : []))
        : [];
    const modality: Modality =
      specificTo.length === 1 ? 'unimodal' : specificTo.length === 2 ? 'bimodal' : 'non-specific';
    units.push({ unit: j, classMeans, overallMean, specificTo, modality });
  }
  const frac = (m: Modality) => units.filter((x) => x.modality === m).length / u;
  return {
    layer: layer.name,
    classes,
    threshold,
    units,
    fractions: {
      unimodal: frac('unimodal'),
      bimodal: frac('bimodal'),
      'non-specific': frac('non-specific'),
    },
  };
}
