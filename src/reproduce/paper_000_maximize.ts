/**
 * The maximising-images paper §4 on a trained stack: the step count ("epochs") from the unimodal IT units, the speed
 * of the data-driven start against pure optimization from an empty image, and fig. 6 — per unit a
 * row of four: the data-set image that excites it most | the gradient of its activation at that
 * image (the "deconvolutional" column) | unregularized gradient ascent from an empty image | the
 * data-driven result (ascent from the image, then the 0.9 step filter). Units are picked, as in the
 * paper, for digits per layer (IT 3 0 7 8, V4 1 4 9, V2 6 5 2): the unit most specific to the digit.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import type { LayerSpecificity } from '../analysis/specificity.js';
import { saliency } from '../attribution/gradients.js';
import { tidyData } from '../engine/read.js';
import { compareWithBlank, dataDriven, estimateSteps } from '../methods/data_driven.js';
import type { VisModel } from '../model/types.js';
import { units as unitObjective } from '../objectives/units.js';
import { boundedAscentSteps } from '../optimize/ascent.js';
import { drain } from '../optimize/drive.js';
import { grid } from '../render/grid.js';
import { toImage, type RgbaImage } from '../render/image.js';
import { median } from './figure_io.js';

/** The paper's fig. 6 rows: layer index (1-based) → digits. */
export const FIG6_DIGITS: ReadonlyArray<readonly [number, readonly number[]]> = [
  [4, [3, 0, 7, 8]],
  [3, [1, 4, 9]],
  [2, [6, 5, 2]],
];

/** The unit most specific to `digit` (largest class-mean / overall-mean ratio), unimodal ones first. */
export function unitFor(spec: LayerSpecificity, digit: number, taken: ReadonlySet<number>): number {
  const ratio = (u: LayerSpecificity['units'][number]) =>
    u.overallMean > 0 ? u.classMeans[digit] / u.overallMean : 0;
  const rank = (u: LayerSpecificity['units'][number]) =>
    (u.modality === 'unimodal' && u.specificTo[0] === digit ? 1e6 : 0) + ratio(u);
  const free = spec.units.filter((u) => !taken.has(u.unit));
  return free.reduce((a, b) => (rank(b) > rank(a) ? b : a)).unit;
}

export interface SpeedResult {
  steps: number;
  units: number[];
  /** Per unit: blank steps / data-driven steps to 90% (blank's null → counted as its step limit, a lower bound). */
  ratios: number[];
  censored: number;
  medianRatio: number;
  blankSteps: number;
}

/** The step count from `unimodal` IT units, then the speed comparison on the same units. */
export function speedOf(
  model: VisModel,
  layer: string,
  unimodal: readonly number[],
  data: ImageSet,
  maxSteps: number,
  blankFactor = 100,
): SpeedResult {
  const est = estimateSteps(model, { layer, units: unimodal, data, maxSteps });
  // Capped: the steps to 90% from a data-set image are a handful, so 4,000 blank steps still resolve ratios past 100×.
  const blankSteps = Math.min(4000, blankFactor * est.steps);
  const cmp = compareWithBlank(model, {
    layer,
    units: unimodal,
    data,
    steps: est.steps,
    blankSteps,
  });
  const ratios = cmp.map(
    (c) => (c.blank.steps ?? blankSteps) / Math.max(1, c.dataDriven.steps ?? est.steps),
  );
  return {
    steps: est.steps,
    units: [...unimodal],
    ratios,
    censored: cmp.filter((c) => c.blank.steps == null).length,
    medianRatio: median(ratios),
    blankSteps,
  };
}

export interface Fig6Row {
  layer: string;
  digit: number;
  unit: number;
  start: number;
  startActivation: number;
  dataDrivenActivation: number;
  blankActivation: number;
}

export function fig6(
  model: VisModel,
  specs: readonly LayerSpecificity[],
  data: ImageSet,
  steps: number,
  blankSteps: number,
): { image: RgbaImage; rows: Fig6Row[] } {
  const [h, w, c] = model.input.shape;
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  const rowLabels: string[] = [];
  const rows: Fig6Row[] = [];
  const range = { mode: 'range', range: model.input.range } as const;
  for (const [l, digits] of FIG6_DIGITS) {
    const spec = specs[l - 1];
    if (!spec) continue;
    const taken = new Set<number>();
    const units = digits.map((d) => {
      const u = unitFor(spec, d, taken);
      taken.add(u);
      return u;
    });
    const dd = dataDriven(model, { layer: spec.layer, units, data, steps });
    const x = tf.tidy(
      () =>
        tf.concat(
          dd.starts.map((s) =>
            tf.tensor4d(data.images.subarray(s * h * w * c, (s + 1) * h * w * c), [1, h, w, c]),
          ),
        ) as tf.Tensor4D,
    );
    const grad = tidyData(() => saliency(model, x, { layer: model.layer(spec.layer), units }));
    const blank = tf.fill([units.length, h, w, c], model.input.range[0]) as tf.Tensor4D;
    const free = drain(
      boundedAscentSteps(model, blank, unitObjective(model.layer(spec.layer), units), {
        steps: blankSteps,
      }),
    );
    const [xs, ds, fs] = [x.dataSync(), dd.images.dataSync(), free.images.dataSync()];
    const size = h * w * c;
    units.forEach((u, i) => {
      const at = (v: ArrayLike<number>) =>
        Array.prototype.slice.call(v, i * size, (i + 1) * size) as number[];
      tiles.push(
        toImage(at(xs), [h, w, c], range),
        toImage(at(grad), [h, w, c], { mode: 'symmetric' }),
        toImage(at(fs), [h, w, c], { mode: 'minmax' }),
        toImage(at(ds), [h, w, c], range),
      );
      labels.push(
        `#${dd.starts[i]}`,
        'gradient',
        free.scores[i].toFixed(2),
        dd.units[i].activation.toFixed(2),
      );
      rowLabels.push(`${spec.layer} u${u} (${digits[i]})`);
      rows.push({
        layer: spec.layer,
        digit: digits[i],
        unit: u,
        start: dd.starts[i],
        startActivation: dd.startActivations[i],
        dataDrivenActivation: dd.units[i].activation,
        blankActivation: free.scores[i],
      });
    });
    tf.dispose([x, blank, dd.images, dd.unfiltered, free.images]);
  }
  const image = grid(tiles, {
    cols: 4,
    labels,
    rowLabels,
    title: 'input | gradient | unregularized | data-driven',
  });
  return { image, rows };
}
