/**
 * Is the model fed what it was trained on? With a data set at hand, the model's predictions on its
 * first images are compared under the model's value range and normalization and under the usual
 * alternatives: the ranges 0…1, 0…255 and −1…1, and normalization by the data set's own per-channel
 * mean and std (and, for colour, ImageNet's). Every candidate is an affine map from [0, 1] pixels to
 * what the network sees, so the candidates that see the same thing (0.5/0.5 is −1…1) are one.
 *   - Labelled data: the accuracy. A setting that collapses it towards chance while another keeps
 *     it is almost always a wrong --input-range, --mean/--std or sidecar.
 *   - Unlabelled data: the prediction entropies. A model fed the wrong scale gives one confident
 *     class to every image, or no confident class to any; fed right, confident and varied ones. The
 *     score is the mutual information between image and prediction, H(mean p) − mean H(p) (the log
 *     of the Inception score, Salimans et al. 2016), at most ln K for K classes.
 * Either way: one line naming the likely fix.
 */
import * as tf from '@tensorflow/tfjs';
import { batchRanges, batchTensor, type ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';

/** A way to feed [0, 1] pixels v: the network sees scale·v + shift per channel. */
interface Feeding {
  /** The --input-range it stands for, and the normalization (in that range's units), if any. */
  readonly range: readonly [number, number];
  readonly normalize: {
    readonly mean: number[];
    readonly std: number[];
    readonly name: string;
  } | null;
  readonly scale: number[];
  readonly shift: number[];
}

export interface FeedingScore {
  readonly range: readonly [number, number];
  readonly normalize: {
    readonly mean: number[];
    readonly std: number[];
    readonly name: string;
  } | null;
  /** Labelled data: share right. */
  readonly accuracy: number | null;
  /** Mean entropy of the predictions (nats). */
  readonly entropy: number;
  /** H(mean prediction) − mean entropy (nats): confident and varied predictions score high. */
  readonly information: number;
  /** How many classes are predicted at least once. */
  readonly classes: number;
}

export interface RangeCheck {
  readonly range: readonly [number, number];
  /** On labelled data, the share right at the model's own setting; null without labels. */
  readonly accuracy: number | null;
  readonly current: FeedingScore;
  readonly alternatives: readonly FeedingScore[];
  readonly warning: string | null;
}

const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [0, 255],
  [-1, 1],
];
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const fill = (c: number, v: number) => Array<number>(c).fill(v);

/** The model's own feeding: its range and its normalization. */
function ownFeeding(model: VisModel): Feeding {
  const c = model.input.shape[2];
  const [lo, hi] = model.input.range;
  const n = model.input.normalize;
  return {
    range: [lo, hi],
    normalize: n ? { mean: [...n.mean], std: [...n.std], name: 'the given' } : null,
    scale: n ? n.std.map((s) => (hi - lo) / s) : fill(c, hi - lo),
    shift: n ? n.mean.map((m, k) => (lo - m) / n.std[k]) : fill(c, lo),
  };
}

/** Normalization by `mean01`/`std01` (fractions of the range), stated in the model's own range. */
function normalized(model: VisModel, name: string, mean01: number[], std01: number[]): Feeding {
  const [lo, hi] = model.input.range;
  return {
    range: [lo, hi],
    normalize: {
      mean: mean01.map((m) => lo + m * (hi - lo)),
      std: std01.map((s) => s * (hi - lo)),
      name,
    },
    scale: std01.map((s) => 1 / s),
    shift: mean01.map((m, k) => -m / std01[k]),
  };
}

