/**
 * An augmentation ensemble (Ghiasi et al. 2022, "What do Vision Transformers Learn? A Visual
 * Exploration", after their code): every step each image is seen as `copies` versions at once —
 * all circularly shifted by one draw of up to `jitter` of the side (falling linearly over the run to
 * `jitterEnd` pixels: see `ghiasiEnsemble`), each copy's colours shifted
 * and scaled per channel
 * ((x − m)/s with m ~ U(−1, 1)·shift and s = exp(U(−1, 1)·scale), in units of the model's
 * normalization), and offset by a per-channel Gaussian whose deviation falls linearly to zero over
 * the run. Vision transformers are robust to what CNN-style robustness transforms (pad, scale,
 * rotate) do, so their features need the stronger colour and noise augmentations.
 * Output rows are item-major: image i's copies are rows i·copies … (i+1)·copies − 1.
 */
import * as tf from '@tensorflow/tfjs';
import { rewindPerStep, type Rng } from '../engine/rng.js';
import { roll } from './tiles.js';

export interface EnsembleArgs {
  /** Versions of each image per step (the paper's 8). */
  readonly copies: number;
  /** Largest shift at the first step, as a share of the side (the paper's 32 of 224 pixels). */
  readonly jitter: number;
  /** Largest shift at the last step, in pixels: the shift falls linearly to it (none: it stays). */
  readonly jitterEnd?: number;
  /** Colour shift and scale spreads (the paper's 1 and 1), in units of `unit`. */
  readonly shift: number;
  readonly scale: number;
  /** Starting deviation of the Gaussian offset (the paper's 0.5), in units of `unit`; annealed to 0. */
  readonly noise: number;
  /** One unit of the model's normalized space in image values (its std, or ¼ of the range). */
  readonly unit: number;
  /** The image's neutral value, the centre of the colour scaling. */
  readonly centre: number;
}

/**
 * The paper's settings, where one normalized unit is `unit` image values around `centre`, but
 * with the roll falling over the run to a quarter of a `patch`-pixel patch (at least 1 pixel).
 * That is our deviation. The paper's fixed 32/224 of the side is a whole patch on a 28-px,
 * patch-4 ViT: on our trained MNIST ViT, block 0's MLP units then reached 0.40–1.06 of the best
 * MNIST digit's activation, and only 1 of 8 beat it. With the roll falling to 1 pixel, all 8
 * beat it (1.2–2.0×), and the strokes stay readable. Falling to 0 scored higher (1.6–3.0×) but
 * dissolved the strokes into pixel noise.
 */
export function ghiasiEnsemble(unit: number, centre: number, patch = 4): EnsembleArgs {
  const jitterEnd = Math.max(1, Math.round(patch / 4));
  return { copies: 8, jitter: 32 / 224, jitterEnd, shift: 1, scale: 1, noise: 0.5, unit, centre };
}

/** x [N, H, W, C] → [N·copies, H, W, C] for step `step` of `steps` (the same for a step's second call). */
export function augmentEnsemble(
  args: EnsembleArgs,
  rng: Rng,
): (x: tf.Tensor4D, step: number, steps: number) => tf.Tensor4D {
  const rewind = rewindPerStep(rng);
  return (x, step, steps) => {
    rewind(step);
    const [n, h, w, c] = x.shape;
    const k = args.copies;
    const rows = n * k;
    const anneal = steps > 1 ? Math.max(0, 1 - step / (steps - 1)) : 1;
    const start = args.jitter * Math.max(h, w);
    const end = Math.min(start, args.jitterEnd ?? start);
    const lim = Math.max(0, Math.round(end + (start - end) * anneal));
    const shift = new Float32Array(rows * c),
      scale = new Float32Array(rows * c);
    for (let i = 0; i < rows * c; i++) {
      const m = rng.uniform(-1, 1) * args.shift * args.unit;
      const s = Math.exp(rng.uniform(-1, 1) * args.scale);
      const noise = rng.normal() * args.noise * anneal * args.unit;
      // ((x − centre − m) / s) + centre + noise = x/s + ((centre + m)·(−1/s) + centre + noise)
      scale[i] = 1 / s;
      shift[i] = args.centre - (args.centre + m) / s + noise;
    }
    const copies = tf.tidy(() => {
      // Item-major copies by a gather (tfjs's 5-D tile has no gradient).
      const tiled = tf.gather(
        x,
        tf.tensor1d(
          Int32Array.from({ length: rows }, (_, r) => Math.floor(r / k)),
          'int32',
        ),
      ) as tf.Tensor4D;
      // One shift for the whole batch per step, as the paper's Jitter rolls its batch.
      const rolled =
        lim > 0 ? roll(tiled, rng.int(2 * lim + 1) - lim, rng.int(2 * lim + 1) - lim) : tiled;
      return rolled
        .mul(tf.tensor4d(scale, [rows, 1, 1, c]))
        .add(tf.tensor4d(shift, [rows, 1, 1, c])) as tf.Tensor4D;
    });
    return copies;
  };
}
