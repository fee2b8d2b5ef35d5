/**
 * maximize's quality pass over any method's images: the scores of metrics/quality.ts when there is
 * a data set (in the JSON per unit, and on the grid labels), and the blank diagnosis of
 * metrics/blank.ts for every unit whose image came out flat or weak (printed, and in the JSON).
 */
import type { ImageSet } from '../../data/dataset.js';
import type { MethodResult } from '../../methods/recipe.js';
import { diagnoseBlank, type BlankDiagnosis } from '../../metrics/blank.js';
import { imageQuality, qualityLabel, type ImageQuality } from '../../metrics/quality.js';
import { qualityReference, type QualityReference } from '../../metrics/quality_reference.js';
import type { VisModel } from '../../model/types.js';

export interface Assessment {
  quality: ImageQuality[] | null;
  blank: BlankDiagnosis[];
  /** Per image, the label suffix ("r0.82 p1.3 g0.61"), empty without data. */
  labels: string[];
  reference: QualityReference | null;
}

export function assess(
  model: VisModel,
  result: MethodResult,
  o: {
    layer: string;
    neuron?: readonly [number, number];
    data: ImageSet | null;
    quiet?: boolean;
    reference?: QualityReference | null;
  },
): Assessment {
  const perItem = result.units.map((u) => u.unit);
  const distinct = [...new Set(perItem)];
  const reference =
    o.reference ??
    (o.data ? qualityReference(model, o.data, o.layer, distinct, { neuron: o.neuron }) : null);
  const quality = reference ? imageQuality(model, result.images, perItem, reference) : null;
  const of = (values: Float32Array) => perItem.map((u) => values[reference!.units.indexOf(u)]);
  const blank = diagnoseBlank(model, result.images, {
    layer: o.layer,
    units: perItem,
    neuron: o.neuron,
    best: reference ? of(reference.best) : null,
    peak: reference ? of(reference.peak) : null,
    dataset: o.data?.name,
  });
  if (!o.quiet)
    for (const d of blank)
      if (d.causes.length) console.log(`why unit ${d.unit} is blank: ${d.messages.join('; ')}`);
  return {
    quality,
    blank,
    labels: quality ? quality.map(qualityLabel) : perItem.map(() => ''),
    reference,
  };
}
