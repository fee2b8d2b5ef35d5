/**
 * Does the model differentiate w.r.t. its input on this backend? Runs one real input gradient of the
 * summed output and reports the op without a gradient (or the kernel the backend lacks) by name.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseTapeAfterError } from '../engine/tape.js';
import type { VisModel } from './types.js';

export interface GradientReport {
  ok: boolean;
  /** Ops/kernels named by the failure, if any. */
  missing: string[];
  error?: string;
}

export function gradientCheck(model: VisModel): GradientReport {
  const [lo, hi] = model.input.range;
  try {
    tf.tidy(() => {
      const x = tf.fill([1, ...model.input.shape], (lo + hi) / 2) as tf.Tensor4D;
      const g = tf.grad((xi: tf.Tensor) => model.predict(xi as tf.Tensor4D).sum())(x);
      g.dataSync();
    });
    return { ok: true, missing: [] };
  } catch (e) {
    releaseTapeAfterError();
    const msg = (e as Error).message;
    const names = [
      ...msg.matchAll(/gradient function not found for (\w+)|Kernel '(\w+)' not registered/g),
    ].map((m) => m[1] ?? m[2]);
    return { ok: false, missing: [...new Set(names)], error: msg.split('\n')[0] };
  }
}
