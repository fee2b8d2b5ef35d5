/**
 * Sampling from a deep belief net with one unit clamped (Erhan et al. 2009, seed 002 §4): the unit
 * of hidden layer j is held at 1 while block Gibbs sampling runs in the RBM joining layers j−1 and
 * j; the resulting layer-(j−1) state is then sampled top-down through the lower RBMs' generative
 * weights to the input, whose mean-field image is returned. N chains per unit run as one batch,
 * all units at once; their mean is the unit's picture.
 */
import * as tf from '@tensorflow/tfjs';
import { oneHot } from '../engine/one_hot.js';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { checkUnits } from '../objectives/units.js';
import { dbnLayer } from './dbn_stack.js';

export interface DbnSampleArgs {
  /** A hidden layer of the DBN: h1, h2, … */
  readonly layer: string;
  readonly units: readonly number[];
  /** Chains per unit; default 10. */
  readonly samples?: number;
  /** Gibbs steps in the top RBM; default 200. */
  readonly gibbs?: number;
  readonly seed?: number;
}

export interface DbnSampleResult {
  /** [units × samples, H, W, C]: unit u's chains are rows u·samples … (u+1)·samples−1. Caller disposes. */
  samples: tf.Tensor4D;
  /** [units, H, W, C]: mean of each unit's samples. Caller disposes. */
  means: tf.Tensor4D;
}

export const GIBBS_STEPS = 200; // in the top RBM when not told (the CLI shows it too)

export function sampleDbnUnits(model: VisModel, args: DbnSampleArgs): DbnSampleResult {
  const { stack, layer, j } = dbnLayer(model, args.layer);
  checkUnits(layer, args.units);
  const n = args.samples ?? 10;
  const steps = args.gibbs ?? GIBBS_STEPS;
  const rng = new Rng(args.seed ?? 0);
  const chains = args.units.length * n;
  const Ws = Array.from({ length: j }, (_, l) => model.weightsOf(`h${l + 1}`));
  const vbs = stack.visibleBiases.slice(0, j).map((b) => tf.tensor1d(b));
  const bern = (p: tf.Tensor2D) => tf.randomUniform(p.shape, 0, 1, 'float32', rng.seed()).less(p).toFloat() as tf.Tensor2D;
  const down = (l: number, h: tf.Tensor2D) => {
    const a = h.matMul(Ws[l][0] as tf.Tensor2D, false, true).add(vbs[l]) as tf.Tensor2D;
    return l === 0 && stack.visible === 'gaussian' ? a : (tf.sigmoid(a) as tf.Tensor2D);
  };
  const up = (l: number, v: tf.Tensor2D) => tf.sigmoid(v.matMul(Ws[l][0] as tf.Tensor2D).add(Ws[l][1])) as tf.Tensor2D;
  try {
    const clamp = oneHot(args.units.flatMap((u) => new Array(n).fill(u) as number[]), layer.units);
    const clampOn = (h: tf.Tensor2D) => h.mul(tf.scalar(1).sub(clamp)).add(clamp) as tf.Tensor2D;
    let h = tf.tidy(() => clampOn(bern(tf.fill([chains, layer.units], 0.5) as tf.Tensor2D)));
    let vProb = tf.tidy(() => down(j - 1, h));
    for (let t = 0; t < steps; t++) {
      // Only the current state survives an iteration, so memory stays flat however long the chain.
      const [hNext, vNext] = tf.tidy(() => {
        const v = j === 1 && stack.visible === 'gaussian' ? vProb : bern(vProb);
        const hn = clampOn(bern(up(j - 1, v)));
        return [hn, down(j - 1, hn)];
      });
      tf.dispose([h, vProb]);
      [h, vProb] = [hNext, vNext];
    }
    // Layer 1's chain already ends at the input; higher layers go down through the lower RBMs.
    const visible = j === 1 ? vProb : tf.tidy(() => {
      let state = vProb;
      for (let l = j - 2; l >= 0; l--) state = down(l, bern(state));
      return state;
    });
    tf.dispose(j === 1 ? [h, clamp] : [h, vProb, clamp]);
    const [hh, ww, cc] = model.input.shape;
    const samples = tf.tidy(() => visible.reshape([chains, hh, ww, cc]) as tf.Tensor4D);
    const means = tf.tidy(() => visible.reshape([args.units.length, n, hh * ww * cc]).mean(1).reshape([args.units.length, hh, ww, cc]) as tf.Tensor4D);
    visible.dispose();
    return { samples, means };
  } finally {
    tf.dispose(vbs);
  }
}
