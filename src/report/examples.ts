/**
 * A unit's data-set examples, from a (merged) scan: the top-k inputs cropped to the receptive field
 * of the neuron that fired, the deconvnet projection of each (Zeiler & Fergus, Cavojska 2015 §5: the
 * activation alone sent down through the switches), and the k most negative inputs (for a fused
 * ReLU taken at the pre-activation, where "negative" means something). All through the library:
 * scanTopK's lists, entryCrop, deconvnet; one image per example.
 */
import * as tf from '@tensorflow/tfjs';
import { entryCrop, type LayerTopK } from '../analysis/scan.js';
import { deconvnet } from '../attribution/gradients.js';
import { itemOf } from '../engine/read.js';
import type { ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { toImage, type RgbaImage } from '../render/image.js';

export interface ExampleList {
  readonly values: number[];
  readonly indices: number[];
  readonly labels: Array<number | null>;
  readonly positions: Array<[number, number]> | null;
}

export interface UnitExamples {
  readonly unit: number;
  readonly top: ExampleList;
  readonly bottom: ExampleList | null;
  /** Which layer the bottom list was scanned at (the pre-activation of a fused ReLU). */
  readonly bottomLayer: string | null;
}

const listOf = (
  set: ImageSet,
  values: number[],
  indices: number[],
  positions: Array<[number, number]> | null,
): ExampleList => ({
  values,
  indices,
  labels: indices.map((i) => (set.labels ? set.labels[i] : null)),
  positions,
});

export function computeExamples(
  model: VisModel,
  set: ImageSet,
  top: LayerTopK,
  bottomEntry: LayerTopK | null,
  units: readonly number[],
): { data: UnitExamples[]; images: Record<string, RgbaImage> } {
  const shape = model.input.shape;
  const [lo, hi] = model.input.range;
  const layer = model.layer(top.layer);
  const image = (i: number) => itemOf(set.images, i, shape);
  const images: Record<string, RgbaImage> = {};
  const data: UnitExamples[] = [];
  for (const u of units) {
    const idx = top.indices[u];
    top.indices[u].forEach((i, r) => {
      const c = entryCrop(top, u, r, image(i), shape, (lo + hi) / 2);
      images[`u${u}-top${r}`] = toImage(c.values, c.shape, { mode: 'range', range: [lo, hi] });
    });
    if (idx.length) {
      const x = tf.tidy(
        () => tf.stack(idx.map((i) => tf.tensor3d(image(i), [...shape]))) as tf.Tensor4D,
      );
      const proj = deconvnet(
        model,
        x,
        { layer, units: idx.map(() => u), neurons: top.positions?.[u] },
        'switches',
      );
      const pv = proj.dataSync();
      tf.dispose([x, proj]);
      idx.forEach((_, r) => {
        // Signed, arbitrary scale: zero is mid-grey, each projection at full contrast.
        const c = entryCrop(top, u, r, itemOf(pv, r, shape), shape, 0);
        images[`u${u}-deconv${r}`] = toImage(c.values, c.shape, { mode: 'symmetric' });
      });
    }
    let bottom: ExampleList | null = null;
    const b = bottomEntry?.bottom;
    if (bottomEntry && b) {
      const asTop: LayerTopK = { ...bottomEntry, positions: b.positions };
      b.indices[u].forEach((i, r) => {
        const c = entryCrop(asTop, u, r, image(i), shape, (lo + hi) / 2);
        images[`u${u}-neg${r}`] = toImage(c.values, c.shape, { mode: 'range', range: [lo, hi] });
      });
      bottom = listOf(set, b.values[u], b.indices[u], b.positions?.[u] ?? null);
    }
    data.push({
      unit: u,
      top: listOf(set, top.values[u], top.indices[u], top.positions?.[u] ?? null),
      bottom,
      bottomLayer: bottomEntry?.layer ?? null,
    });
  }
  return { data, images };
}
