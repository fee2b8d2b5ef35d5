/**
 * TCAV (Kim et al. 2018, "Interpretability Beyond Feature Attribution: Quantitative Testing with
 * Concept Activation Vectors"), with Captum's defaults: a concept is a set of images (a folder); its
 * CAV is the normal of a linear classifier (linear.ts) separating the concept's activations at the
 * layer (flattened) from a random set's; the directional derivative of the class score along the
 * CAV, S = ∇h_class(f(x)) · v, is read for every image of the class (the gradient comes from an
 * offset at the layer, split.ts), and the TCAV score is the share of them with S > 0 (Captum's
 * sign_count; its magnitude score, Σ_{S>0} S / Σ |S|, too). Significance as Kim et al. and
 * Captum's tutorial: the concept is set against R ≥ 10 random sets, and random sets against a
 * fixed random set; a two-sided t-test (ttest.ts) of the two groups of R scores gives p.
 */
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { topIndices, unitVector, type Concept, type ConceptSet } from './concept.js';
import { fitLinearBatch, type LinearProblem } from './linear.js';
import { defineConcept, type ImageGroup } from './method.js';
import { classImages } from './craft.js';
import { classGradients, layerValues, splitAt, type Split } from './split.js';
import { tTest } from './ttest.js';

export const TCAV_DEFAULTS = {
  runs: 10,
  significance: 0.05,
  classImages: 200,
  minImages: 2,
  top: 9,
  rankImages: 1000,
} as const;

export interface TcavArgs {
  readonly layer: string;
  readonly classIndex: number;
  /** The class's images (the data set's images of that label). */
  readonly inputs: ImageGroup;
  readonly concepts: readonly ImageGroup[];
  /** Where random sets are drawn from (a folder, or the data set's images). */
  readonly random: ImageGroup;
  /** Random sets each concept is set against; default 10. */
  readonly runs?: number;
  readonly seed?: number;
  /** Images to rank by their projection on each CAV (top and most negative examples), with their data-set indices. */
  readonly rank?: { readonly group: ImageGroup; readonly indices: readonly number[] };
  readonly onProgress?: (p: {
    readonly phase: string;
    readonly done: number;
    readonly total: number;
  }) => void;
}

export interface TcavRow {
  readonly concept: string;
  readonly scores: readonly number[];
  readonly magnitudes: readonly number[];
  readonly randomScores: readonly number[];
  readonly mean: number;
  readonly std: number;
  readonly randomMean: number;
  readonly randomStd: number;
  readonly p: number;
  readonly t: number;
  readonly significant: boolean;
  readonly cavAccuracy: number;
}

export interface TcavResult extends ConceptSet {
  readonly table: readonly TcavRow[];
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: readonly number[]) =>
  Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / Math.max(1, v.length - 1));

/** ∂ class score / ∂ layer for every input, [n, D] on the host. */
function gradients(
  model: VisModel,
  split: Split,
  group: ImageGroup,
  unit: number,
  batch = 32,
): Float32Array {
  const out = new Float32Array(group.count * split.size);
  for (let from = 0; from < group.count; from += batch)
    out.set(
      classGradients(model, split, group.images, from, Math.min(batch, group.count - from), unit)
        .grad,
      from * split.size,
    );
  return out;
}

/** TCAV score and magnitude of a CAV over the inputs' gradients. */
function score(grads: Float32Array, cav: ArrayLike<number>): { sign: number; magnitude: number } {
  const d = cav.length;
  const n = grads.length / d;
  let pos = 0;
  let posSum = 0;
  let absSum = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += grads[i * d + t] * cav[t];
    if (s > 0) {
      pos++;
      posSum += s;
    }
    absSum += Math.abs(s);
  }
  return { sign: pos / n, magnitude: absSum > 0 ? posSum / absSum : 0 };
}

