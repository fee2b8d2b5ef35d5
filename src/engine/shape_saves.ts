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

import { addTapeHook } from './internals.js';

/** What the listed gradients read of a saved tensor; dispose is a no-op so tape cleanup still works. */
class ShapeOnly {
  readonly rank: number;
  readonly size: number;
  readonly isDisposed = true;
  constructor(
    readonly shape: number[],
    readonly dtype: tf.DataType,
  ) {
    this.rank = shape.length;
    this.size = tf.util.sizeFromShape(shape);
  }
  dispose(): void {}
}

/** Kernels whose tfjs 4.22 gradient reads only `.shape` / `.rank` of its saved tensors. */
export const SHAPE_ONLY_KERNELS: ReadonlySet<string> = new Set([
  'Add',
  'Sub',
  'Reshape',
  'PadV2',
  'Slice',
  'Concat',
  'Sum',
  'Mean',
]);

let stock: Map<string, tf.GradConfig | undefined> | null = null;

/** The tape hook: a listed kernel's saved tensors released as its node is taped, stand-ins in their place. */
export function installShapeOnlySaves(): void {
  stock ??= new Map([...SHAPE_ONLY_KERNELS].map((k) => [k, tf.getGradient(k)]));
  const configs = stock;
  addTapeHook('shape-only saves', (r) => {
    const config = configs.get(r.name);
    if (config == null || tf.getGradient(r.name) !== config || !Array.isArray(r.saved)) return r;
    const saved = r.saved.map((t) => {
      if (!(t instanceof tf.Tensor)) return t;
      const stand = new ShapeOnly(t.shape.slice(), t.dtype);
      t.dispose();
      return stand;
    });
    return { ...r, saved };
  });
}
