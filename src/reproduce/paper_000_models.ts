/**
 * The maximising-images paper's model families, all unsupervised and all 784–1000–500–300–50 (V1, V2, V4, IT) with
 * the 7×7 locally connected first layer:
 *  - SAE, greedy: a sparse autoencoder first (sparsity on layer 1 only), plain autoencoders above,
 *    then the stack fine-tuned end to end as a deep autoencoder with a smaller rate (§2, fig. 1);
 *  - DRBM: RBMs trained greedily by CD-1, binary units, no fine-tuning (§2, fig. 3A);
 *  - backprop: the same deep autoencoder trained end to end from a random start, reconstruction
 *    loss only (fig. 2's red line).
 * Each family is trained `count` times (seeds differ) and every model's per-layer specificity is
 * measured on the test digits (§3's 40% rule); the best model of a family is the one with the
 * largest mean fraction of specific (unimodal + bimodal) units over its layers, as figs. 2 and 5
 * show "best results". Only the best model of each family is kept, the others are disposed.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { specificity, type LayerSpecificity } from '../analysis/specificity.js';
import type { VisModel } from '../model/types.js';
import { trainStack, type StackArgs } from '../train/stack.js';
import { mean, visOf } from './figure_io.js';

export type Family = 'sae' | 'dbn' | 'backprop';

export interface FamilySizes {
  readonly layers: readonly number[];
  /** Greedy epochs per layer (SAE and DRBM). */
  readonly greedyEpochs: number;
  /** End-to-end deep-autoencoder epochs after the greedy stage (SAE). */
  readonly fineTuneEpochs: number;
  /** End-to-end epochs of the backprop twin, from a random start. */
  readonly backpropEpochs: number;
  /** Adam rate of the SAE's greedy layers (default the trainer's 1e-3; tiny quick runs need more). */
  readonly greedyLr?: number;
}

export interface TrainedModel {
  readonly family: Family;
  readonly seed: number;
  readonly layers: LayerSpecificity[];
  /** Mean over layers of the specific (unimodal + bimodal) fraction: what "best" ranks by. */
  readonly score: number;
  readonly seconds: number;
}

export interface FamilyResult {
  readonly models: TrainedModel[];
  readonly best: TrainedModel;
  /** The best model, kept for figs. 4 and 6 (caller disposes `tfModel`). */
  readonly vis: VisModel;
  readonly tfModel: tf.Sequential;
}

export const specificFraction = (l: LayerSpecificity) => l.fractions.unimodal + l.fractions.bimodal;

function stackArgs(family: Family, sizes: FamilySizes, seed: number): StackArgs {
  const common = { layers: sizes.layers, patch: 7, seed, finetuneEpochs: 0 } as const;
  if (family === 'dbn') return { ...common, kind: 'dbn', pretrainEpochs: sizes.greedyEpochs };
  if (family === 'sae') {
    return {
      ...common,
      kind: 'sae',
      pretrainEpochs: sizes.greedyEpochs,
      lr: sizes.greedyLr,
      autoencoderEpochs: sizes.fineTuneEpochs,
      sparsity: { target: 0.05, weight: 0.1 },
    };
  }
  return {
    ...common,
    kind: 'sae',
    pretrainEpochs: 0,
    backprop: 'unsupervised',
    autoencoderEpochs: sizes.backpropEpochs,
  };
}

export async function trainFamily(
  family: Family,
  count: number,
  sizes: FamilySizes,
  train: ImageSet,
  test: ImageSet,
  seed0: number,
  log: (s: string) => void,
): Promise<FamilyResult> {
  const models: TrainedModel[] = [];
  let keep: { vis: VisModel; tfModel: tf.Sequential; score: number } | null = null;
  // The stacks never see a label: they are trained on the images alone.
  const unlabelled: ImageSet = { ...train, labels: null };
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const seed = seed0 * 1000 + i + 1;
    const r = await trainStack(unlabelled, test, stackArgs(family, sizes, seed));
    const vis = visOf(r.model, r.metadata);
    const layers = sizes.layers.map((_, l) => specificity(vis, test, `h${l + 1}`));
    const score = mean(layers.map(specificFraction));
    const m: TrainedModel = {
      family,
      seed,
      layers,
      score,
      seconds: (performance.now() - t0) / 1000,
    };
    models.push(m);
    log(
      `${family} #${i + 1}: specific ${layers.map((l) => (100 * specificFraction(l)).toFixed(0) + '%').join(' ')} (${m.seconds.toFixed(0)} s)`,
    );
    if (!keep || score > keep.score) {
      keep?.tfModel.dispose();
      keep = { vis, tfModel: r.model, score };
    } else {
      r.model.dispose();
    }
  }
  const best = models.reduce((a, b) => (b.score > a.score ? b : a));
  return { models, best, vis: keep!.vis, tfModel: keep!.tfModel };
}