/** R + 1 random sets of `size` rows of the pool's activations (disjoint while the pool lasts). */
function randomSets(
  acts: Float32Array,
  d: number,
  count: number,
  sets: number,
  size: number,
  rng: Rng,
): Float32Array[] {
  let order = rng.permutation(count);
  return Array.from({ length: sets }, () => {
    if (order.length < size) order = [...order, ...rng.permutation(count)];
    const rows = order.splice(0, size);
    const out = new Float32Array(size * d);
    rows.forEach((r, i) => out.set(acts.subarray(r * d, (r + 1) * d), i * d));
    return out;
  });
}

export function tcav(model: VisModel, args: TcavArgs): TcavResult {
  const started = performance.now();
  const runs = args.runs ?? TCAV_DEFAULTS.runs;
  if (!(Number.isInteger(runs) && runs >= 2))
    throw new DeepvisError(`TCAV needs at least 2 random runs for its t-test; got ${runs}`);
  const split = splitAt(model, args.layer, 'TCAV');
  if (split.head.units <= args.classIndex)
    throw new DeepvisError(
      `class ${args.classIndex} is not an output of '${split.head.name}' (${split.head.units} units)`,
    );
  if (args.concepts.length === 0) throw new DeepvisError('TCAV needs at least one concept folder');
  for (const c of [...args.concepts, args.random]) {
    if (c.count < TCAV_DEFAULTS.minImages)
      throw new DeepvisError(
        `concept folder '${c.name}' has ${c.count} image${c.count === 1 ? '' : 's'}; TCAV needs at least ${TCAV_DEFAULTS.minImages}`,
      );
  }
  if (args.inputs.count < 1)
    throw new DeepvisError(`class ${args.classIndex} has no images to test`);
  const progress = (phase: string, done: number, total: number) =>
    args.onProgress?.({ phase, done, total });
  const rng = new Rng(args.seed ?? 0);
  const d = split.size;
  const grads = gradients(model, split, args.inputs, args.classIndex);
  progress('gradients', 1, 1);
  const pool = layerValues(model, split.layer.name, args.random.images, args.random.count);
  const size = Math.max(...args.concepts.map((c) => c.count));
  const randoms = randomSets(
    pool,
    d,
    args.random.count,
    runs + 1,
    Math.min(size, args.random.count),
    rng,
  );
  // The null: random set i against random set 0, i = 1…R.
  // Every CAV in one batched fit: the null's R, then each concept's R.
  const seed = args.seed ?? 0;
  const problems: LinearProblem[] = randoms
    .slice(1)
    .map((r, i) => ({ pos: r, neg: randoms[0], seed: seed + 1000 + i }));
  for (const c of args.concepts) {
    const acts = layerValues(model, split.layer.name, c.images, c.count);
    randoms.slice(1).forEach((r, i) => problems.push({ pos: acts, neg: r, seed: seed + i }));
  }
  const allFits = fitLinearBatch(problems, d);
  progress('cavs', 1, 1);
  const randomScores = allFits.slice(0, runs).map((f) => score(grads, unitVector(f.w)).sign);
  const rankActs = args.rank
    ? layerValues(model, split.layer.name, args.rank.group.images, args.rank.group.count)
    : null;
  const table: TcavRow[] = [];
  const concepts: Concept[] = args.concepts.map((c, ci) => {
    const fits = allFits.slice((ci + 1) * runs, (ci + 2) * runs);
    const cavs = fits.map((f) => Float32Array.from(unitVector(f.w)));
    const s = cavs.map((v) => score(grads, v));
    const scores = s.map((x) => x.sign);
    const t = tTest(scores, randomScores);
    const row: TcavRow = {
      concept: c.name,
      scores,
      magnitudes: s.map((x) => x.magnitude),
      randomScores,
      mean: mean(scores),
      std: std(scores),
      randomMean: mean(randomScores),
      randomStd: std(randomScores),
      p: t.p,
      t: t.t,
      significant: t.p < TCAV_DEFAULTS.significance,
      cavAccuracy: mean(fits.map((f) => f.accuracy).filter(Number.isFinite)),
    };
    table.push(row);
    // The concept's direction: the mean CAV over the runs.
    const direction = unitVector(
      Array.from({ length: d }, (_, t2) => cavs.reduce((a, v) => a + v[t2], 0) / cavs.length),
    );
    const proj = rankActs
      ? Float32Array.from({ length: args.rank!.group.count }, (_, r) =>
          direction.reduce((a, v, t2) => a + v * rankActs[r * d + t2], 0),
        )
      : null;
    const pick = (sign: 1 | -1) =>
      proj
        ? topIndices(proj, TCAV_DEFAULTS.top, sign).map((r) => ({
            index: args.rank!.indices[r],
            value: proj[r],
          }))
        : [];
    progress('concepts', ci + 1, args.concepts.length);
    return {
      id: ci,
      name: c.name,
      layer: split.layer.name,
      direction,
      importance: row.mean,
      top: pick(1),
      bottom: pick(-1),
      numbers: {
        p: row.p,
        t: row.t,
        significant: row.significant,
        std: row.std,
        randomMean: row.randomMean,
        randomStd: row.randomStd,
        magnitude: mean(row.magnitudes),
        cavAccuracy: row.cavAccuracy,
        images: c.count,
      },
    };
  });
  return {
    method: 'tcav',
    layer: split.layer.name,
    classIndex: args.classIndex,
    className: model.labels?.[args.classIndex],
    params: {
      method: 'tcav',
      layer: split.layer.name,
      classIndex: args.classIndex,
      runs,
      seed: args.seed ?? 0,
      significance: TCAV_DEFAULTS.significance,
      classifier: 'logistic regression, L2 0.01, test split 0.33',
      randomPool: args.random.name,
      randomSetSize: Math.min(size, args.random.count),
    },
    concepts,
    table,
    metrics: {
      classImages: args.inputs.count,
      randomPool: args.random.count,
      randomMean: mean(randomScores),
      randomStd: std(randomScores),
    },
    seconds: (performance.now() - started) / 1000,
  };
}

