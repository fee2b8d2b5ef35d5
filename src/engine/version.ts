/**
 * The engine patches tfjs internals (the gradient registry, kernels, the tape; see backend.ts), so
 * it is written against one tfjs release. package.json pins it exactly; this refuses, with one
 * line at engine start, a process that loaded another one (a second copy, an app's own tfjs).
 */
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { DeepvisError } from '../errors.js';

export const TFJS_VERSION = '4.22.0';

export function checkTfjsVersion(
  loaded: Record<string, string | undefined> = {
    '@tensorflow/tfjs-core': tf.version_core,
    '@tensorflow/tfjs-backend-wasm': version_wasm,
  },
): void {
  for (const [pkg, v] of Object.entries(loaded)) {
    if (v !== TFJS_VERSION)
      throw new DeepvisError(
        `deepvis needs tfjs ${TFJS_VERSION} exactly (it patches tfjs internals), but ${pkg} ${v ?? '(unknown)'} is loaded`,
      );
  }
}
