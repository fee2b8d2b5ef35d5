/**
 * Autoencoders trained greedily, layer by layer (the maximising-images paper §2; Erhan et al. 2009 §2.2, after Vincent et al.):
 * each layer is a sigmoid encoder h = s(W·x + b) with a tied decoder x̂ = s(Wᵀ·h + b′), trained to
 * reconstruct its input under binary cross-entropy — or, with Gaussian visibles (Erhan et al. 2009 §2.2's
 * "Gaussian model … MSE criterion", for real-valued inputs such as whitened patches), a linear
 * decoder x̂ = Wᵀ·h + b′ under squared error — by Adam or by the plain SGD Erhan et al. 2009 describes,
 * optionally
 *  - denoising: the input is corrupted (corruption.ts: a fixed-size subset zeroed, or set to
 *    salt-and-pepper) and the clean input is the target;
 *  - sparse: a KL penalty pulls each hidden unit's mean activation towards a small target ρ.
 * The next layer trains on the hidden activations of this one.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { shuffledBatches } from './batches.js';
import { hiddenProbs, transform, type VisibleUnits } from './rbm.js';
import { corrupt, type Corruption } from './corruption.js';

export { corrupt, type Corruption };
export type AeOptimizer = 'adam' | 'sgd';

/** Learning rates when none is given: Adam's usual step; SGD's of Vincent et al.'s code (0.1), smaller for linear decoders. */
export function defaultAeLr(optimizer: AeOptimizer, visible: VisibleUnits): number {
  if (optimizer === 'adam') return 1e-3;
  return visible === 'gaussian' ? 0.01 : 0.1;
}

export interface AeLayerArgs {
  readonly hidden: number;
  readonly epochs: number;
  /** Default: defaultAeLr(optimizer, visible). */
  readonly lr?: number;
  /** Default 'adam'; 'sgd' is Erhan et al. 2009's θ ← θ − ε·∂loss/∂θ. */
  readonly optimizer?: AeOptimizer;
  /** 'binary' (sigmoid decoder, cross-entropy; default) or 'gaussian' (linear decoder, squared error). */
  readonly visible?: VisibleUnits;
  /** Standard deviation of the initial weights; default 0.01. */
  readonly initStd?: number;
  /** L2 penalty ½·λ·‖W‖² added to the loss; default 0. */
  readonly weightDecay?: number;
  readonly batchSize?: number;
  readonly noise?: Corruption;
  readonly sparsity?: { readonly target: number; readonly weight: number };
  /** [visible, hidden] 0/1 connectivity (first layer only). */
  readonly mask?: Float32Array;
  readonly seed?: number;
  readonly onEpoch?: (e: { epoch: number; loss: number; seconds: number }) => void;
}

export interface AeLayer {
  readonly W: tf.Variable;
  readonly hiddenBias: tf.Variable;
  readonly visibleBias: tf.Variable;
}

/** h = σ(x·W + b): the same upward pass as an RBM's hidden probabilities. */
export const encode: (layer: Pick<AeLayer, 'W' | 'hiddenBias'>, x: tf.Tensor2D) => tf.Tensor2D =
  hiddenProbs;

function bce(target: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  // Stable binary cross-entropy on logits, summed over inputs, averaged over the batch.
  return tf.tidy(() => {
    const l = tf
      .relu(logits)
      .sub(logits.mul(target))
      .add(tf.log1p(tf.exp(logits.abs().neg())));
    return l.sum().div(target.shape[0]) as tf.Scalar;
  });
}

export function trainAeLayer(
  data: Float32Array,
  nv: number,
  args: AeLayerArgs,
): { layer: AeLayer; losses: number[] } {
  const rng = new Rng(args.seed ?? 0);
  const batch = args.batchSize ?? 64;
  const mask = args.mask ? tf.tensor2d(args.mask, [nv, args.hidden]) : null;
  // Small initial weights (as for RBMs): weights from pixels that never light up stay near zero
  // instead of keeping a visible glorot-noise background in the filter pictures.
  // tf.variable keeps its initial tensor alive beside it: build inside tidy so that one is freed.
  const W = tf.tidy(() => {
    const w = tf.randomNormal([nv, args.hidden], 0, args.initStd ?? 0.01, 'float32', rng.seed());
    return tf.variable(mask ? w.mul(mask) : w);
  });
  const hb = tf.tidy(() => tf.variable(tf.zeros([args.hidden])));
  const vb = tf.tidy(() => tf.variable(tf.zeros([nv])));
  const optimizer = args.optimizer ?? 'adam';
  const visible = args.visible ?? 'binary';
  const lr = args.lr ?? defaultAeLr(optimizer, visible);
  const opt = optimizer === 'sgd' ? tf.train.sgd(lr) : tf.train.adam(lr);
  const decay = args.weightDecay ?? 0;
  const losses: number[] = [];
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    const t0 = performance.now();
    let total = 0;
    let batches = 0;
    for (const rows of shuffledBatches(data, nv, batch, rng)) {
      const seed = rng.seed();
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(rows, [batch, nv]);
        const xt = corrupt(x, args.noise, seed);
        return opt.minimize(
          () => {
            const h = tf.sigmoid(xt.matMul(W).add(hb)) as tf.Tensor2D;
            const out = h.matMul(W, false, true).add(vb) as tf.Tensor2D;
            // Squared error halved, summed over inputs like the cross-entropy, averaged over the batch.
            let l =
              visible === 'gaussian'
                ? (out
                    .sub(x)
                    .square()
                    .sum()
                    .div(2 * batch) as tf.Scalar)
                : bce(x, out);
            if (decay > 0)
              l = l.add(
                W.square()
                  .sum()
                  .mul(decay / 2),
              );
            if (args.sparsity && args.sparsity.weight > 0) {
              const rho = args.sparsity.target;
              const rhoHat = h.mean(0).clipByValue(1e-6, 1 - 1e-6);
              const kl = tf
                .scalar(rho)
                .mul(tf.log(tf.scalar(rho).div(rhoHat)))
                .add(
                  tf.scalar(1 - rho).mul(tf.log(tf.scalar(1 - rho).div(tf.scalar(1).sub(rhoHat)))),
                )
                .sum();
              l = l.add(kl.mul(args.sparsity.weight));
            }
            return l as tf.Scalar;
          },
          true,
          [W, hb, vb],
        )!;
      });
      if (mask) tf.tidy(() => W.assign(W.mul(mask)));
      total += loss.dataSync()[0];
      loss.dispose();
      batches++;
    }
    losses.push(total / Math.max(1, batches));
    args.onEpoch?.({
      epoch: epoch + 1,
      loss: total / Math.max(1, batches),
      seconds: (performance.now() - t0) / 1000,
    });
  }
  opt.dispose();
  mask?.dispose();
  return { layer: { W, hiddenBias: hb, visibleBias: vb }, losses };
}

/** Encoded rows, the training data of the next layer: the RBM stack's `transform`. */
export const encodeAll: (
  layer: Pick<AeLayer, 'W' | 'hiddenBias'>,
  data: Float32Array,
  nv: number,
  batch?: number,
) => Float32Array = transform;
