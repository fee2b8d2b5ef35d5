/**
 * Nadam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"), as Keras implements it — the
 * optimizer MaCo's reference code uses (Xplique: tf.keras.optimizers.Nadam(1.0)); tfjs has none.
 * Keras's momentum schedule μ_t = β₁(1 − ½·0.96^(0.004·t)), per variable:
 *   m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²
 *   m̂ = μ_{t+1}·m / (1 − Πμ_{≤t+1}) + (1 − μ_t)·g / (1 − Πμ_{≤t}),   v̂ = v / (1 − β₂^t)
 *   θ ← θ − lr · m̂ / (√v̂ + ε)
 * Each variable keeps its own step count, so applying gradients one variable at a time (as the
 * loop does) is the same as applying them together.
 */
import * as tf from '@tensorflow/tfjs';
import { registeredVariable } from '../engine/internals.js';

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
  t: number;
  uProduct: number;
}

export class Nadam extends tf.Optimizer {
  static get className(): string {
    return 'DeepvisNadam';
  }

  private readonly slots = new Map<string, Slot>();

  constructor(
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    super();
  }

  applyGradients(
    variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[],
  ): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    for (const { name, tensor: g } of list) {
      const variable = registeredVariable(name);
      let s = this.slots.get(name);
      if (!s) {
        const zeros = () => {
          const z = tf.zerosLike(variable);
          const slot = tf.variable(z, false);
          z.dispose();
          return slot;
        };
        s = { m: zeros(), v: zeros(), t: 0, uProduct: 1 };
        this.slots.set(name, s);
      }
      const slot = s;
      slot.t += 1;
      const mu = (t: number) => this.beta1 * (1 - 0.5 * 0.96 ** (0.004 * t));
      const uT = mu(slot.t);
      const uT1 = mu(slot.t + 1);
      const prodT = slot.uProduct * uT;
      const prodT1 = prodT * uT1;
      slot.uProduct = prodT;
      tf.tidy(() => {
        const m = slot.m.mul(this.beta1).add(g.mul(1 - this.beta1));
        const v = slot.v.mul(this.beta2).add(g.square().mul(1 - this.beta2));
        slot.m.assign(m);
        slot.v.assign(v);
        const mHat = m.mul(uT1 / (1 - prodT1)).add(g.mul((1 - uT) / (1 - prodT)));
        const vHat = v.div(1 - this.beta2 ** slot.t);
        variable.assign(
          variable.sub(mHat.mul(this.learningRate).div(vHat.sqrt().add(this.epsilon))),
        );
      });
    }
  }

  override dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }
}

export const nadam = (lr: number) => new Nadam(lr);
