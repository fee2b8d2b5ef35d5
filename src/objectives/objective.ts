/**
 * Objective: activations (and the image itself, for priors such as total variation) → one score
 * per batch item; higher is always better. Objectives combine (plus / minus / times) into new ones
 * and describe themselves for logs and JSON.
 */
import * as tf from '@tensorflow/tfjs';

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

  plus(other: Objective | number): Objective {
    if (typeof other === 'number') {
      return new Objective(this.layers, (a, x) => this.score(a, x).add(other), `${this.description} + ${other}`);
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
    return new Objective(this.layers, (a, x) => this.score(a, x).mul(k), `${k}·(${this.description})`);
  }

  toJSON(): string {
    return this.description;
  }
}

/** Sum of objectives. */
export function sum(...objectives: Objective[]): Objective {
  return objectives.reduce((a, b) => a.plus(b));
}
