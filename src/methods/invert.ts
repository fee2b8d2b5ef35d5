/**
 * Inversion (Mahendran & Vedaldi 2015, "Understanding Deep Image Representations by Inverting
 * Them"; Cavojska 2015 §7): from a photo x0 and a layer, find
 *   x* = argmin ‖φ(x) − φ(x0)‖² / ‖φ(x0)‖² + λα·‖x − c‖α^α + λTV·TV^β(x)
 * by gradient descent from several random starts at once (one batch). What all reconstructions
 * share is what the layer keeps; where they differ, the layer is invariant.
 * The norms are means over pixels (deepvis scales), so the λ's carry across image sizes.
 * `style`: Gatys et al.'s style representation instead (objectives/gram.ts): the layer's Gram
 * matrix is matched from white noise, and as in Gatys the priors are off unless asked for.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { featureMatch, representationError } from '../objectives/feature_match.js';
import { styleError, styleMatch } from '../objectives/gram.js';
import { lpNorm, totalVariation } from '../objectives/priors.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned } from '../optimize/loop.js';
import { cosine } from '../optimize/schedules.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { drained, type RunControl } from './recipe.js';

/** Defaults: 4 restarts, 400 steps, Adam lr 0.05 of the input range, α = 6, λα = 1, β = 2, λTV = 0.5 (style: λα = λTV = 0). */
export interface InvertArgs extends RunControl {
  readonly layer: string;
  /** Match the layer's Gram matrices (style) rather than its activations. */
  readonly style?: boolean;
  readonly restarts?: number;
  readonly lr?: number;
  readonly alpha?: number;
  readonly lambdaAlpha?: number;
  readonly beta?: number;
  readonly lambdaTV?: number;
}

export interface InvertResult {
  /** Reconstructions [K, H, W, C]; the caller disposes them. */
  images: tf.Tensor4D;
  /** Normalized representation error ‖φ(x*) − φ(x0)‖²/‖φ(x0)‖² (style: of the Gram matrices) of each reconstruction. */
  errors: number[];
  /** The same error of each random start, before the first step. */
  startErrors: number[];
  params: ReturnType<typeof invertParams>;
  seconds: number;
}

export function invertParams(model: VisModel, args: InvertArgs) {
  checkLr(args.lr);
  const style = args.style === true;
  const p = {
    steps: args.steps ?? 400,
    lr: args.lr ?? 0.05,
    alpha: args.alpha ?? 6,
    lambdaAlpha: args.lambdaAlpha ?? (style ? 0 : 1),
    beta: args.beta ?? 2,
    lambdaTV: args.lambdaTV ?? (style ? 0 : 0.5),
  };
  return {
    method: style ? 'invert-style' : 'invert',
    layer: model.layer(args.layer).name,
    ...p,
    restarts: args.restarts ?? 4,
    seed: args.seed ?? 0,
  };
}

export function* invertSteps(
  model: VisModel,
  photo: tf.Tensor3D,
  args: InvertArgs,
): Steps<InvertResult> {
  const [h, w, c] = model.input.shape;
  if (photo.shape.join('×') !== [h, w, c].join('×'))
    throw new DeepvisError(`the image is ${photo.shape.join('×')}, the model takes ${h}×${w}×${c}`);
  const p = invertParams(model, args);
  const layer = model.layer(args.layer);
  const [lo, hi] = model.input.range;
  const target = tf.tidy(
    () => model.activations(photo.expandDims(0) as tf.Tensor4D, [layer.name])[0],
  );
  const style = args.style === true;
  const match = style ? styleMatch(layer, target) : featureMatch(layer, target);
  const errorOf = (x: tf.Tensor4D) =>
    tf.tidy(() =>
      Array.from(
        (style ? styleError : representationError)(model.activations(x, [layer.name])[0], target),
      ),
    );
  const range = hi - lo;
  // Priors on x scaled to the unit range, so λ means the same for [0,1] and [0,255] models.
  const objective = match
    .plus(lpNorm(p.alpha, neutral(model)).times(p.lambdaAlpha / range ** p.alpha))
    .plus(totalVariation(p.beta).times(p.lambdaTV / range ** p.beta));
  const rng = new Rng(p.seed);
  const init = tf.randomUniform(
    [p.restarts, h, w, c],
    lo,
    hi,
    'float32',
    rng.seed(),
  ) as tf.Tensor4D;
  const startErrors = errorOf(init);
  const param = pixels(init);
  init.dispose();
  try {
    const run = yield* optimizeOwned(model, param, objective, {
      steps: p.steps,
      lr: p.lr * range,
      rule: 'adam',
      schedule: cosine(0.05),
      projections: [clampRange([lo, hi])],
      onStep: args.onStep,
      signal: args.signal,
    });
    return {
      images: run.images,
      errors: errorOf(run.images),
      startErrors,
      params: p,
      seconds: run.seconds,
    };
  } finally {
    match.dispose();
    target.dispose();
  }
}

export const invert = drained(invertSteps);
