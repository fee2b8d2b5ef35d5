/**
 * Local connectivity for a dense first layer (the maximising-images paper, §2: "every unit of the first hidden layer
 * sees only a 7×7 square of the 28×28 input"). Unit j gets the square at a position drawn from a
 * seeded rng, so the squares cover the image evenly in expectation.
 */
import { Rng } from '../engine/rng.js';

export interface PatchMask {
  /** [H·W·C, hidden] row-major, 1 inside a unit's square, 0 outside. */
  mask: Float32Array;
  /** Top-left corner [y, x] of each unit's square. */
  corners: Array<[number, number]>;
}

export function patchMask(
  shape: readonly [number, number, number],
  hidden: number,
  size = 7,
  seed = 0,
): PatchMask {
  const [h, w, c] = shape;
  const rng = new Rng(seed);
  const nv = h * w * c;
  const mask = new Float32Array(nv * hidden);
  const corners: Array<[number, number]> = [];
  for (let j = 0; j < hidden; j++) {
    const y0 = rng.int(h - size + 1);
    const x0 = rng.int(w - size + 1);
    corners.push([y0, x0]);
    for (let y = y0; y < y0 + size; y++) {
      for (let x = x0; x < x0 + size; x++) {
        for (let k = 0; k < c; k++) mask[((y * w + x) * c + k) * hidden + j] = 1;
      }
    }
  }
  return { mask, corners };
}
