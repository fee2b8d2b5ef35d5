/**
 * Sparse dictionaries on a layer's activations, as Overcomplete trains them: a TopK sparse
 * autoencoder (Gao et al. 2024, "Scaling and evaluating sparse autoencoders": z = TopK(ReLU(E(x −
 * b) + c)), x̂ = D z + b, decoder atoms kept unit-length) and a BatchTopK one (Bussmann et al. 2024:
 * the k·B largest codes of the whole batch are kept; at inference a threshold, the running mean of
 * the smallest kept code). Every position of a map is one vector (as DFF). Overcomplete's metrics:
 * R² of the reconstruction, dead codes (never active on the data), L0 (active codes per vector) and
 * dictionary stability, the cosine-Hungarian match of two seeds' dictionaries (hungarian.ts;
 * Fel et al. 2025, "Archetypal SAE"). The relaxed Archetypal dictionary of that paper
 * (archetypal.ts) trains in the same loop, its atoms tied to the convex hull of the data.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { topIndices, type Concept, type ConceptSet } from './concept.js';
import {
  ARCHETYPAL_DEFAULTS,
  archetypalDictionary,
  type ArchetypalArgs,
  type DictionaryParams,
} from './archetypal.js';
import { cosineHungarian } from './hungarian.js';
import { defineConcept } from './method.js';
import { defaultConceptLayer, layerValues } from './split.js';

export const SAE_DEFAULTS = {
  expansion: 2,
  k: 8,
  steps: 1500,
  batch: 256,
  lr: 3e-3,
  vectors: 20000,
  top: 9,
} as const;

export type SaeKind = 'topk' | 'batchtopk' | 'archetypal';

export interface SaeArgs extends ArchetypalArgs {
  readonly kind?: SaeKind;
  /** Atoms; default expansion × the width. */
  readonly atoms?: number;
  /** Active codes per vector; default 8. */
  readonly k?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly seed?: number;
}

export interface Sae {
  readonly kind: SaeKind;
  readonly atoms: number;
  readonly c: number;
  readonly k: number;
  /** Decoder atoms [atoms, c], unit rows. */
  readonly dictionary: Float32Array;
  /** Encoder [c, atoms] and its bias [atoms], the decoder's bias [c]. */
  readonly encoder: Float32Array;
  readonly encoderBias: Float32Array;
  readonly decoderBias: Float32Array;
  /** BatchTopK's inference threshold, in the inputs' units (TopK: null). */
  readonly threshold: number | null;
  /** The inputs' RMS about their mean: the encoder reads x / scale. */
  readonly scale: number;
  /** Archetypal: each atom's length before it was made unit (codes are multiplied by it). */
  readonly codeScale?: Float32Array;
  /** Archetypal: candidates, delta, the multiplier and the relaxation's mean share of an atom. */
  readonly facts?: Record<string, number>;
}

/** Codes of rows x [n, c] (tensors; caller disposes). */
function encode(
  x: tf.Tensor2D,
  e: tf.Tensor2D,
  be: tf.Tensor1D,
  bd: tf.Tensor1D,
  kind: 'topk' | 'batchtopk',
  k: number,
  threshold: number | null,
): tf.Tensor2D {
  return tf.tidy(() => {
    const pre = tf.relu(x.sub(bd).matMul(e).add(be)) as tf.Tensor2D;
    if (kind === 'batchtopk' && threshold != null)
      return pre.mul(pre.greaterEqual(threshold).cast('float32')) as tf.Tensor2D;
    if (kind === 'batchtopk') {
      const flat = pre.reshape([-1]);
      const kth = tf.topk(flat, Math.min(flat.size, k * x.shape[0])).values.min();
      return pre.mul(pre.greaterEqual(kth).cast('float32')) as tf.Tensor2D;
    }
    const kth = tf.topk(pre, k).values.slice([0, k - 1], [-1, 1]);
    return pre.mul(pre.greaterEqual(kth).cast('float32')) as tf.Tensor2D;
  });
}

/** TopK's and BatchTopK's dictionary: free atoms, put back to unit length after each step. */
function unitDictionary(d0: Float32Array, atoms: number, c: number): DictionaryParams {
  const dict = tf.tidy(() => tf.variable(tf.tensor2d(d0, [atoms, c])));
  return {
    variables: [dict],
    dictionary: () => dict as unknown as tf.Tensor2D,
    project: () => tf.tidy(() => dict.assign(dict.div(dict.norm('euclidean', 1, true).add(1e-8)))),
    facts: () => ({}),
    dispose: () => dict.dispose(),
  };
}