/** Per-channel mean and std of the first `n` images of a [0, 1] set. */
function channelStats(set01: ImageSet, n: number): { mean: number[]; std: number[] } {
  const c = set01.shape[2];
  const sum = fill(c, 0);
  const sq = fill(c, 0);
  const len = n * set01.shape[0] * set01.shape[1] * c;
  for (let i = 0; i < len; i++) {
    const v = set01.images[i];
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const per = len / c;
  const mean = sum.map((s) => s / per);
  return { mean, std: sq.map((s, k) => Math.sqrt(Math.max(1e-12, s / per - mean[k] ** 2))) };
}

function candidates(model: VisModel, set01: ImageSet, n: number): Feeding[] {
  const c = model.input.shape[2];
  const own = channelStats(set01, n);
  const list: Feeding[] = [
    ...RANGES.map(([lo, hi]): Feeding => ({
      range: [lo, hi],
      normalize: null,
      scale: fill(c, hi - lo),
      shift: fill(c, lo),
    })),
    normalized(model, "the data set's", own.mean, own.std),
    ...(c === 3 ? [normalized(model, "ImageNet's", IMAGENET.mean, IMAGENET.std)] : []),
  ];
  // One candidate per thing the network sees.
  const same = (a: Feeding, b: Feeding) =>
    a.scale.every((s, k) => Math.abs(s - b.scale[k]) <= 1e-6 * Math.abs(s)) &&
    a.shift.every((s, k) => Math.abs(s - b.shift[k]) <= 1e-6 * Math.max(1, Math.abs(s)));
  const cur = ownFeeding(model);
  return list.filter((f, i) => !same(f, cur) && list.findIndex((g) => same(f, g)) === i);
}

/** The model's output rows as probabilities: a softmax unless they already are (≥ 0, summing to 1). */
function probabilities(out: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const isProb =
      out.min().dataSync()[0] >= 0 && out.sum(1).sub(1).abs().max().dataSync()[0] < 1e-3;
    return isProb ? out : tf.softmax(out);
  });
}

/** The scores of feeding `f` (the model's own normalization undone, so predict sees f's values). */
function score(
  model: VisModel,
  set01: ImageSet,
  n: number,
  f: Feeding,
  classes: number,
): FeedingScore {
  const c = model.input.shape[2];
  const own = model.input.normalize;
  // predict() applies (y − m0) / s0; the network should see scale·v + shift.
  const s0 = own ? own.std : fill(c, 1);
  const m0 = own ? own.mean : fill(c, 0);
  const scale = f.scale.map((s, k) => s * s0[k]);
  const shift = f.shift.map((s, k) => s * s0[k] + m0[k]);
  // A batch at a time: 256 photos at 224 pixels would not fit through a ResNet at once.
  const probs = new Float32Array(n * classes);
  for (const [from, to] of batchRanges(n, 32)) {
    const p = tf.tidy(() => {
      const x = batchTensor(set01, from, to).mul(tf.tensor1d(scale)).add(tf.tensor1d(shift));
      return probabilities(
        model.predict(x as tf.Tensor4D).reshape([to - from, classes]) as tf.Tensor2D,
      );
    });
    probs.set(p.dataSync(), from * classes);
    p.dispose();
  }
  const mean = new Float64Array(classes);
  let entropy = 0;
  const top = new Set<number>();
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 0; k < classes; k++) {
      const q = probs[i * classes + k];
      mean[k] += q / n;
      if (q > 0) entropy -= (q * Math.log(q)) / n;
      if (q > probs[i * classes + best]) best = k;
    }
    top.add(best);
    if (set01.labels && best === set01.labels[i]) right++;
  }
  const marginal = mean.reduce((a, q) => a - (q > 0 ? q * Math.log(q) : 0), 0);
  return {
    range: f.range,
    normalize: f.normalize,
    accuracy: set01.labels ? right / n : null,
    entropy,
    information: Math.max(0, marginal - entropy),
    classes: top.size,
  };
}

const fmt = (v: number) => String(+v.toPrecision(3));
const list = (v: readonly number[]) => (v.every((x) => x === v[0]) ? [v[0]] : v).map(fmt);

/** "at 0…1", "at 0…1 normalized by the data set's mean 0.131 and std 0.308". */
function setting(s: FeedingScore): string {
  const at = `at ${s.range.join('…')}`;
  const n = s.normalize;
  return n
    ? `${at} normalized by ${n.name} mean ${list(n.mean).join(',')} and std ${list(n.std).join(',')}`
    : at;
}

