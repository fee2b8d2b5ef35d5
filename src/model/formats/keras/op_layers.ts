/**
 * What keras.applications models hold beyond plain layers (MobileNetV3 above all):
 * - arithmetic saved as graph entries, not layers: `x + 3.0` and `x * (1/6)` become a TFOpLambda
 *   in tf.keras and a keras.src.ops.numpy operation in Keras 3 → ElementwiseOp (with one tensor
 *   and a constant, or two tensors);
 * - GlobalAverage/MaxPooling2D(keepdims=True), which tfjs-layers 4.22 lacks → KeepdimsPooling2D;
 * - Keras 3's hard_sigmoid (relu6(x + 3)/6, not Keras 2's clip(0.2x + 0.5)) and hard_silu/hard_swish
 *   → activations tfjs resolves by name.
 * Each layer reports the Keras class it stands for, so the layer table reads as the model does.
 */
import * as tf from '@tensorflow/tfjs';

export type ElementwiseKind = 'add' | 'subtract' | 'multiply' | 'divide';

interface OpArgs {
  op: ElementwiseKind;
  /** The constant operand, or null when both operands are tensors. */
  constant?: number | null;
  /** true for `3 - x`: the constant is the left operand. */
  constantFirst?: boolean;
  /** What the layer table shows: 'TFOpLambda', 'Add (op)', … */
  kind?: string;
  name?: string;
  [key: string]: unknown;
}

function broadcast(a: tf.Shape, b: tf.Shape): tf.Shape {
  const n = Math.max(a.length, b.length);
  const at = (s: tf.Shape, i: number) => (i < n - s.length ? 1 : s[i - (n - s.length)]);
  return Array.from({ length: n }, (_, i) => {
    const [x, y] = [at(a, i), at(b, i)];
    return x === 1 ? y : y === 1 ? x : (x ?? y);
  });
}

export class ElementwiseOp extends tf.layers.Layer {
  static className = 'DeepvisElementwiseOp';
  private readonly args: Required<Pick<OpArgs, 'op' | 'constantFirst' | 'kind'>> & {
    constant: number | null;
  };

  constructor(args: OpArgs) {
    super(args as tf.serialization.ConfigDict);
    this.args = {
      op: args.op,
      constant: args.constant ?? null,
      constantFirst: args.constantFirst ?? false,
      kind: args.kind ?? 'TFOpLambda',
    };
  }

  // tfjs's Layer constructor asks for the class name (to make a default name) before `args` is set.
  override getClassName(): string {
    return this.args?.kind ?? 'TFOpLambda';
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tf.Shape[];
    return shapes.length > 1 ? broadcast(shapes[0], shapes[1]) : shapes[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const { op, constant, constantFirst } = this.args;
      let [a, b]: (tf.Tensor | number)[] = constant == null ? [xs[0], xs[1]] : [xs[0], constant];
      if (constantFirst) [a, b] = [b, a];
      const f = { add: tf.add, subtract: tf.sub, multiply: tf.mul, divide: tf.div }[op];
      return f(a, b);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}

export class KeepdimsPooling2D extends tf.layers.Layer {
  static className = 'DeepvisKeepdimsPooling2D';
  private readonly mode: 'avg' | 'max';

  constructor(args: { mode: 'avg' | 'max'; name?: string; [key: string]: unknown }) {
    super(args as tf.serialization.ConfigDict);
    this.mode = args.mode;
  }

  override getClassName(): string {
    return this.mode === 'avg' ? 'GlobalAveragePooling2D' : 'GlobalMaxPooling2D';
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], 1, 1, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.mode === 'avg' ? tf.mean(x, [1, 2], true) : tf.max(x, [1, 2], true);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/** Keras 3's hard_sigmoid: relu6(x + 3) / 6. */
export class HardSigmoid3 extends tf.serialization.Serializable {
  static className = 'hardSigmoid3';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/** Keras 3's hard_silu (alias hard_swish): x · relu6(x + 3) / 6. */
export class HardSilu extends tf.serialization.Serializable {
  static className = 'hardSilu';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