/** Trains one dictionary on rows [n, c]. */
export function trainSae(values: Float32Array, n: number, c: number, args: SaeArgs = {}): Sae {
  const kind = args.kind ?? 'topk';
  const atoms = args.atoms ?? SAE_DEFAULTS.expansion * c;
  const k = args.k ?? SAE_DEFAULTS.k;
  const steps = args.steps ?? SAE_DEFAULTS.steps;
  const batch = Math.min(args.batch ?? SAE_DEFAULTS.batch, n);
  if (!(Number.isInteger(k) && k >= 1 && k <= atoms))
    throw new DeepvisError(`SAE: k must be between 1 and the ${atoms} atoms; got ${k}`);
  const rng = new Rng(args.seed ?? 0);
  // Features scaled by one number (their RMS about the mean), so one learning rate serves every layer.
  const mean = new Float32Array(c);
  for (let i = 0; i < n * c; i++) mean[i % c] += values[i] / n;
  let ss = 0;
  for (let i = 0; i < n * c; i++) ss += (values[i] - mean[i % c]) ** 2;
  const scale = Math.sqrt(ss / (n * c)) || 1;
  const archetypal = kind === 'archetypal';
  const all = tf.tidy(() => tf.tensor2d(values, [n, c]).div(scale)) as tf.Tensor2D;
  let params: DictionaryParams;
  let d0: Float32Array;
  if (archetypal) {
    const a = archetypalDictionary(all.dataSync() as Float32Array, n, c, atoms, rng, args);
    params = a;
    const unit0 = tf.tidy(() => {
      const d = a.dictionary();
      return d.div(d.norm('euclidean', 1, true).add(1e-8));
    });
    d0 = unit0.dataSync() as Float32Array;
    unit0.dispose();
  } else {
    d0 = Float32Array.from({ length: atoms * c }, () => rng.normal());
    for (let a = 0; a < atoms; a++) {
      const norm = Math.hypot(...d0.subarray(a * c, (a + 1) * c)) || 1;
      for (let t = 0; t < c; t++) d0[a * c + t] /= norm;
    }
    params = unitDictionary(d0, atoms, c);
  }
  const enc = tf.tidy(() => tf.variable(tf.tensor2d(d0, [atoms, c]).transpose()));
  const be = tf.tidy(() => tf.variable(tf.zeros([atoms])));
  // The archetypal dictionary has no decoder bias: its atoms are points of the data, not offsets from a mean.
  const bd = tf.tidy(() =>
    tf.variable(archetypal ? tf.zeros([c]) : tf.tensor1d(mean).div(scale), !archetypal),
  );
  const opt = tf.train.adam(args.lr ?? SAE_DEFAULTS.lr);
  const trained = [...params.variables, enc, be, ...(archetypal ? [] : [bd])];
  const encodeKind = kind === 'batchtopk' ? 'batchtopk' : 'topk';
  let threshold = 0;
  let seen = 0;
  try {
    for (let s = 0; s < steps; s++) {
      const rows = Int32Array.from({ length: batch }, () => rng.int(n));
      const x = tf.tidy(() => tf.gather(all, tf.tensor1d(rows, 'int32'))) as tf.Tensor2D;
      // Which codes survive the sparsity is chosen without a gradient (TopK has none), then held fixed.
      const [mask, kept] = tf.tidy(() => {
        const z = encode(
          x,
          enc as unknown as tf.Tensor2D,
          be as unknown as tf.Tensor1D,
          bd as unknown as tf.Tensor1D,
          encodeKind,
          k,
          null,
        );
        return [
          z.greater(0).cast('float32'),
          kind === 'batchtopk' ? z.where(z.greater(0), tf.fill(z.shape, Infinity)).min() : null,
        ];
      });
      opt.minimize(
        () => {
          const z = tf.relu(x.sub(bd).matMul(enc).add(be)).mul(mask);
          return z.matMul(params.dictionary()).add(bd).sub(x).square().sum(1).mean() as tf.Scalar;
        },
        false,
        trained,
      );
      mask.dispose();
      params.project();
      if (kept) {
        const v = kept.dataSync()[0];
        kept.dispose();
        if (Number.isFinite(v)) threshold += (v - threshold) / ++seen;
      }
      x.dispose();
    }
    // Atoms as unit rows; an archetypal atom's length goes into its code (code × unit atom reconstructs).
    const [unit, norms] = tf.tidy(() => {
      const d = params.dictionary();
      const norm = d.norm('euclidean', 1, true).add(1e-8);
      return [d.div(norm), norm.reshape([atoms])];
    });
    const bdv = Float32Array.from(bd.dataSync(), (v) => v * scale);
    const out: Sae = {
      kind,
      atoms,
      c,
      k,
      dictionary: Float32Array.from(unit.dataSync()),
      encoder: Float32Array.from(enc.dataSync()),
      encoderBias: Float32Array.from(be.dataSync()),
      decoderBias: bdv,
      threshold: kind === 'batchtopk' ? threshold * scale : null,
      scale,
      ...(archetypal
        ? { codeScale: Float32Array.from(norms.dataSync()), facts: params.facts() }
        : {}),
    };
    tf.dispose([unit, norms]);
    return out;
  } finally {
    params.dispose();
    tf.dispose([enc, be, bd, all]);
    opt.dispose();
  }
}

