/**
 * Keras's Normalization preprocessing layer, which tfjs-layers 4.22 lacks: (x − mean) / max(√var, ε)
 * per index of the kept axes (ε = 1e-7, Keras's backend epsilon), or its inverse with `invert`.
 * Adapted layers carry mean, variance and count as (non-trainable) weights, in that order, as Keras
 * 2 and 3 save them; layers built with explicit `mean`/`variance` carry them in the config, aligned
 * right-to-left to the kept axes as in keras/src/layers/preprocessing/normalization.py.
 */
import * as tf from '@tensorflow/tfjs';

const EPSILON = 1e-7;

interface NormalizationArgs {
  axis?: number | number[] | null;
  mean?: number | number[] | null;
  variance?: number | number[] | null;
  invert?: boolean;
  name?: string;
  [key: string]: unknown;
}

export class Normalization extends tf.layers.Layer {
  static className = 'Normalization';
  private readonly axis: number[];
  private readonly fixedMean: number | number[] | null;
  private readonly fixedVariance: number | number[] | null;
  private readonly invert: boolean;
  private broadcast: number[] = [];
  private keep: number[] = [];

  constructor(args: NormalizationArgs) {
    super(args as tf.serialization.ConfigDict);
    this.axis = args.axis == null ? [] : Array.isArray(args.axis) ? args.axis : [args.axis];
    this.fixedMean = args.mean ?? null;
    this.fixedVariance = args.variance ?? null;
    this.invert = args.invert ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const rank = shape.length;
    this.keep = [...new Set(this.axis.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    this.broadcast = shape.map((d, i) => (this.keep.includes(i) ? (d as number) : 1));
    if (this.fixedMean == null) {
      const kept = this.keep.map((i) => shape[i] as number);
      const zeros = tf.initializers.zeros();
      this.addWeight('mean', kept, 'float32', zeros, undefined, false);
      this.addWeight('variance', kept, 'float32', tf.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'float32', zeros, undefined, false);
    }
    this.built = true;
  }

  /** mean or variance shaped for broadcasting against the input. */
  private stat(index: 0 | 1): tf.Tensor {
    if (this.fixedMean == null) return this.weights[index].read().reshape(this.broadcast);
    const v = index === 0 ? this.fixedMean : (this.fixedVariance ?? 1);
    if (!Array.isArray(v)) return tf.scalar(v);
    // Aligned right-to-left with the kept axes, as Keras does.
    const t = tf.tensor(v);
    const shape = this.broadcast.map(() => 1);
    t.shape.forEach((d, i) => (shape[this.keep[this.keep.length - t.rank + i]] = d));
    return t.reshape(shape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const scale = tf.maximum(tf.sqrt(this.stat(1)), EPSILON);
      return this.invert
        ? tf.add(this.stat(0), tf.mul(x, scale))
        : tf.div(tf.sub(x, this.stat(0)), scale);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      axis: this.axis,
      mean: this.fixedMean,
      variance: this.fixedVariance,
      invert: this.invert,
    };
  }
}
