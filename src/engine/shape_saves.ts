/**
 * Gradients that need only their inputs' shapes keep only the shapes. tfjs 4.22 saves the inputs
 * of Add and Sub for the backward pass (tape: saveTensorsForBackwardMode keeps a clone of each),
 * though their gradient reads nothing but `a.shape` and `b.shape` (to sum dy over the broadcast
 * axes). In a residual network every convolution's bias add and every skip connection then holds
 * an activation-sized tensor until the backward pass ends — 109 MB of the 251 MB saved by
 * ResNet-18's batch-8 input gradient, which PyTorch never holds. Here the saved tensors of those
 * kernels are released as the node is taped and replaced by stand-ins carrying shape, rank and
 * dtype: the registered gradients (tfjs's own, read in tfjs-core/dist/gradients/*_grad.js) get
 * what they read, and the memory goes back as soon as the forward pass stops using the tensor.
 *
 * Only kernels whose stock gradient reads shapes alone are listed; a gradient someone registers in
 * their place (tf.registerGradient) is left with the real tensors.
 */
import * as tf from '@tensorflow/tfjs';

type Saved = Array<tf.Tensor | ShapeOnly>;

interface TapingEngine {
  addTapeNode(name: string, inputs: tf.NamedTensorMap, outputs: tf.Tensor[], grad: unknown, saved: Saved, attrs: unknown): void;
}

/** What the listed gradients read of a saved tensor; dispose is a no-op so tape cleanup still works. */
class ShapeOnly {
  readonly rank: number;
  readonly size: number;
  readonly isDisposed = true;
  constructor(readonly shape: number[], readonly dtype: tf.DataType) {
    this.rank = shape.length;
    this.size = tf.util.sizeFromShape(shape);
  }
  dispose(): void {}
}

/** Kernels whose tfjs 4.22 gradient reads only `.shape` / `.rank` of its saved tensors. */
export const SHAPE_ONLY_KERNELS: ReadonlySet<string> = new Set(['Add', 'Sub', 'Reshape', 'PadV2', 'Slice', 'Concat', 'Sum', 'Mean']);

let installed = false;

export function installShapeOnlySaves(): void {
  if (installed) return;
  installed = true;
  const stock = new Map([...SHAPE_ONLY_KERNELS].map((k) => [k, tf.getGradient(k)]));
  const engine = tf.engine() as unknown as TapingEngine;
  const addTapeNode = engine.addTapeNode;
  engine.addTapeNode = function (name, inputs, outputs, grad, saved, attrs) {
    const config = stock.get(name);
    if (config != null && tf.getGradient(name) === config && Array.isArray(saved)) {
      for (let i = 0; i < saved.length; i++) {
        const t = saved[i];
        if (t instanceof tf.Tensor) {
          saved[i] = new ShapeOnly(t.shape.slice(), t.dtype);
          t.dispose();
        }
      }
    }
    return addTapeNode.call(this, name, inputs, outputs, grad, saved, attrs);
  };
}