/** The flags (and sidecar keys) that give setting `best` instead of `cur`. */
function fix(best: FeedingScore, cur: FeedingScore): string {
  const flags: string[] = [];
  const keys: string[] = [];
  if (best.range[0] !== cur.range[0] || best.range[1] !== cur.range[1]) {
    flags.push(`--input-range ${best.range.join(',')}`);
    keys.push(`"inputRange": [${best.range.join(', ')}]`);
  }
  if (best.normalize) {
    const [m, s] = [list(best.normalize.mean), list(best.normalize.std)];
    flags.push(`--mean ${m.join(',')} --std ${s.join(',')}`);
    keys.push(`"mean": [${m.join(', ')}], "std": [${s.join(', ')}]`);
  } else if (cur.normalize) {
    flags.push('no --mean/--std');
    keys.push('no "mean"/"std"');
  }
  const expects = best.normalize
    ? `inputs normalized by ${best.normalize.name} mean and std`
    : best.range.join(',');
  return `it likely expects ${expects} (${flags.join(' ')}, or ${keys.join(', ')} in deepvis.json)`;
}

/**
 * The check on up to `n` images of `set01` (values in [0, 1]): labelled, by accuracy; unlabelled,
 * by the predictions' entropies. Null when the model's output is not one class score per image
 * (K from 2 to 1000, not a reconstruction of the input) or labels do not fit its classes.
 */
export function checkInputRange(
  model: VisModel,
  set01: ImageSet,
  spec: string,
  n = 256,
): RangeCheck | null {
  const last = model.layers[model.layers.length - 1];
  const classes = last?.outputShape.length === 1 ? last.units : 0;
  const [h, w, c] = model.input.shape;
  const count = Math.min(n, set01.count);
  if (classes < 2 || classes > 1000 || classes === h * w * c || count < 2) return null;
  const labelled = set01.labels != null && Math.max(...set01.labels.subarray(0, count)) < classes;
  const set = labelled ? set01 : { ...set01, labels: null };
  const current = score(model, set, count, ownFeeding(model), classes);
  const alternatives = candidates(model, set, count).map((f) =>
    score(model, set, count, f, classes),
  );
  const warning = labelled
    ? accuracyWarning(current, alternatives, classes, spec, count)
    : entropyWarning(current, alternatives, classes, spec, count);
  return { range: model.input.range, accuracy: current.accuracy, current, alternatives, warning };
}

function accuracyWarning(
  cur: FeedingScore,
  alts: readonly FeedingScore[],
  classes: number,
  spec: string,
  count: number,
): string | null {
  // The first (plain ranges before normalizations) within 2 points of the best.
  const top = Math.max(...alts.map((a) => a.accuracy!));
  const best = alts.find((a) => a.accuracy! >= top - 0.02);
  if (!best) return null;
  const chance = 1 / classes;
  const acc = cur.accuracy!;
  const collapsed = acc < Math.max(2 * chance, 0.5 * best.accuracy!);
  if (!(collapsed && best.accuracy! > Math.max(3 * chance, 2 * acc))) return null;
  return `fed ${setting(cur)}, the model gets ${pct(acc)} of ${spec}'s first ${count} images right (chance ${pct(chance)}); ${setting(best)} it gets ${pct(best.accuracy!)}: ${fix(best, cur)}`;
}

function entropyWarning(
  cur: FeedingScore,
  alts: readonly FeedingScore[],
  classes: number,
  spec: string,
  count: number,
): string | null {
  const top = Math.max(...alts.map((a) => a.information));
  const best = alts.find((a) => a.information >= 0.95 * top);
  if (!best) return null;
  const most = Math.log(Math.min(classes, count));
  // The best alternative must be informative (half the most), and the model's own setting a fifth
  // of the most below it. The MNIST ResNet fed 0…255 (43% right where labels say so) gives 1.39
  // nats on 60 digits, 1.99 at 0…1, of ln 10 = 2.30.
  if (!(best.information >= 0.5 * most && best.information >= cur.information + 0.2 * most))
    return null;
  const says = (s: FeedingScore) =>
    `${s.classes} class${s.classes === 1 ? '' : 'es'} at a mean prediction entropy of ${fmt(s.entropy)} nats`;
  return `fed ${setting(cur)}, the model predicts ${says(cur)} for ${spec}'s first ${count} unlabelled images; ${setting(best)} it predicts ${says(best)} (${fmt(best.information)} vs ${fmt(cur.information)} nats of class information, at most ${fmt(most)}): ${fix(best, cur)}`;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
