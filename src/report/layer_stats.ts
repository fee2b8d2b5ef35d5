/**
 * Per-layer and per-model numbers for the report, through the library: class specificity (seed
 * 000 §3's 40% rule) with each unit's class profile drawn by render's bar chart, the t-SNE
 * embedding of a dense layer with thumbnails (Agrawal & Balani §4.3), and the model's accuracy on the
 * labelled data.
 */
import * as tf from '@tensorflow/tfjs';
import { embed } from '../analysis/embedding.js';
import { specificity, type Modality } from '../analysis/specificity.js';
import { tidyData } from '../engine/read.js';
import { Rng } from '../engine/rng.js';
import { batchesOf, subset, type ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { toImage, type RgbaImage } from '../render/image.js';
import { barChart, thumbnailScatter } from '../render/plots.js';

export interface SpecificityData {
  readonly layer: string;
  readonly threshold: number;
  readonly fractions: Record<Modality, number>;
  readonly classNames: string[];
  readonly units: Array<{
    unit: number;
    classMeans: number[];
    overallMean: number;
    specificTo: number[];
    modality: Modality;
  }>;
}

const classNamesOf = (set: ImageSet, model: VisModel, classes: number): string[] =>
  Array.from({ length: classes }, (_, c) => set.classNames?.[c] ?? model.labels?.[c] ?? String(c));

export function computeSpecificity(
  model: VisModel,
  set: ImageSet,
  layer: string,
): { data: SpecificityData; images: Record<string, RgbaImage> } {
  const s = specificity(model, set, layer);
  const names = classNamesOf(set, model, s.classes);
  const images: Record<string, RgbaImage> = {};
  for (const u of s.units) {
    images[`u${u.unit}`] = barChart({
      title: `${layer} unit ${u.unit}: mean activation per class`,
      groups: names,
      series: [{ label: `unit ${u.unit}`, values: u.classMeans }],
      lines: [
        { label: 'mean', value: u.overallMean },
        { label: `+${Math.round(100 * s.threshold)}%`, value: u.overallMean * (1 + s.threshold) },
      ],
      height: 140,
    });
  }
  return {
    data: {
      layer,
      threshold: s.threshold,
      fractions: s.fractions,
      classNames: names,
      units: s.units,
    },
    images,
  };
}

export interface EmbeddingData {
  readonly layer: string;
  readonly method: string;
  readonly count: number;
  readonly dims: number;
  readonly knnAccuracy: number | null;
  readonly seed: number;
  readonly points: Array<{ x: number; y: number; label: number | null; index: number }>;
}

export function computeEmbedding(
  model: VisModel,
  set: ImageSet,
  layer: string,
  count: number,
  seed: number,
): { data: EmbeddingData; images: Record<string, RgbaImage> } {
  const n = Math.min(count, set.count);
  const picked = new Rng(seed).permutation(set.count).slice(0, n);
  const part = subset(set, picked);
  const e = embed(model, part, layer, { method: 'tsne', seed });
  const shape = model.input.shape;
  const size = shape[0] * shape[1] * shape[2];
  const thumbs = Array.from({ length: n }, (_, i) =>
    toImage(part.images.subarray(i * size, (i + 1) * size), shape, {
      mode: 'range',
      range: model.input.range,
    }),
  );
  const score =
    e.knnAccuracy == null ? '' : `, 5-NN agreement ${(100 * e.knnAccuracy).toFixed(1)}%`;
  const image = thumbnailScatter(e.points, thumbs, e.labels, {
    title: `${layer}: t-SNE of ${n} images${score}`,
    classNames: set.classNames ?? model.labels ?? undefined,
    tint: shape[2] === 1,
  });
  const points = e.points.map(([x, y], i) => ({
    x: +x.toPrecision(5),
    y: +y.toPrecision(5),
    label: e.labels?.[i] ?? null,
    index: picked[i],
  }));
  return {
    data: {
      layer,
      method: e.method,
      count: n,
      dims: e.dims,
      knnAccuracy: e.knnAccuracy,
      seed,
      points,
    },
    images: { tsne: image },
  };
}

/** Top-1 accuracy of the model's output on a labelled set; null when unlabelled or the output is not one score per class. */
export function accuracy(
  model: VisModel,
  set: ImageSet,
): { accuracy: number; count: number } | null {
  if (!set.labels) return null;
  const labels = set.labels;
  const classes = Math.max(...labels) + 1;
  let right = 0;
  for (const b of batchesOf(set, 256)) {
    const pred = tidyData(() => {
      const out = model.predict(tf.tensor4d(b.images, [b.count, ...model.input.shape]));
      return out.rank === 2 && out.shape[1]! >= classes
        ? out.argMax(1)
        : tf.fill([b.count], -1, 'int32');
    });
    for (let i = 0; i < b.count; i++) if (pred[i] === labels[b.offset + i]) right++;
    if (pred[0] === -1) return null;
  }
  return { accuracy: right / set.count, count: set.count };
}
