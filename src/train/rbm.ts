/**
 * Restricted Boltzmann machines trained by contrastive divergence (CD-k), as the DBNs of Erhan et al. 2009
 * (Erhan et al. 2009, §2.1) and the maximising-images paper (§2) are built: binary–binary for [0, 1] data, and
 * Gaussian–binary (unit-variance linear visibles) for real-valued inputs such as image patches.
 * Momentum (0.5 for the first epochs, then 0.9) and L2 weight decay, after Hinton's practical guide.
 * An optional sparsity target pulls each hidden unit's mean activation towards ρ through its bias
 * (Lee et al. 2008's sparse RBM, the one Erhan et al. 2009 §5 cites; what makes a Gaussian RBM's filters on
 * whitened patches localized). An optional connectivity mask (e.g. the 7×7 receptive fields of the maximising-images paper) keeps masked weights at
 * exactly zero.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { shuffledBatches } from './batches.js';
import { DeepvisError } from '../errors.js';

export type VisibleUnits = 'binary' | 'gaussian';

export interface Rbm {
  /** [visible, hidden] */
  readonly W: tf.Variable;
  readonly hiddenBias: tf.Variable;
  readonly visibleBias: tf.Variable;
  readonly visible: VisibleUnits;
  readonly mask: tf.Tensor2D | null;
}

export interface RbmArgs {
  readonly hidden: number;
  readonly epochs: number;
  /** Default 0.05 (binary) / 0.005 (gaussian). */
  readonly lr?: number;
  /** Gibbs steps per update; default 1. */
  readonly k?: number;
  readonly batchSize?: number;
  readonly weightDecay?: number;
  /** Momentum [first 5 epochs, after]; default [0.5, 0.9] (Hinton's guide). */
  readonly momentum?: readonly [number, number];
  readonly visible?: VisibleUnits;
  /** Hidden-bias pull weight·(target − mean activation) per update; default none. */
  readonly sparsity?: { readonly target: number; readonly weight: number };
  /** Standard deviation of the initial weights; default 0.01. */
  readonly initStd?: number;
  /** [visible, hidden] 0/1 connectivity. */
  readonly mask?: Float32Array;
  readonly seed?: number;
  readonly onEpoch?: (e: { epoch: number; reconstructionError: number; seconds: number }) => void;
}

export function hiddenProbs(rbm: Pick<Rbm, 'W' | 'hiddenBias'>, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sigmoid(v.matMul(rbm.W).add(rbm.hiddenBias)) as tf.Tensor2D);
}

export function visibleMean(
  rbm: Pick<Rbm, 'W' | 'visibleBias' | 'visible'>,
  h: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const a = h.matMul(rbm.W, false, true).add(rbm.visibleBias) as tf.Tensor2D;
    return rbm.visible === 'binary' ? (tf.sigmoid(a) as tf.Tensor2D) : a;
  });
}

export function sampleBernoulli(p: tf.Tensor2D, seed: number): tf.Tensor2D {
  return tf.tidy(
    () => tf.randomUniform(p.shape, 0, 1, 'float32', seed).less(p).toFloat() as tf.Tensor2D,
  );
}

/** Mean squared error of a one-step reconstruction v → h → v̂ over `data`. */
export function reconstructionError(
  rbm: Rbm,
  data: Float32Array,
  nv: number,
  batch = 1000,
): number {
  const n = data.length / nv;
  let sum = 0;
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    sum += tf.tidy(() => {
      const v = tf.tensor2d(data.subarray(i * nv, (i + m) * nv), [m, nv]);
      return visibleMean(rbm, hiddenProbs(rbm, v)).sub(v).square().sum().dataSync()[0];
    });
  }
  return sum / (n * nv);
}

export function initRbm(
  nv: number,
  args: Pick<RbmArgs, 'hidden' | 'visible' | 'mask' | 'seed' | 'initStd'>,
  data?: Float32Array,
): Rbm {
  const { hidden } = args;
  const visible = args.visible ?? 'binary';
  if (args.mask && args.mask.length !== nv * hidden)
    throw new DeepvisError(`mask has ${args.mask.length} entries, not ${nv}×${hidden}`);
  const mask = args.mask ? tf.keep(tf.tensor2d(args.mask, [nv, hidden])) : null;
  const W = tf.tidy(() => {
    // tfjs treats seed 0 as no seed at all: shift, so every seed (0 included) reproduces.
    const w = tf.randomNormal(
      [nv, hidden],
      0,
      args.initStd ?? 0.01,
      'float32',
      (args.seed ?? 0) + 1,
    );
    return tf.variable(mask ? w.mul(mask) : w, true, undefined);
  });
  // Visible biases start at log(p/(1−p)) of the data's mean (Hinton's guide), which speeds learning.
  let vb: tf.Tensor1D = tf.zeros([nv]);
  if (data && visible === 'binary') {
    const mean = new Float32Array(nv);
    const n = data.length / nv;
    for (let i = 0; i < n; i++) for (let j = 0; j < nv; j++) mean[j] += data[i * nv + j] / n;
    vb.dispose();
    vb = tf.tensor1d(
      mean.map((p) =>
        Math.log(
          Math.min(Math.max(p, 1e-3), 1 - 1e-3) / (1 - Math.min(Math.max(p, 1e-3), 1 - 1e-3)),
        ),
      ),
    );
  }
  // tf.variable keeps its initial tensor alive beside it: free the initial biases.
  const hiddenBias = tf.tidy(() => tf.variable(tf.zeros([hidden])));
  const visibleBias = tf.variable(vb);
  vb.dispose();
  return { W, hiddenBias, visibleBias, visible, mask };
}

