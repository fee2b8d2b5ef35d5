/**
 * Deep stacks of the source papers: a DBN (RBMs trained greedily, Erhan et al. 2009 §2.1) or a stacked (denoising,
 * sparse) autoencoder (the maximising-images paper §2, Erhan et al. 2009 §2.2), turned into one tfjs LayersModel —
 * flatten → dense sigmoid layers h1…hL [→ logits → softmax] — so every visualization method sees it
 * through the same adapter as any other model. What the feed-forward net does not hold (the RBMs'
 * visible biases, used for sampling; the first layer's connectivity) goes into deepvis metadata.
 * The same architecture can be trained by plain backpropagation from a random start, for the
 * comparison of the maximising-images paper, Figure 2: as that paper's deep autoencoder, unsupervised (reconstruction
 * loss only, `backprop: 'unsupervised'`), or as a classifier with labels (`'supervised'`).
 * The sparsity penalty applies to the first layer only: the maximising-images paper §2 trains a *sparse* autoencoder
 * 784–1000–784 first and plain autoencoders above it.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { trainRbm, transform, disposeRbm, type VisibleUnits } from './rbm.js';
import { trainAeLayer, encodeAll, type AeOptimizer, type Corruption } from './autoencoder.js';
import { DeepvisError } from '../errors.js';
import { fitClassifier, type EpochMetrics } from './fit.js';
import { patchMask } from './mask.js';
import { fineTuneDeepAutoencoder, randomEncoder } from './deep_autoencoder.js';
import type { DeepvisMetadata } from '../model/types.js';

export type StackKind = 'dbn' | 'sae';

/**
 * Default hidden sizes. Erhan et al. 2009 §2.1 stacks *three* RBMs; it tunes the sizes on validation error and
 * does not state them (its figures show 36 / 144 units per layer), so the DBN gets three layers of
 * 500 (Hinton et al. 2006's first two widths) to fit 2 cores. The autoencoder keeps the maximising-images paper's
 * 1000-500-300-50; a lone RBM has 500 units.
 */
export const DEFAULT_LAYERS = {
  rbm: [500],
  dbn: [500, 500, 500],
  sae: [1000, 500, 300, 50],
} as const;

export interface StackArgs {
  readonly kind: StackKind;
  readonly layers: readonly number[];
  /** Greedy pre-training epochs per layer; 0 = plain backpropagation from a random start. */
  readonly pretrainEpochs: number;
  /**
   * With pretrainEpochs 0: 'supervised' (default) trains the classifier with labels;
   * 'unsupervised' (SAE only) trains the deep autoencoder end to end from a random start,
   * reconstruction loss only, for `autoencoderEpochs`.
   */
  readonly backprop?: 'supervised' | 'unsupervised';
  /** SAE only: end-to-end epochs of the stack as one deep autoencoder (default 0). */
  readonly autoencoderEpochs?: number;
  /** Adam rate of those epochs; default 1e-4 after greedy pre-training, 3e-3 from a random start. */
  readonly autoencoderLr?: number;
  /** Supervised fine-tuning epochs (softmax classifier on top); 0 = no classifier. */
  readonly finetuneEpochs: number;
  readonly finetuneLr?: number;
  /** Random-shift augmentation (pixels) during fine-tuning; default 0. */
  readonly shift?: number;
  /** Pre-training learning rate (RBM CD step, or the autoencoders' optimizer step). */
  readonly lr?: number;
  /** SAE layers: 'adam' (default) or Erhan et al. 2009's plain 'sgd'. RBMs always take CD steps with momentum. */
  readonly optimizer?: AeOptimizer;
  /** L2 weight decay of pre-training (RBM default 2e-4, autoencoder 0). */
  readonly weightDecay?: number;
  /** Value range of the data, into the metadata; default [0, 1] (whitened patches are not). */
  readonly inputRange?: readonly [number, number];
  readonly noise?: Corruption;
  readonly visible?: VisibleUnits;
  /**
   * Sparsity of the first layer: the SAE's KL penalty (the maximising-images paper: the sparse 784–1000–784
   * autoencoder); the first RBM's hidden-bias pull (Lee et al. 2008).
   */
  readonly sparsity?: { readonly target: number; readonly weight: number };
  /** Standard deviation of the initial weights of pre-training (default 0.01). */
  readonly initStd?: number;
  /** Mini-batch size of pre-training (default 64). */
  readonly batchSize?: number;
  /** Every first-layer unit sees only a size×size square of the input (the maximising-images paper: 7). */
  readonly patch?: number;
  readonly seed?: number;
  readonly onLayerEpoch?: (e: {
    layer: number;
    epoch: number;
    value: number;
    seconds: number;
  }) => void;
  readonly onFinetuneEpoch?: (e: EpochMetrics) => void;
  readonly onAutoencoderEpoch?: (e: { epoch: number; loss: number; seconds: number }) => void;
  readonly onFinetuneBatch?: (b: {
    epoch: number;
    batch: number;
    batches: number;
    loss: number;
  }) => void;
}

