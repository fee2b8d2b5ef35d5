/**
 * Is the model fed what it was trained on? With a labelled data set at hand, the accuracy on its
 * first images under the model's value range is compared with the usual alternatives (0…1, 0…255,
 * −1…1): a range that collapses the accuracy to chance while another keeps it is almost always a
 * wrong --input-range or sidecar, and gets one line naming the fix. Without labels, the mean
 * prediction entropy stands in: a model fed the wrong scale tends to give one confident class to
 * every image, or none.
 */
import * as tf from '@tensorflow/tfjs';
import { batchTensor, type ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';

const CANDIDATES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [0, 255],
  [-1, 1],
];

export interface RangeCheck {
  readonly range: readonly [number, number];
  readonly accuracy: number;
  readonly alternatives: ReadonlyArray<{
    readonly range: readonly [number, number];
    readonly accuracy: number;
  }>;
  readonly warning: string | null;
}

/** Accuracy of the model on `set` ([0, 1] images) fed at `range`. */
function accuracyAt(
  model: VisModel,
  set01: ImageSet,
  n: number,
  range: readonly [number, number],
): number {
  return tf.tidy(() => {
    const [lo, hi] = range;
    const x = batchTensor(set01, 0, n)
      .mul(hi - lo)
      .add(lo) as tf.Tensor4D;
    const pred = model.predict(x);
    const top = pred.reshape([n, -1]).argMax(1).dataSync();
    let right = 0;
    for (let i = 0; i < n; i++) right += top[i] === set01.labels![i] ? 1 : 0;
    return right / n;
  });
}

/**
 * The check on up to `n` images of a labelled `set01` (values in [0, 1]); null when the set has no
 * labels or its classes do not match the model's outputs.
 */
export function checkInputRange(
  model: VisModel,
  set01: ImageSet,
  spec: string,
  n = 256,
): RangeCheck | null {
  const classes = model.layers[model.layers.length - 1]?.units ?? 0;
  if (
    !set01.labels ||
    set01.count === 0 ||
    classes < 2 ||
    Math.max(...set01.labels.subarray(0, Math.min(n, set01.count))) >= classes
  )
    return null;
  const count = Math.min(n, set01.count);
  const range = model.input.range;
  const accuracy = accuracyAt(model, set01, count, range);
  const chance = 1 / classes;
  const alternatives = CANDIDATES.filter((r) => r[0] !== range[0] || r[1] !== range[1]).map(
    (r) => ({ range: r, accuracy: accuracyAt(model, set01, count, r) }),
  );
  const best = alternatives.reduce<(typeof alternatives)[number] | null>(
    (a, b) => (!a || b.accuracy > a.accuracy ? b : a),
    null,
  );
  const collapsed = accuracy < Math.max(2 * chance, 0.5 * (best?.accuracy ?? 0));
  const warning =
    best && collapsed && best.accuracy > Math.max(3 * chance, 2 * accuracy)
      ? `fed at ${range.join('…')}, the model gets ${pct(accuracy)} of ${spec}'s first ${count} images right (chance ${pct(chance)}); at ${best.range.join('…')} it gets ${pct(best.accuracy)}: it likely expects ${best.range.join(',')} (--input-range ${best.range.join(',')}, or "inputRange": [${best.range.join(', ')}] in deepvis.json)`
      : null;
  return { range, accuracy, alternatives, warning };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
