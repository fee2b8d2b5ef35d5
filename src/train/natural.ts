/**
 * Erhan et al. 2009's natural-image models (Erhan et al. 2009 §6: "for both SDAE and DBN we used a Gaussian
 * input layer when modeling natural images"; the SDAE with salt-and-pepper noise): a Gaussian RBM
 * and a Gaussian-input denoising autoencoder on whitened patches (data/natural_patches.ts), with
 * the settings that give localized oriented (Gabor-like) first-layer filters here in about two
 * minutes on 2 cores. The paper chose its own by reconstruction error and does not state them.
 * Measured on 100,000 12×12 patches of the skimage photographs (seed 0; Gabor-like by
 * analysis/orientation.ts): the SDAE after 8 epochs 83% (edges and bars, by eye nearly all); the
 * RBM after 10 epochs 12% (low-frequency blobs and textures, as Erhan et al. 2009 fn. 9 reports for its
 * DBN), after 30 epochs 53% (localized edges appear). An epoch takes ≈ 2.5 s (RBM), 3.5 s (SDAE) on 2 idle cores
 * (RBM 30 epochs ≈ 75 s, SDAE 8 epochs ≈ 30 s), 10× that on a machine loaded 10 deep.
 */
import type { ImageSet } from '../data/dataset.js';
import type { NaturalPatches } from '../data/natural_patches.js';
import type { StackArgs } from './stack.js';

export type NaturalModel = 'grbm' | 'gsdae';

/**
 * Per model: hidden units, pre-training epochs over the patches, step, L2 decay, sparsity
 * (RBM: hidden-bias pull; SDAE: KL penalty), initial weight scale, batch, and the patches' rms.
 * The Gaussian RBM's visibles have unit variance, so its patches have rms 1. The SDAE ties its
 * decoder to its encoder: W·x must stay in the sigmoid's range while Wᵀh rebuilds x, which fits
 * when patch values are about ±1, so its patches are scaled to rms 1/3.
 */
export const NATURAL_DEFAULTS = {
  grbm: {
    hidden: 100,
    epochs: 30,
    lr: 0.01,
    weightDecay: 1e-3,
    sparsity: { target: 0.05, weight: 3 },
    initStd: 0.01,
    batchSize: 100,
    rms: 1,
  },
  gsdae: {
    hidden: 100,
    epochs: 8,
    lr: 0.005,
    weightDecay: 3e-3,
    sparsity: { target: 0.05, weight: 3 },
    initStd: 0.1,
    batchSize: 100,
    rms: 1 / 3,
    optimizer: 'adam' as const,
    noise: { kind: 'salt-pepper' as const, level: 0.25 },
  },
} as const;

export interface NaturalOverrides {
  readonly hidden?: number;
  readonly layers?: readonly number[];
  readonly epochs?: number;
  readonly lr?: number;
  readonly weightDecay?: number;
  readonly sparsity?: { readonly target: number; readonly weight: number };
  readonly optimizer?: 'adam' | 'sgd';
  readonly noise?: StackArgs['noise'];
  readonly seed?: number;
}

/** The patches as an unlabelled ImageSet [N, size, size, 1], scaled to `rms` (patches are unit-rms). */
export function patchSet(p: NaturalPatches, rms = 1): ImageSet {
  const images = rms === 1 ? p.patches : p.patches.map((v) => v * rms);
  return {
    name: `patches:${p.size}`,
    images,
    labels: null,
    shape: [p.size, p.size, 1],
    count: p.count,
    classNames: null,
  };
}

/** Value range of a set, for the model's metadata (whitened patches are not in [0, 1]). */
export function valueRange(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** StackArgs for `model` on a set of patches scaled by NATURAL_DEFAULTS[model].rms; overrides win. */
export function naturalStackArgs(
  model: NaturalModel,
  set: ImageSet,
  o: NaturalOverrides = {},
): StackArgs {
  const d = NATURAL_DEFAULTS[model];
  const common = {
    layers: o.layers ?? [o.hidden ?? d.hidden],
    pretrainEpochs: o.epochs ?? d.epochs,
    finetuneEpochs: 0,
    lr: o.lr ?? d.lr,
    weightDecay: o.weightDecay ?? d.weightDecay,
    sparsity: o.sparsity ?? d.sparsity,
    initStd: d.initStd,
    batchSize: d.batchSize,
    visible: 'gaussian' as const,
    seed: o.seed ?? 0,
    inputRange: valueRange(set.images),
  };
  if (model === 'grbm') return { kind: 'dbn', ...common };
  const g = NATURAL_DEFAULTS.gsdae;
  // Salt and pepper for real values: the two levels at ±2 rms, as 0 and 1 are for [0, 1] pixels.
  const values = [-2 * g.rms, 2 * g.rms] as const;
  const given = o.noise;
  const noise = given
    ? given.kind.startsWith('salt') && !given.values
      ? { ...given, values }
      : given
    : { ...g.noise, values };
  return { kind: 'sae', ...common, optimizer: o.optimizer ?? g.optimizer, noise };
}