export interface StackResult {
  model: tf.Sequential;
  /**
   * The unsupervised stack as it was before supervised fine-tuning (null when there was none):
   * fine-tuning moves the weights away from the RBMs' generative model — clamped sampling must use
   * these — and the first-layer filters the source papers show are those of the unsupervised model.
   */
  pretrained: tf.Sequential | null;
  pretrainedMetadata: DeepvisMetadata | null;
  metadata: DeepvisMetadata;
  pretrain: number[][];
  /** Reconstruction loss per epoch of the end-to-end deep-autoencoder fine-tuning (SAE). */
  autoencoder: number[];
  finetune: EpochMetrics[];
}

interface LayerWeights {
  W: tf.Tensor2D;
  b: tf.Tensor1D;
  visibleBias: Float32Array | null;
}

function pretrain(
  data: Float32Array,
  nv: number,
  args: StackArgs,
  mask: Float32Array | null,
): { weights: LayerWeights[]; history: number[][] } {
  const weights: LayerWeights[] = [];
  const history: number[][] = [];
  let input = data;
  let width = nv;
  args.layers.forEach((hidden, i) => {
    const seed = (args.seed ?? 0) * 31 + i;
    const onEpoch = (epoch: number, value: number, seconds: number) =>
      args.onLayerEpoch?.({ layer: i + 1, epoch, value, seconds });
    const layerMask = i === 0 ? (mask ?? undefined) : undefined;
    if (args.kind === 'dbn') {
      const { rbm, errors } = trainRbm(input, width, {
        hidden,
        epochs: args.pretrainEpochs,
        lr: args.lr,
        seed,
        mask: layerMask,
        weightDecay: args.weightDecay,
        sparsity: i === 0 ? args.sparsity : undefined,
        initStd: args.initStd,
        batchSize: args.batchSize,
        visible: i === 0 ? (args.visible ?? 'binary') : 'binary',
        onEpoch: (e) => onEpoch(e.epoch, e.reconstructionError, e.seconds),
      });
      const next = transform(rbm, input, width);
      weights.push({
        W: tf.keep(rbm.W.clone() as tf.Tensor2D),
        b: tf.keep(rbm.hiddenBias.clone() as tf.Tensor1D),
        visibleBias: rbm.visibleBias.dataSync() as Float32Array,
      });
      history.push(errors);
      disposeRbm(rbm);
      input = next;
    } else {
      const { layer, losses } = trainAeLayer(input, width, {
        hidden,
        epochs: args.pretrainEpochs,
        lr: args.lr,
        seed,
        mask: layerMask,
        noise: args.noise,
        sparsity: i === 0 ? args.sparsity : undefined,
        optimizer: args.optimizer,
        weightDecay: args.weightDecay,
        initStd: args.initStd,
        batchSize: args.batchSize,
        visible: i === 0 ? (args.visible ?? 'binary') : 'binary',
        onEpoch: (e) => onEpoch(e.epoch, e.loss, e.seconds),
      });
      const next = encodeAll(layer, input, width);
      weights.push({
        W: tf.keep(layer.W.clone() as tf.Tensor2D),
        b: tf.keep(layer.hiddenBias.clone() as tf.Tensor1D),
        visibleBias: layer.visibleBias.dataSync() as Float32Array,
      });
      history.push(losses);
      tf.dispose([layer.W, layer.hiddenBias, layer.visibleBias]);
      input = next;
    }
    width = hidden;
  });
  return { weights, history };
}

export function buildStackModel(
  shape: readonly [number, number, number],
  layers: readonly number[],
  classes: number | null,
  weights: LayerWeights[] | null,
  seed = 0,
): tf.Sequential {
  const m = tf.sequential({ name: 'deepvis_stack' });
  m.add(tf.layers.flatten({ name: 'flatten', inputShape: [...shape] }));
  layers.forEach((units, i) => {
    m.add(
      tf.layers.dense({
        name: `h${i + 1}`,
        units,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + i }),
        weights: weights ? [weights[i].W, weights[i].b] : undefined,
      }),
    );
  });
  if (classes != null) {
    m.add(
      tf.layers.dense({
        name: 'logits',
        units: classes,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 99 }),
      }),
    );
    m.add(tf.layers.activation({ name: 'softmax', activation: 'softmax' }));
  }
  return m;
}

