/** Registers deepvis's own Keras layers with tfjs's deserializer (once; idempotent). */
import * as tf from '@tensorflow/tfjs';
import { SameAveragePooling2D } from './avg_pool_same.js';
import { Normalization } from './normalization.js';

let registered = false;

export function registerKerasLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(Normalization);
  tf.serialization.registerClass(SameAveragePooling2D);
  registered = true;
}
