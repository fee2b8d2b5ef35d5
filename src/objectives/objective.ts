/**
 * Objective: activations → one score per batch item; higher is always better. Objectives combine
 * (plus / minus / times) into new ones and describe themselves for logs and JSON.
 */
import * as tf from '@tensorflow/tfjs';

export type Activations = ReadonlyMap<string, tf.Tensor>;

export class Objective {
  constructor(
    /** Layers whose activations the score reads. */
    readonly layers: readonly string[],
    /** scores [N] from the activations of one forward pass over a batch of N images. */
    readonly score: (acts: Activations) => tf.Tensor1D,
    readonly description: string,
  ) {}

  plus(other: Objective | number): Objective {
    if (typeof other === 'number') {
      return new Objective(this.layers, (a) => this.score(a).add(other), `${this.description} + ${other}`);
    }
    return new Objective(
      [...new Set([...this.layers, ...other.layers])],
      (a) => tf.add(this.score(a), other.score(a)),
      `${this.description} + ${other.description}`,
    );
  }

  minus(other: Objective): Objective {
    return this.plus(other.times(-1));
  }

  times(k: number): Objective {
    return new Objective(this.layers, (a) => this.score(a).mul(k), `${k}·(${this.description})`);
  }

  toJSON(): string {
    return this.description;
  }
}

/** Sum of objectives. */
export function sum(...objectives: Objective[]): Objective {
  return objectives.reduce((a, b) => a.plus(b));
}
