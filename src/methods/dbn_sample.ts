/**
 * Sampling from a deep belief net with one unit clamped (Erhan et al. 2009, §4): the unit
 * of hidden layer j is held at 1 while block Gibbs sampling runs in the RBM joining layers j−1 and
 * j; the resulting layer-(j−1) state is then sampled top-down through the lower RBMs' generative
 * weights to the input, whose mean-field image is returned. By default each unit runs ONE chain,
 * sampled top-down every 100 iterations ("running the randomly-initialized Markov chain and
 * top-down sampling every 100 iterations", §6.1): sample k is taken after iteration (k+1)·every.
 * `chains: 'independent'` runs N chains of `gibbs` steps each instead, one sample per chain. All
 * units run as one batch; the mean of a unit's samples is its picture.
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
  /** Samples per unit; default 10. */
  readonly samples?: number;
  /** 'one' (default, §4): one chain per unit, sampled every `every` iterations; 'independent': one chain per sample. */
  readonly chains?: 'one' | 'independent';
  /** 'one': Gibbs iterations between samples; default 100 (§6.1). */
  readonly every?: number;
  /** 'independent': Gibbs steps of each chain in the top RBM; default 200. */
  readonly gibbs?: number;
  readonly seed?: number;
}

export interface DbnSampleResult {
  /** [units × samples, H, W, C]: unit u's chains are rows u·samples … (u+1)·samples−1. Caller disposes. */
  samples: tf.Tensor4D;
  /** [units, H, W, C]: mean of each unit's samples. Caller disposes. */
  means: tf.Tensor4D;
  /** The Gibbs iteration (1-based count of iterations run) after which each sample k was taken. */
  takenAt: number[];
}

export const GIBBS_STEPS = 200; // in the top RBM when not told (the CLI shows it too)
export const SAMPLE_EVERY = 100; // Erhan et al. 2009 §6.1

export function sampleDbnUnits(model: VisModel, args: DbnSampleArgs): DbnSampleResult {
  const { stack, layer, j } = dbnLayer(model, args.layer);
  checkUnits(layer, args.units);
  const n = args.samples ?? 10;
  const one = (args.chains ?? 'one') === 'one';
  const every = args.every ?? SAMPLE_EVERY;
  const rng = new Rng(args.seed ?? 0);
  const u = args.units.length;
  const chains = one ? u : u * n;
  const Ws = Array.from({ length: j }, (_, l) => model.weightsOf(`h${l + 1}`));
  const vbs = stack.visibleBiases.slice(0, j).map((b) => tf.tensor1d(b));
  const bern = (p: tf.Tensor2D) =>
    tf.randomUniform(p.shape, 0, 1, 'float32', rng.seed()).less(p).toFloat() as tf.Tensor2D;
  const down = (l: number, h: tf.Tensor2D) => {
    const a = h.matMul(Ws[l][0] as tf.Tensor2D, false, true).add(vbs[l]) as tf.Tensor2D;
    return l === 0 && stack.visible === 'gaussian' ? a : (tf.sigmoid(a) as tf.Tensor2D);
  };
  const up = (l: number, v: tf.Tensor2D) =>
    tf.sigmoid(v.matMul(Ws[l][0] as tf.Tensor2D).add(Ws[l][1])) as tf.Tensor2D;
  // Layer 1's chain already ends at the input; higher layers go down through the lower RBMs.
  const topDown = (vProb: tf.Tensor2D) =>
    j === 1
      ? vProb.clone()
      : tf.tidy(() => {
          let state = vProb;
          for (let l = j - 2; l >= 0; l--) state = down(l, bern(state));
          return state;
        });
  const taken: tf.Tensor2D[] = [];
  const takenAt: number[] = [];
  try {
    const clamp = oneHot(
      one ? [...args.units] : args.units.flatMap((x) => new Array(n).fill(x) as number[]),
      layer.units,
    );
    const clampOn = (h: tf.Tensor2D) => h.mul(tf.scalar(1).sub(clamp)).add(clamp) as tf.Tensor2D;
    let h = tf.tidy(() => clampOn(bern(tf.fill([chains, layer.units], 0.5) as tf.Tensor2D)));
    let vProb = tf.tidy(() => down(j - 1, h));
    const steps = one ? n * every : (args.gibbs ?? GIBBS_STEPS);
    for (let t = 1; t <= steps; t++) {
      // Only the current state survives an iteration, so memory stays flat however long the chain.
      const [hNext, vNext] = tf.tidy(() => {
        const v = j === 1 && stack.visible === 'gaussian' ? vProb : bern(vProb);
        const hn = clampOn(bern(up(j - 1, v)));
        return [hn, down(j - 1, hn)];
      });
      tf.dispose([h, vProb]);
      [h, vProb] = [hNext, vNext];
      if (one && t % every === 0) {
        taken.push(topDown(vProb));
        takenAt.push(t);
      }
    }
    if (!one) {
      taken.push(topDown(vProb));
      takenAt.push(steps);
    }
    tf.dispose([h, vProb, clamp]);
    const [hh, ww, cc] = model.input.shape;
    // Rows unit-major: unit k's samples are k·n … k·n + n − 1 (taken[i] holds sample i of every unit when one chain).
    const samples = tf.tidy(
      () => (one ? tf.stack(taken, 1) : taken[0]).reshape([u * n, hh, ww, cc]) as tf.Tensor4D,
    );
    const means = tf.tidy(
      () =>
        samples
          .reshape([u, n, hh * ww * cc])
          .mean(1)
          .reshape([u, hh, ww, cc]) as tf.Tensor4D,
    );
    return { samples, means, takenAt: one ? takenAt : new Array<number>(n).fill(steps) };
  } finally {
    tf.dispose([...vbs, ...taken]);
  }
}
