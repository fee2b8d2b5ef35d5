/**
 * End-to-end fine-tuning of a greedily pre-trained stack as one deep autoencoder (the maximising-images paper §2,
 * after Hinton & Salakhutdinov): encoder layers h_l = σ(h_{l−1}·W_l + b_l), then decoders in reverse
 * order, initialized to the transposed encoder weights and the layers' visible biases, all trained
 * together to reconstruct the input (binary cross-entropy), with a smaller learning rate than the
 * pre-training. Only the encoder is kept afterwards: it is the representation the methods look at.
 * `randomEncoder` gives the same deep autoencoder a random start: trained by this loop alone (no
 * greedy stage, no labels), it is the maximising-images paper fig. 2's "regular backpropagation through all deep network".
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { shuffledBatches } from './batches.js';

export interface DeepAeArgs {
  readonly epochs: number;
  /** Adam learning rate; default 1e-4 (a tenth of pre-training's). */
  readonly lr?: number;
  readonly batchSize?: number;
  /** [visible, hidden] 0/1 connectivity of the first layer, kept through training. */
  readonly mask?: Float32Array;
  readonly seed?: number;
  readonly onEpoch?: (e: { epoch: number; loss: number; seconds: number }) => void;
}

export interface EncoderLayer {
  W: tf.Tensor2D;
  b: tf.Tensor1D;
  visibleBias: Float32Array | null;
}

/** Glorot-uniform encoder layers (zero biases, no visible biases): the random start of fig. 2's backprop twin. */
export function randomEncoder(
  nv: number,
  layers: readonly number[],
  seed = 0,
  mask?: Float32Array,
): EncoderLayer[] {
  let width = nv;
  return layers.map((units, i) => {
    const limit = Math.sqrt(6 / (width + units));
    const W = tf.tidy(() => {
      const w = tf.randomUniform([width, units], -limit, limit, 'float32', seed * 100 + i);
      return i === 0 && mask ? w.mul(tf.tensor2d(mask, [nv, units])) : w;
    }) as tf.Tensor2D;
    width = units;
    return { W: tf.keep(W), b: tf.keep(tf.zeros([units]) as tf.Tensor1D), visibleBias: null };
  });
}

/** Fine-tunes `layers` in place (their W and b are replaced by the tuned ones); returns the losses. */
export function fineTuneDeepAutoencoder(
  layers: EncoderLayer[],
  data: Float32Array,
  nv: number,
  args: DeepAeArgs,
): number[] {
  const rng = new Rng(args.seed ?? 0);
  const batch = args.batchSize ?? 64;
  const enc = layers.map((l) => ({ W: tf.variable(l.W.clone()), b: tf.variable(l.b.clone()) }));
  const dec = layers.map((l) => ({
    W: tf.variable(tf.tidy(() => l.W.transpose())),
    c: tf.variable(l.visibleBias ? tf.tensor1d(l.visibleBias) : tf.zeros([l.W.shape[0]])),
  }));
  const mask = args.mask ? tf.tensor2d(args.mask, [nv, layers[0].W.shape[1]]) : null;
  const maskT = mask ? tf.tidy(() => mask.transpose()) : null;
  const vars = [...enc.flatMap((e) => [e.W, e.b]), ...dec.flatMap((d) => [d.W, d.c])];
  const opt = tf.train.adam(args.lr ?? 1e-4);
  const losses: number[] = [];
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    const t0 = performance.now();
    let total = 0;
    let count = 0;
    for (const rows of shuffledBatches(data, nv, batch, rng)) {
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(rows, [batch, nv]);
        return opt.minimize(
          () => {
            let h: tf.Tensor2D = x;
            for (const e of enc)
              h = tf.sigmoid(h.matMul(e.W as tf.Tensor2D).add(e.b)) as tf.Tensor2D;
            for (let l = dec.length - 1; l > 0; l--)
              h = tf.sigmoid(h.matMul(dec[l].W as tf.Tensor2D).add(dec[l].c)) as tf.Tensor2D;
            const logits = h.matMul(dec[0].W as tf.Tensor2D).add(dec[0].c) as tf.Tensor2D;
            const bce = tf
              .relu(logits)
              .sub(logits.mul(x))
              .add(tf.log1p(tf.exp(logits.abs().neg())));
            return bce.sum().div(batch) as tf.Scalar;
          },
          true,
          vars,
        )!;
      });
      if (mask && maskT) {
        tf.tidy(() => {
          enc[0].W.assign(enc[0].W.mul(mask));
          dec[0].W.assign(dec[0].W.mul(maskT));
        });
      }
      total += loss.dataSync()[0];
      loss.dispose();
      count++;
    }
    losses.push(total / Math.max(1, count));
    args.onEpoch?.({
      epoch: epoch + 1,
      loss: total / Math.max(1, count),
      seconds: (performance.now() - t0) / 1000,
    });
  }
  layers.forEach((l, i) => {
    l.W.dispose();
    l.b.dispose();
    l.W = tf.keep(enc[i].W.clone() as tf.Tensor2D);
    l.b = tf.keep(enc[i].b.clone() as tf.Tensor1D);
  });
  tf.dispose([...vars, ...(mask ? [mask] : []), ...(maskT ? [maskT] : [])]);
  opt.dispose();
  return losses;
}
