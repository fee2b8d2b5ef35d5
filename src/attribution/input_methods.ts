/**
 * Two maps read straight off the input: Gradient × Input (Shrikumar et al. 2016; exact on a linear
 * model, where it is w ⊙ x) and occlusion (Zeiler & Fergus 2014) as an attribution map: each
 * image's per-pixel mean drop of the target when a square of the neutral value covers the pixel
 * (analysis/occlusion.ts, the same numbers `deepvis occlusion` draws), repeated over channels so
 * its shape is every other method's.
 */
import * as tf from '@tensorflow/tfjs';
import { occlusion, type OcclusionArgs } from '../analysis/occlusion.js';
import type { VisModel } from '../model/types.js';
import type { ResolvedTarget } from '../objectives/target.js';
import { chunkedInputGradient } from './chunks.js';
import { defineAttribution } from './method.js';

export function gradientTimesInput(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  maxBatch?: number,
): tf.Tensor4D {
  return tf.tidy(
    () => chunkedInputGradient(model, x, t, { relu: 'gradient' }, maxBatch).mul(x) as tf.Tensor4D,
  );
}

export type OcclusionMapArgs = Pick<OcclusionArgs, 'size' | 'stride' | 'fill'> & {
  readonly maxBatch?: number;
};

/** Every image's occlusion heat [N, H, W], for its own unit (and neuron). */
export function occlusionMap(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  args: OcclusionMapArgs = {},
): tf.Tensor3D {
  const [n, h, w] = x.shape;
  const heats = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const xi = x.slice([i, 0, 0, 0], [1, -1, -1, -1]);
    try {
      const neuron = t.neurons?.[i];
      const m = occlusion(model, xi, {
        layer: t.layer.name,
        units: [t.units[i]],
        neuron: neuron ? [neuron[0], neuron[1]] : undefined,
        size: args.size,
        stride: args.stride,
        fill: args.fill,
        batchSize: args.maxBatch,
      });
      heats.set(m.heat, i * h * w);
    } finally {
      xi.dispose();
    }
  }
  return tf.tensor3d(heats, [n, h, w]);
}

export const gradientInputMethod = defineAttribution({
  name: 'gradient-input',
  title: 'Gradient × Input',
  short: 'g×x',
  paper: 'Shrikumar et al. 2016',
  summary: 'the input gradient times the input (w ⊙ x on a linear model)',
  idea: "The input gradient multiplied elementwise by the input. On a linear model it is each input's exact contribution to the score, w·x.",
  signed: true,
  display: 'heat',
  access: 'gradient',
  options: {},
  timesInput: () => 0,
  explain: ({ model, x, target, maxBatch }) => ({
    map: gradientTimesInput(model, x, target, maxBatch),
  }),
});

export const occlusionMethod = defineAttribution({
  name: 'occlusion',
  title: 'occlusion',
  short: 'occl',
  paper: 'Zeiler & Fergus 2014',
  summary: "each pixel's mean drop of the target when a square of the neutral value covers it",
  idea: "A square of the model's neutral value slides over the input, and the map records how much the target's score drops wherever it covers. It needs forward passes only: each pixel gets the mean drop over the squares that covered it.",
  signed: true,
  display: 'heat',
  access: 'forward',
  readings: ['unit'],
  options: {
    size: {
      type: 'int',
      min: 1,
      help: 'side of the occluding square in pixels (default a quarter of the input)',
    },
    stride: { type: 'int', min: 1, help: 'step between squares (default half the size)' },
  },
  explain: ({ model, x, target, options, maxBatch }) => {
    const heat = occlusionMap(model, x, target, {
      size: options.size,
      stride: options.stride,
      maxBatch,
    });
    return {
      heat,
      map: tf.tidy(() => heat.expandDims(3).tile([1, 1, 1, x.shape[3]]) as tf.Tensor4D),
    };
  },
});
