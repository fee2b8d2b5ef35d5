/**
 * Feature accentuation's arguments, their resolution (`accentuateParams`: what the run uses and its
 * JSON reports) and the L2 pull toward the start image, applied as an extra gradient term.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { checkLr } from '../optimize/divergence.js';
import type { UnitRequest } from './recipe.js';

export interface AccentuateArgs extends UnitRequest {
  /** Start image [1 or U, H, W, C] in the model's range; read, not kept. */
  readonly image: tf.Tensor4D;
  /** Weight of the L2 pull toward the start image (Horama's penalty); default 1. */
  readonly weight?: number;
  /** Weight of the unit; 0 leaves only the pull (the image stays the start image). Default 1. */
  readonly unitWeight?: number;
  readonly lr?: number;
  readonly crops?: number;
  readonly noise?: number;
}

/** pullScale is measured by the run (the units' mean |activation| on their start images). */
export function accentuateParams(args: Partial<AccentuateArgs> = {}) {
  checkLr(args.lr);
  const weight = args.weight ?? 1;
  if (!(weight >= 0 && Number.isFinite(weight)))
    throw new DeepvisError(`--weight must be a number ≥ 0; got ${weight}`);
  return {
    method: 'accentuate',
    steps: args.steps ?? 256,
    lr: args.lr ?? 1,
    rule: 'nadam',
    weight,
    unitWeight: args.unitWeight ?? 1,
    crops: args.crops ?? 6,
    boxStart: 0.9,
    boxEnd: 0.8,
    noise: args.noise ?? 0.05,
    decay: 1.5,
    pullScale: 0,
    seed: args.seed ?? 0,
  };
}

/** An identity whose gradient also carries ∂(k · Σᵢ mean((xᵢ − anchorᵢ)²))/∂x: a pull the loop minimizes along with −Σ scores. */
export function pullToward(anchor: tf.Tensor4D, k: number): (x: tf.Tensor4D) => tf.Tensor4D {
  const per = (2 * k) / (anchor.size / anchor.shape[0]);
  const f = tf.customGrad(((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([x]);
    return {
      value: x.clone(),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
        tf.tidy(() => dy.add(saved.sub(anchor).mul(per))),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (x) => (k === 0 ? x : (f(x) as tf.Tensor4D));
}