export const tcavMethod = defineConcept({
  name: 'tcav',
  title: 'TCAV',
  paper: 'Kim et al. 2018',
  summary:
    'how much concept folders (sets of images) push a class up: CAVs against random sets, a t-test over the runs',
  needsClass: 'required',
  folders: true,
  options: {
    runs: {
      type: 'int',
      min: 2,
      help: 'random sets each concept is set against (its t-test has runs values a side)',
      default: TCAV_DEFAULTS.runs,
    },
    'class-images': {
      type: 'int',
      min: 1,
      help: "the class's images whose gradients are read (the first ones)",
      default: TCAV_DEFAULTS.classImages,
    },
  },
  run: (ctx) => {
    if (ctx.layer == null) throw new DeepvisError('tcav reads a layer: give --layer');
    const all = classImages(ctx.data, ctx.classIndex!, 1, 'TCAV').slice(
      0,
      ctx.options['class-images'],
    );
    const size = ctx.data.images.length / ctx.data.count;
    const pick = (idx: readonly number[]) => {
      const out = new Float32Array(idx.length * size);
      idx.forEach((src, i) =>
        out.set(ctx.data.images.subarray(src * size, (src + 1) * size), i * size),
      );
      return out;
    };
    // Random sets come from the folder given, else from the whole data set (every class, as random photographs would).
    const random = ctx.groups!.random ?? {
      name: ctx.data.name,
      images: ctx.data.images,
      count: ctx.data.count,
    };
    const rankIdx = Array.from(
      { length: Math.min(ctx.data.count, TCAV_DEFAULTS.rankImages) },
      (_, i) => i,
    );
    return tcav(ctx.model, {
      layer: ctx.layer,
      classIndex: ctx.classIndex!,
      inputs: { name: `class ${ctx.classIndex}`, images: pick(all), count: all.length },
      concepts: ctx.groups!.concepts,
      random,
      runs: ctx.options.runs,
      seed: ctx.seed,
      rank: {
        group: { name: ctx.data.name, images: pick(rankIdx), count: rankIdx.length },
        indices: rankIdx,
      },
      onProgress: ctx.onProgress,
    });
  },
});