/** Codes [n, atoms] of rows [n, c] in the inputs' units (a code × its unit atom reconstructs). */
export function saeCodes(sae: Sae, values: Float32Array, n: number): Float32Array {
  const scale = sae.scale;
  const out = new Float32Array(n * sae.atoms);
  for (let from = 0; from < n; from += 4096) {
    const m = Math.min(4096, n - from);
    const z = tf.tidy(() => {
      const x = tf
        .tensor2d(values.subarray(from * sae.c, (from + m) * sae.c), [m, sae.c])
        .div(scale) as tf.Tensor2D;
      const e = tf.tensor2d(sae.encoder, [sae.c, sae.atoms]);
      const z = encode(
        x,
        e,
        tf.tensor1d(sae.encoderBias),
        tf.tensor1d(sae.decoderBias).div(scale) as tf.Tensor1D,
        sae.kind === 'batchtopk' ? 'batchtopk' : 'topk',
        sae.k,
        sae.threshold == null ? null : sae.threshold / scale,
      ).mul(scale);
      return sae.codeScale ? z.mul(tf.tensor1d(sae.codeScale)) : z;
    });
    out.set(z.dataSync(), from * sae.atoms);
    z.dispose();
  }
  return out;
}

/** Overcomplete's metrics of a dictionary on rows [n, c]: R², dead codes (share), L0. */
export function saeMetrics(
  sae: Sae,
  values: Float32Array,
  n: number,
): { r2: number; dead: number; l0: number } {
  const z = saeCodes(sae, values, n);
  const c = sae.c;
  const mean = new Float64Array(c);
  for (let i = 0; i < n * c; i++) mean[i % c] += values[i] / n;
  let err = 0;
  let tot = 0;
  let active = 0;
  const alive = new Uint8Array(sae.atoms);
  for (let r = 0; r < n; r++) {
    const rec = Float64Array.from(sae.decoderBias);
    for (let a = 0; a < sae.atoms; a++) {
      const v = z[r * sae.atoms + a];
      if (v === 0) continue;
      active++;
      alive[a] = 1;
      for (let t = 0; t < c; t++) rec[t] += v * sae.dictionary[a * c + t];
    }
    for (let t = 0; t < c; t++) {
      err += (values[r * c + t] - rec[t]) ** 2;
      tot += (values[r * c + t] - mean[t]) ** 2;
    }
  }
  return {
    r2: 1 - err / Math.max(tot, 1e-30),
    dead: 1 - alive.reduce((s, v) => s + v, 0) / sae.atoms,
    l0: active / n,
  };
}

/** Rows of the strongest (sign 1) or most negative (−1) position of each image, then the best images: one example per image. */
function bestPerImage(values: Float32Array, positions: number, sign: 1 | -1): number[] {
  const images = values.length / positions;
  const best = Array.from({ length: images }, (_, i) => {
    let q0 = i * positions;
    for (let q = q0 + 1; q < (i + 1) * positions; q++)
      if (sign * values[q] > sign * values[q0]) q0 = q;
    return q0;
  });
  const order = topIndices(
    Float32Array.from(best, (r) => values[r]),
    SAE_DEFAULTS.top,
    sign,
  );
  return order.map((i) => best[i]);
}

export interface SaeRunArgs extends SaeArgs {
  readonly layer?: string;
  /** Activation vectors trained on at most (positions of the first images); default 20,000. */
  readonly vectors?: number;
}

