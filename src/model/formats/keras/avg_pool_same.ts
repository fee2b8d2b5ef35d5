/**
 * AveragePooling2D with padding 'same', built so its gradient is right. tfjs 4.22's forward pass
 * divides each window by the pixels inside the image, as TensorFlow does, but its AvgPoolGrad (cpu
 * and wasm) divides by the whole window, so input gradients near the border come out too small
 * (e.g. ¼ vs 1/9 at a 3×3 corner). Here the padding is explicit and the division is by a constant
 * count: out = avgPool_valid(pad(x)) · k² / count, whose gradient is exact. Shown and serialized as
 * AveragePooling2D; prepare.ts routes Keras 'same' average pooling here.
 */
import * as tf from '@tensorflow/tfjs';

interface Args {
  pool_size?: number | number[];
  poolSize?: number | number[];
  strides?: number | number[] | null;
  name?: string;
  [key: string]: unknown;
}

const pair = (v: number | number[]): [number, number] =>
  Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v];

/** TensorFlow's 'same' padding: [before, after] and the output length. */
function samePads(n: number, k: number, s: number): [number, number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2), out];
}

export class SameAveragePooling2D extends tf.layers.Layer {
  static className = 'DeepvisSameAveragePooling2D';
  private readonly pool: [number, number];
  private readonly step: [number, number];

  constructor(args: Args) {
    super(args as tf.serialization.ConfigDict);
    this.pool = pair(args.poolSize ?? args.pool_size ?? 2);
    this.step = pair(args.strides ?? this.pool);
  }

  override getClassName(): string {
    return 'AveragePooling2D';
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (
      number | null
    )[];
    const side = (d: number | null, i: 0 | 1) => (d == null ? null : Math.ceil(d / this.step[i]));
    return [n, side(h, 0), side(w, 1), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, h, w] = x.shape;
      const [kh, kw] = this.pool;
      const [t, b, oh] = samePads(h, kh, this.step[0]);
      const [l, r, ow] = samePads(w, kw, this.step[1]);
      // Pixels of each window inside the image: rows × columns, the same for every channel.
      const inside = (o: number, s: number, k: number, before: number, n: number) =>
        Math.min(o * s - before + k, n) - Math.max(o * s - before, 0);
      const scale = new Float32Array(oh * ow);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          scale[i * ow + j] =
            (kh * kw) / (inside(i, this.step[0], kh, t, h) * inside(j, this.step[1], kw, l, w));
      const padded = tf.pad(x, [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ]);
      return tf.mul(
        tf.avgPool(padded, this.pool, this.step, 'valid'),
        tf.tensor4d(scale, [1, oh, ow, 1]),
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      poolSize: this.pool,
      strides: this.step,
      padding: 'same',
      dataFormat: 'channelsLast',
    };
  }
}