export function trainRbm(
  data: Float32Array,
  nv: number,
  args: RbmArgs,
): { rbm: Rbm; errors: number[] } {
  const visible = args.visible ?? 'binary';
  const lr = args.lr ?? (visible === 'binary' ? 0.05 : 0.005);
  const k = args.k ?? 1;
  const batch = args.batchSize ?? 64;
  const decay = args.weightDecay ?? 2e-4;
  const rng = new Rng(args.seed ?? 0);
  const n = data.length / nv;
  const rbm = initRbm(nv, { ...args, visible }, data);
  const vel = {
    W: tf.variable(tf.zerosLike(rbm.W)),
    hb: tf.variable(tf.zerosLike(rbm.hiddenBias)),
    vb: tf.variable(tf.zerosLike(rbm.visibleBias)),
  };
  const errors: number[] = [];
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    const t0 = performance.now();
    const [m0, m1] = args.momentum ?? [0.5, 0.9];
    const momentum = epoch < 5 ? m0 : m1;
    for (const rows of shuffledBatches(data, nv, batch, rng)) {
      tf.tidy(() => {
        const v0 = tf.tensor2d(rows, [batch, nv]);
        const h0 = hiddenProbs(rbm, v0);
        let h = sampleBernoulli(h0, rng.seed());
        let vk = v0;
        let hk = h0;
        for (let step = 0; step < k; step++) {
          vk = visibleMean(rbm, h);
          hk = hiddenProbs(rbm, vk);
          if (step < k - 1) h = sampleBernoulli(hk, rng.seed());
        }
        let dW = v0
          .matMul(h0, true, false)
          .sub(vk.matMul(hk, true, false))
          .div(batch)
          .sub(rbm.W.mul(decay));
        if (rbm.mask) dW = dW.mul(rbm.mask);
        let dhb = h0.sub(hk).mean(0);
        if (args.sparsity)
          dhb = dhb.add(tf.scalar(args.sparsity.target).sub(h0.mean(0)).mul(args.sparsity.weight));
        const dvb = v0.sub(vk).mean(0);
        vel.W.assign(vel.W.mul(momentum).add(dW.mul(lr)));
        vel.hb.assign(vel.hb.mul(momentum).add(dhb.mul(lr)));
        vel.vb.assign(vel.vb.mul(momentum).add(dvb.mul(lr)));
        rbm.W.assign(rbm.W.add(vel.W));
        rbm.hiddenBias.assign(rbm.hiddenBias.add(vel.hb));
        rbm.visibleBias.assign(rbm.visibleBias.add(vel.vb));
      });
    }
    const err = reconstructionError(rbm, data.subarray(0, Math.min(n, 2000) * nv), nv);
    errors.push(err);
    args.onEpoch?.({
      epoch: epoch + 1,
      reconstructionError: err,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  tf.dispose([vel.W, vel.hb, vel.vb]);
  return { rbm, errors };
}

/** Hidden probabilities of every row: the data the next RBM of a stack is trained on. */
export function transform(
  rbm: Pick<Rbm, 'W' | 'hiddenBias'>,
  data: Float32Array,
  nv: number,
  batch = 1000,
): Float32Array {
  const nh = rbm.W.shape[1] as number;
  const n = data.length / nv;
  const out = new Float32Array(n * nh);
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    const h = tf.tidy(() =>
      hiddenProbs(rbm, tf.tensor2d(data.subarray(i * nv, (i + m) * nv), [m, nv])),
    );
    out.set(h.dataSync(), i * nh);
    h.dispose();
  }
  return out;
}

export function disposeRbm(rbm: Rbm): void {
  tf.dispose([rbm.W, rbm.hiddenBias, rbm.visibleBias]);
  rbm.mask?.dispose();
}