/** A layer's dictionary (two seeds, for stability) with each atom's top and most negative examples. */
export function sae(
  model: import('../model/types.js').VisModel,
  data: ImageSet,
  args: SaeRunArgs = {},
): ConceptSet {
  const started = performance.now();
  const layer = args.layer ? model.layer(args.layer) : defaultConceptLayer(model, 'SAE');
  const c = layer.units;
  const positions =
    layer.outputShape.length === 3 ? layer.outputShape[0] * layer.outputShape[1] : 1;
  const images = Math.max(
    1,
    Math.min(data.count, Math.ceil((args.vectors ?? SAE_DEFAULTS.vectors) / positions)),
  );
  const size = data.images.length / data.count;
  const values = layerValues(model, layer.name, data.images.subarray(0, images * size), images);
  const n = images * positions;
  const seed = args.seed ?? 0;
  const kind = args.kind ?? 'topk';
  const first = trainSae(values, n, c, { ...args, seed });
  const second = trainSae(values, n, c, { ...args, seed: seed + 1 });
  const stability = cosineHungarian(first.dictionary, second.dictionary, c).mean;
  const m = saeMetrics(first, values, n);
  const z = saeCodes(first, values, n);
  // Pre-codes (before the sparsity) for the most negative examples: the projection on the encoder's direction.
  const w = layer.outputShape.length === 3 ? layer.outputShape[1] : 1;
  const example = (r: number, v: number) => ({
    index: Math.floor(r / positions),
    value: v,
    ...(positions > 1
      ? { at: [Math.floor((r % positions) / w), (r % positions) % w] as const }
      : {}),
  });
  const concepts: Concept[] = Array.from({ length: first.atoms }, (_, a) => {
    const col = Float32Array.from({ length: n }, (_, r) => z[r * first.atoms + a]);
    // The encoder reads inputs over their RMS (trainSae); an archetypal atom's code carries its length.
    const pre = Float32Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let t = 0; t < c; t++)
        s += (values[r * c + t] - first.decoderBias[t]) * first.encoder[t * first.atoms + a];
      return (s / first.scale + first.encoderBias[a]) * first.scale * (first.codeScale?.[a] ?? 1);
    });
    const freq = col.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / n;
    return {
      id: a,
      layer: layer.name,
      direction: Array.from(first.dictionary.subarray(a * c, (a + 1) * c)),
      top: freq > 0 ? bestPerImage(col, positions, 1).map((r) => example(r, col[r])) : [],
      bottom: bestPerImage(pre, positions, -1).map((r) => example(r, pre[r])),
      numbers: { frequency: freq, dead: freq === 0 },
    };
  });
  return {
    method: kind === 'topk' ? 'sae' : `sae-${kind}`,
    layer: layer.name,
    concepts,
    params: {
      method: 'sae',
      kind,
      layer: layer.name,
      atoms: first.atoms,
      k: first.k,
      steps: args.steps ?? SAE_DEFAULTS.steps,
      batch: args.batch ?? SAE_DEFAULTS.batch,
      lr: args.lr ?? SAE_DEFAULTS.lr,
      seed,
      vectors: n,
      ...(kind === 'archetypal'
        ? { candidates: first.facts?.candidates, delta: first.facts?.delta }
        : {}),
    },
    metrics: {
      r2: m.r2,
      deadShare: m.dead,
      l0: m.l0,
      stability,
      vectors: n,
      threshold: first.threshold,
      ...(first.facts
        ? {
            multiplier: first.facts.multiplier,
            relaxationShare: first.facts.relaxationShare,
          }
        : {}),
    },
    seconds: (performance.now() - started) / 1000,
  };
}

export const saeMethod = defineConcept({
  name: 'sae',
  title: 'sparse autoencoder',
  paper: 'Gao et al. 2024; Bussmann et al. 2024; Fel et al. 2025',
  summary:
    "a TopK, BatchTopK or (relaxed) Archetypal sparse dictionary of a layer's activations, with R², dead codes, L0 and two-seed stability",
  needsClass: 'optional',
  options: {
    k: {
      type: 'int',
      min: 1,
      help: 'concepts (default: craft 20, dff 5); sae: active codes per vector (default 8)',
    },
    kind: {
      type: 'string',
      help: 'sae: TopK, BatchTopK, or Archetypal (atoms in the convex hull of k-means centroids of the data, relaxed by --delta)',
      choices: ['topk', 'batchtopk', 'archetypal'],
      default: 'topk',
    },
    candidates: {
      type: 'int',
      min: 1,
      help: 'sae archetypal: k-means centroids the atoms are convex combinations of (default 8 per atom, at most 2048)',
    },
    delta: {
      type: 'number',
      min: 0,
      help: "sae archetypal: bound on each atom's relaxation, in units of the activations' RMS",
      default: ARCHETYPAL_DEFAULTS.delta,
    },
    atoms: { type: 'int', min: 1, help: 'sae: dictionary size (default twice the layer width)' },
    steps: { type: 'int', min: 1, help: 'sae: training steps', default: SAE_DEFAULTS.steps },
  },
  run: (ctx) =>
    sae(ctx.model, ctx.data, {
      layer: ctx.layer,
      k: ctx.options.k,
      kind: ctx.options.kind,
      atoms: ctx.options.atoms,
      steps: ctx.options.steps,
      candidates: ctx.options.candidates,
      delta: ctx.options.delta,
      seed: ctx.seed,
    }),
});