export async function trainStack(
  train: ImageSet,
  test: ImageSet,
  args: StackArgs,
): Promise<StackResult> {
  const nv = train.shape[0] * train.shape[1] * train.shape[2];
  if (args.visible === 'gaussian' && (args.autoencoderEpochs ?? 0) > 0) {
    throw new DeepvisError(
      'deep-autoencoder fine-tuning (--ae-epochs) reconstructs [0, 1] inputs; it is not available with Gaussian visibles',
    );
  }
  const patch = args.patch
    ? patchMask(train.shape, args.layers[0], args.patch, args.seed ?? 0)
    : null;
  const unsupervised = args.pretrainEpochs === 0 && args.backprop === 'unsupervised';
  if (unsupervised && (args.kind !== 'sae' || !((args.autoencoderEpochs ?? 0) > 0))) {
    throw new DeepvisError(
      'unsupervised backpropagation trains the deep autoencoder (sae/dae) and needs autoencoder epochs ≥ 1',
    );
  }
  const { weights, history } =
    args.pretrainEpochs > 0
      ? pretrain(train.images, nv, args, patch?.mask ?? null)
      : {
          weights: unsupervised
            ? randomEncoder(nv, args.layers, args.seed ?? 0, patch?.mask)
            : null,
          history: [],
        };
  let autoencoder: number[] = [];
  if (weights && args.kind === 'sae' && (args.autoencoderEpochs ?? 0) > 0) {
    autoencoder = fineTuneDeepAutoencoder(weights, train.images, nv, {
      epochs: args.autoencoderEpochs!,
      lr: args.autoencoderLr ?? (unsupervised ? 3e-3 : 1e-4),
      mask: patch?.mask,
      seed: args.seed,
      onEpoch: args.onAutoencoderEpoch,
    });
  }
  const classes = args.finetuneEpochs > 0 ? (train.classNames?.length ?? 10) : null;
  const model = buildStackModel(train.shape, args.layers, classes, weights, args.seed ?? 0);
  const pretrained =
    weights && classes != null
      ? buildStackModel(train.shape, args.layers, null, weights, args.seed ?? 0)
      : null;
  const maskTensor = patch ? tf.keep(tf.tensor2d(patch.mask, [nv, args.layers[0]])) : null;
  const applyMask = () => {
    if (!maskTensor) return;
    const kernel = model.getLayer('h1').getWeights()[0];
    const masked = tf.tidy(() => kernel.mul(maskTensor));
    const bias = model.getLayer('h1').getWeights()[1];
    model.getLayer('h1').setWeights([masked, bias]);
    masked.dispose();
  };
  applyMask();
  let finetune: EpochMetrics[] = [];
  if (classes != null) {
    finetune = await fitClassifier(model, train, test, classes, {
      epochs: args.finetuneEpochs,
      learningRate: args.finetuneLr ?? 1e-3,
      seed: args.seed,
      shift: args.shift ?? 0,
      onEpoch: args.onFinetuneEpoch,
      onBatch: args.onFinetuneBatch,
      afterBatch: applyMask,
    });
  }
  maskTensor?.dispose();
  const metadata: DeepvisMetadata = {
    arch:
      args.kind +
      (args.pretrainEpochs > 0 ? '' : unsupervised ? '-backprop-unsupervised' : '-backprop'),
    inputRange: [...(args.inputRange ?? [0, 1])] as [number, number],
    channelOrder: 'gray',
    imageShape: [...train.shape] as [number, number, number],
    labels: classes != null ? (train.classNames ?? undefined) : undefined,
    logitsLayer: classes != null ? 'logits' : undefined,
    stack: {
      kind: args.kind,
      layers: [...args.layers],
      pretrained: args.pretrainEpochs > 0,
      backprop: args.pretrainEpochs > 0 ? null : unsupervised ? 'unsupervised' : 'supervised',
      finetuned: classes != null,
      autoencoderEpochs: autoencoder.length,
      visible: args.visible ?? 'binary',
      visibleBiases: weights?.map((w) => Array.from(w.visibleBias ?? [])) ?? null,
      patch: patch ? { size: args.patch, corners: patch.corners } : null,
      noise: args.noise ?? null,
      optimizer: args.kind === 'sae' ? (args.optimizer ?? 'adam') : null,
      sparsity: args.sparsity ?? null,
    },
  };
  if (weights) tf.dispose(weights.flatMap((w) => [w.W, w.b]));
  const pretrainedMetadata: DeepvisMetadata | null = pretrained
    ? {
        ...metadata,
        labels: undefined,
        logitsLayer: undefined,
        stack: { ...(metadata.stack as object), finetuned: false },
      }
    : null;
  return {
    model,
    pretrained,
    pretrainedMetadata,
    metadata,
    pretrain: history,
    autoencoder,
    finetune,
  };
}
