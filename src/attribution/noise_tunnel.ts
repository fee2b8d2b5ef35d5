/**
 * The noise tunnel (Captum's NoiseTunnel): any attribution method run on noisy copies of each
 * input, its maps combined — the mean (SmoothGrad, Smilkov et al. 2017), the mean of squares
 * (SmoothGrad², Hooker et al. 2019) or the variance (VarGrad, Adebayo et al. 2018). Noise σ is a
 * fraction of the input range (Smilkov et al. recommend 10–20%). All copies of a batch are drawn at
 * once from the run's seed (an image's noise depends on its batch: the one stated exception to
 * "the same map in any batch"), and go through the wrapped method `maxBatch` rows at a time, so
 * the map does not depend on the chunk size. The wrapper keeps the wrapped method's options.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import type { ResolvedTarget } from '../objectives/target.js';
import type { Options, OptionSpecs } from '../options.js';
import { chunkRanges, defaultMaxBatch, rowTarget } from './chunks.js';
import { saliencyMethod } from './gradients.js';
import type { AnyAttribution, AttributionMethod, ExplainContext, Explanation } from './method.js';

/** Noisy copies per image, and σ as a fraction of the input range, when none are given. */
export const NOISE_TUNNEL_DEFAULTS = { samples: 25, noise: 0.15 } as const;

export type Aggregate = 'mean' | 'square' | 'variance';

const TUNNEL_OPTIONS = {
  samples: {
    type: 'int',
    min: 1,
    help: 'noisy copies per image',
    default: NOISE_TUNNEL_DEFAULTS.samples,
  },
  noise: {
    type: 'number',
    help: 'noise σ as a fraction of the input range',
    default: NOISE_TUNNEL_DEFAULTS.noise,
  },
} as const satisfies OptionSpecs;

type TunnelOptions = Options<typeof TUNNEL_OPTIONS>;

const combine = (g: tf.Tensor, how: Aggregate): tf.Tensor =>
  how === 'square'
    ? g.square().mean(1)
    : how === 'variance'
      ? tf.moments(g, 1).variance
      : g.mean(1);

/** The wrapped method's maps for every noisy copy ([N·S, …] in image-major order), `chunk` rows at a time. */
function noisyMaps(
  base: AnyAttribution,
  ctx: ExplainContext,
  noisy: tf.Tensor4D,
  samples: number,
  chunk: number,
): { map: tf.Tensor4D; heat?: tf.Tensor3D } {
  const parts: Explanation[] = [];
  try {
    for (const [from, to] of chunkRanges(noisy.shape[0], chunk)) {
      const rows = {
        ...ctx,
        x: noisy.slice([from, 0, 0, 0], [to - from, -1, -1, -1]) as tf.Tensor4D,
        target: rowTarget(ctx.target, samples, from, to),
      };
      parts.push(
        tf.tidy(
          () => base.explain(rows) as unknown as tf.TensorContainer,
        ) as unknown as Explanation,
      );
    }
    const heats = parts.map((p) => p.heat).filter((h): h is tf.Tensor3D => h != null);
    return {
      map: tf.concat(
        parts.map((p) => p.map),
        0,
      ),
      heat: heats.length === parts.length ? tf.concat(heats, 0) : undefined,
    };
  } finally {
    tf.dispose(parts.flatMap((p) => [p.map, ...(p.heat ? [p.heat] : [])]));
  }
}

/** `base` through the noise tunnel: a method of its own, with the tunnel's options added to the base's. */
export function noiseTunnel(
  base: AnyAttribution,
  how: {
    name: string;
    short: string;
    title: string;
    paper: string;
    idea?: string;
    aggregate: Aggregate;
  },
): AnyAttribution {
  const m: AttributionMethod = {
    ...base,
    name: how.name,
    title: how.title,
    short: how.short,
    paper: how.paper,
    idea: how.idea,
    summary: `${how.title}: ${base.name} over noisy copies of the input, ${how.aggregate === 'mean' ? 'averaged' : how.aggregate === 'square' ? 'squared and averaged' : 'their variance'}`,
    signed: how.aggregate === 'mean' && base.signed,
    stochastic: true,
    timesInput: undefined,
    options: { ...base.options, ...TUNNEL_OPTIONS },
    expands: (o) => ({
      rows: (o as TunnelOptions).samples * (base.expands?.(o).rows ?? 1),
      what: `${how.title} samples`,
      lower: '--samples',
    }),
    explain: (ctx) => {
      const { samples, noise } = ctx.options as TunnelOptions;
      const [lo, hi] = ctx.model.input.range;
      const chunk = ctx.maxBatch ?? defaultMaxBatch(ctx.model, ctx.target.layer.name);
      return tf.tidy(() => {
        const [n, h, w, c] = ctx.x.shape;
        const copies = ctx.x
          .expandDims(1)
          .tile([1, samples, 1, 1, 1])
          .reshape([n * samples, h, w, c]);
        // Through Rng: tfjs's randomNormal takes seed 0 as "no seed" (Math.random), so seed 0 was not reproducible.
        const noisy = copies.add(
          tf.randomNormal(copies.shape, 0, noise * (hi - lo), 'float32', new Rng(ctx.seed).seed()),
        ) as tf.Tensor4D;
        const maps = noisyMaps(base, ctx, noisy, samples, chunk);
        const map = combine(maps.map.reshape([n, samples, h, w, c]), how.aggregate) as tf.Tensor4D;
        return maps.heat
          ? {
              map,
              heat: combine(maps.heat.reshape([n, samples, h, w]), how.aggregate) as tf.Tensor3D,
            }
          : { map };
      });
    },
  };
  return m;
}

export const smoothGradMethod = noiseTunnel(saliencyMethod, {
  name: 'smoothgrad',
  short: 'smooth',
  title: 'SmoothGrad',
  paper: 'Smilkov et al. 2017',
  aggregate: 'mean',
  idea: 'The saliency maps of many copies of the input with Gaussian noise added are averaged. The noise averages out the sharp local fluctuations of the gradient and leaves a cleaner map.',
});
export const smoothGrad2Method = noiseTunnel(saliencyMethod, {
  name: 'smoothgrad2',
  short: 'smooth2',
  title: 'SmoothGrad²',
  paper: 'Hooker et al. 2019',
  aggregate: 'square',
  idea: "Like SmoothGrad, but the noisy copies' maps are squared before they are averaged. Squaring favours the pixels that matter consistently under the noise.",
});
export const varGradMethod = noiseTunnel(saliencyMethod, {
  name: 'vargrad',
  short: 'vargrad',
  title: 'VarGrad',
  paper: 'Adebayo et al. 2018',
  aggregate: 'variance',
  idea: 'The map is the variance of the saliency maps over noisy copies of the input. Pixels whose gradient changes most under the noise stand out.',
});

/** SmoothGrad of a target, plain: the noise tunnel's mean over saliency maps ([N, H, W, C]; caller disposes). */
export function smoothGrad(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  args: { samples?: number; noise?: number; seed?: number; maxBatch?: number } = {},
): tf.Tensor4D {
  const options = {
    samples: args.samples ?? NOISE_TUNNEL_DEFAULTS.samples,
    noise: args.noise ?? NOISE_TUNNEL_DEFAULTS.noise,
  };
  return smoothGradMethod.explain({
    model,
    x,
    target: t,
    options,
    seed: args.seed ?? 0,
    maxBatch: args.maxBatch,
  }).map;
}
