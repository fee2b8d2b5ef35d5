/** Registers deepvis's own Keras layers with tfjs's deserializer (once; idempotent). */
import * as tf from '@tensorflow/tfjs';
import { SameAveragePooling2D } from './avg_pool_same.js';
import { Normalization } from './normalization.js';
import { ElementwiseOp, HardSigmoid3, HardSilu, KeepdimsPooling2D } from './op_layers.js';

let registered = false;

export function registerKerasLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(Normalization);
  tf.serialization.registerClass(SameAveragePooling2D);
  for (const cls of [ElementwiseOp, KeepdimsPooling2D, HardSigmoid3, HardSilu])
    tf.serialization.registerClass(cls);
  registered = true;
}
