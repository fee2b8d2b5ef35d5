/**
 * Objective: activations (and the image itself, for priors such as total variation) → one score
 * per batch item; higher is always better. Objectives combine (plus / minus / times) into new ones
 * and describe themselves for logs and JSON.
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../model/types.js';

export type Activations = ReadonlyMap<string, tf.Tensor>;

export class Objective {
  constructor(
    /** Layers whose activations the score reads. */
    readonly layers: readonly string[],
    /**
     * scores [N] from the activations of one forward pass over a batch of N images, and the
     * images as the parameterization produced them (before any robustness transform).
     */
    readonly score: (acts: Activations, image: tf.Tensor4D) => tf.Tensor1D,
    readonly description: string,
  ) {}

  /**
   * The one place an objective meets a model: scores [N] of the model inputs x [N, H, W, C].
   * `image` is what priors read (the parameterization's image before robustness transforms);
   * default x itself.
   */
  evaluate(model: VisModel, x: tf.Tensor4D, image: tf.Tensor4D = x): tf.Tensor1D {
    const acts = this.layers.length ? model.activations(x, this.layers) : [];
    return this.score(new Map(this.layers.map((l, i) => [l, acts[i]])), image);
  }

  plus(other: Objective | number): Objective {
    if (typeof other === 'number') {
      return new Objective(
        this.layers,
        (a, x) => this.score(a, x).add(other),
        `${this.description} + ${other}`,
      );
    }
    return new Objective(
      [...new Set([...this.layers, ...other.layers])],
      (a, x) => tf.add(this.score(a, x), other.score(a, x)),
      `${this.description} + ${other.description}`,
    );
  }

  minus(other: Objective): Objective {
    return this.plus(other.times(-1));
  }

  times(k: number): Objective {
    return new Objective(
      this.layers,
      (a, x) => this.score(a, x).mul(k),
      `${k}·(${this.description})`,
    );
  }

  toJSON(): string {
    return this.description;
  }
}

/** Sum of objectives. */
export function sum(...objectives: Objective[]): Objective {
  return objectives.reduce((a, b) => a.plus(b));
}
