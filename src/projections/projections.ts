/**
 * Projections: operations applied to the images after every optimization step (outside the
 * gradient), each taking the step number and the ascent gradient of the step just taken.
 * - normProjection (Erhan et al. 2009, §3): re-project each image onto the sphere
 *   ‖x − centre‖ = ρ, which keeps gradient ascent from growing the input without bound.
 * - clampRange: keep pixels inside the data range.
 * Yosinski et al.'s regularizers are in regularizers.ts.
 */
import * as tf from '@tensorflow/tfjs';

export interface ProjectionContext {
  readonly step: number;
  /** ∂(score)/∂x of the step just taken, [N, H, W, C] (pixel parameterizations only). */
  readonly grad: tf.Tensor4D | null;
}

export type Projection = (x: tf.Tensor4D, ctx: ProjectionContext) => tf.Tensor4D;

export function normProjection(rho: number, centre = 0): Projection {
  return (x) =>
    tf.tidy(() => {
      const c = x.sub(centre);
      const norm = c.square().sum([1, 2, 3], true).sqrt().add(1e-8);
      return c.mul(tf.scalar(rho).div(norm)).add(centre) as tf.Tensor4D;
    });
}

/** n random-uniform images of the range, projected: the starts of a projected ascent. */
export function projectedUniform(
  shape: readonly [number, number, number, number],
  range: readonly [number, number],
  project: Projection,
  seed: number,
): tf.Tensor4D {
  const x = tf.randomUniform([...shape], range[0], range[1], 'float32', seed) as tf.Tensor4D;
  const y = project(x, { step: 0, grad: null });
  if (y !== x) x.dispose();
  return y;
}

export function clampRange(range: readonly [number, number]): Projection {
  return (x) => x.clipByValue(range[0], range[1]) as tf.Tensor4D;
}

/** Step filter of the maximising-images paper (§4): hi where x > lo + t·(hi − lo), else lo. */
export function stepFilter(
  x: tf.Tensor4D,
  range: readonly [number, number],
  threshold = 0.9,
): tf.Tensor4D {
  const [lo, hi] = range;
  return tf.tidy(
    () =>
      x
        .greater(lo + threshold * (hi - lo))
        .toFloat()
        .mul(hi - lo)
        .add(lo) as tf.Tensor4D,
  );
}

/** Projection k applies to batch items k·size … (k+1)·size − 1 (e.g. one hyperparameter set per slice). */
export function perSlice(projections: readonly Projection[], size: number): Projection {
  return (x, ctx) =>
    tf.tidy(
      () =>
        tf.concat(
          projections.map((p, k) =>
            p(x.slice([k * size], [size]), {
              step: ctx.step,
              grad: ctx.grad ? ctx.grad.slice([k * size], [size]) : null,
            }),
          ),
        ) as tf.Tensor4D,
    );
}
