/**
 * Projections: operations applied to the images after every optimization step.
 * - normProjection (Erhan et al. 2009, §3 of seed 002): re-project each image onto the sphere
 *   ‖x − centre‖ = ρ, which keeps gradient ascent from growing the input without bound.
 * - clampRange: keep pixels inside the data range.
 */
import * as tf from '@tensorflow/tfjs';

export type Projection = (x: tf.Tensor4D, step: number) => tf.Tensor4D;

export function normProjection(rho: number, centre = 0): Projection {
  return (x) =>
    tf.tidy(() => {
      const c = x.sub(centre);
      const norm = c.square().sum([1, 2, 3], true).sqrt().add(1e-8);
      return c.mul(tf.scalar(rho).div(norm)).add(centre) as tf.Tensor4D;
    });
}

export function clampRange(range: readonly [number, number]): Projection {
  return (x) => x.clipByValue(range[0], range[1]) as tf.Tensor4D;
}
