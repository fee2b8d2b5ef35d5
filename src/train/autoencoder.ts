/**
 * Autoencoders trained greedily, layer by layer (seed 000 §2; seed 002 §2.2, after Vincent et al.):
 * each layer is a sigmoid encoder h = s(W·x + b) with a tied decoder x̂ = s(Wᵀ·h + b′), trained to
 * reconstruct its input under binary cross-entropy, optionally
 *  - denoising: the input is corrupted (zero-masking a fraction of it, or salt-and-pepper) and the
 *    clean input is the target;
 *  - sparse: a KL penalty pulls each hidden unit's mean activation towards a small target ρ.
 * The next layer trains on the hidden activations of this one.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { shuffledBatches } from './batches.js';
import { hiddenProbs, transform } from './rbm.js';

export type Corruption = { readonly kind: 'mask' | 'salt-pepper'; readonly level: number };

export interface AeLayerArgs {
  readonly hidden: number;
  readonly epochs: number;
  /** Adam learning rate; default 1e-3. */
  readonly lr?: number;
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

export function corrupt(x: tf.Tensor2D, noise: Corruption | undefined, seed: number): tf.Tensor2D {
  if (!noise || noise.level <= 0) return x;
  return tf.tidy(() => {
    const r = tf.randomUniform(x.shape, 0, 1, 'float32', seed);
    if (noise.kind === 'mask') return x.mul(r.greaterEqual(noise.level).toFloat()) as tf.Tensor2D;
    // Salt and pepper: a fraction `level` of inputs set to 0 or 1 with equal chance.
    const hit = r.less(noise.level);
    const salt = tf.randomUniform(x.shape, 0, 1, 'float32', seed + 1).less(0.5).toFloat();
    return tf.where(hit, salt, x) as tf.Tensor2D;
  });
}

/** h = σ(x·W + b): the same upward pass as an RBM's hidden probabilities. */
export const encode: (layer: Pick<AeLayer, 'W' | 'hiddenBias'>, x: tf.Tensor2D) => tf.Tensor2D = hiddenProbs;

function bce(target: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  // Stable binary cross-entropy on logits, summed over inputs, averaged over the batch.
  return tf.tidy(() => {
    const l = tf.relu(logits).sub(logits.mul(target)).add(tf.log1p(tf.exp(logits.abs().neg())));
    return l.sum().div(target.shape[0]) as tf.Scalar;
  });
}

export function trainAeLayer(data: Float32Array, nv: number, args: AeLayerArgs): { layer: AeLayer; losses: number[] } {
  const rng = new Rng(args.seed ?? 0);
  const batch = args.batchSize ?? 64;
  const mask = args.mask ? tf.tensor2d(args.mask, [nv, args.hidden]) : null;
  // Small initial weights (as for RBMs): weights from pixels that never light up stay near zero
  // instead of keeping a visible glorot-noise background in the filter pictures.
  const W = tf.variable(tf.tidy(() => {
    const w = tf.randomNormal([nv, args.hidden], 0, 0.01, 'float32', rng.seed());
    return mask ? w.mul(mask) : w;
  }));
  const hb = tf.variable(tf.zeros([args.hidden]));
  const vb = tf.variable(tf.zeros([nv]));
  const opt = tf.train.adam(args.lr ?? 1e-3);
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
        return opt.minimize(() => {
          const h = tf.sigmoid(xt.matMul(W).add(hb)) as tf.Tensor2D;
          const logits = h.matMul(W, false, true).add(vb) as tf.Tensor2D;
          let l = bce(x, logits);
          if (args.sparsity && args.sparsity.weight > 0) {
            const rho = args.sparsity.target;
            const rhoHat = h.mean(0).clipByValue(1e-6, 1 - 1e-6);
            const kl = tf.scalar(rho).mul(tf.log(tf.scalar(rho).div(rhoHat)))
              .add(tf.scalar(1 - rho).mul(tf.log(tf.scalar(1 - rho).div(tf.scalar(1).sub(rhoHat))))).sum();
            l = l.add(kl.mul(args.sparsity.weight));
          }
          return l as tf.Scalar;
        }, true, [W, hb, vb])!;
      });
      if (mask) tf.tidy(() => W.assign(W.mul(mask)));
      total += loss.dataSync()[0];
      loss.dispose();
      batches++;
    }
    losses.push(total / Math.max(1, batches));
    args.onEpoch?.({ epoch: epoch + 1, loss: total / Math.max(1, batches), seconds: (performance.now() - t0) / 1000 });
  }
  opt.dispose();
  mask?.dispose();
  return { layer: { W, hiddenBias: hb, visibleBias: vb }, losses };
}

/** Encoded rows, the training data of the next layer: the RBM stack's `transform`. */
export const encodeAll: (layer: Pick<AeLayer, 'W' | 'hiddenBias'>, data: Float32Array, nv: number, batch?: number) => Float32Array = transform;
