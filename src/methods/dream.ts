/**
 * DeepDream (Mordvintsev, Olah & Tyka 2015; Cavojska 2015 §6), (b): enhance what a layer sees in a
 * photo — ascent (step lr·g/mean|g|) on the layer's mean squared activation over octaves, coarse to
 * fine, carrying the detail added at one scale to the next. The photo is a canvas larger than the
 * model's input, dreamt in model-sized tiles (one batch) shifted at random every step (tiles.ts).
 * (c), the endless zoom, is zoom.ts; (a), units from noise with a neighbouring-pixel prior, dream_units.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import { checkLr } from '../optimize/divergence.js';
import type { Steps } from '../optimize/drive.js';
import { optimizeOwned, type StepInfo } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { octaveSizes, randomTiles } from '../transforms/tiles.js';
import { drained, type RunControl } from './recipe.js';

/** Defaults: 3 octaves, each 1.4× the previous, 20 steps each; lr (a fraction of the input range) 0.01. */
export interface DreamArgs extends Omit<RunControl, 'steps' | 'onStep'> {
  /** What to enhance: usually deepDream(layer). Scores of all tiles are summed. */
  readonly objective: Objective;
  readonly octaves?: number;
  readonly octaveScale?: number;
  readonly stepsPerOctave?: number;
  readonly lr?: number;
  readonly onStep?: (info: StepInfo & { octave: number }) => void;
}

export interface DreamResult {
  /** [H, W, C] at the photo's size (at least the model's input size). Caller disposes. */
  image: tf.Tensor3D;
  /** Objective per octave, at its first and last step. */
  octaves: { size: [number, number]; first: number; last: number }[];
  params: ReturnType<typeof dreamParams>;
  seconds: number;
}

export function dreamParams(args: Omit<DreamArgs, 'objective'>) {
  checkLr(args.lr);
  return {
    octaves: args.octaves ?? 3,
    octaveScale: args.octaveScale ?? 1.4,
    stepsPerOctave: args.stepsPerOctave ?? 20,
    lr: args.lr ?? 0.01,
    seed: args.seed ?? 0,
  };
}

export function* dreamPhotoSteps(
  model: VisModel,
  photo: tf.Tensor3D,
  args: DreamArgs,
): Steps<DreamResult> {
  const [th, tw, c] = model.input.shape;
  if (photo.shape[2] !== c)
    throw new DeepvisError(`the photo has ${photo.shape[2]} channels, the model takes ${c}`);
  const p = dreamParams(args);
  const [lo, hi] = model.input.range;
  const rng = new Rng(p.seed);
  const [H, W] = [Math.max(photo.shape[0], th), Math.max(photo.shape[1], tw)];
  const base = tf.tidy(() =>
    tf.image.resizeBilinear(photo.expandDims(0) as tf.Tensor4D, [H, W], true),
  );
  let detail: tf.Tensor4D | null = null;
  const octaves: DreamResult['octaves'] = [];
  const t0 = performance.now();
  try {
    // The finest octave is the photo's size, but never smaller than one tile.
    for (const [o, size] of octaveSizes([H, W], [th, tw], p.octaves, p.octaveScale).entries()) {
      if (args.signal?.aborted) break;
      // The photo at this octave plus the detail dreamt so far, brought to this size.
      const at = (x: tf.Tensor4D) => tf.image.resizeBilinear(x, size, true);
      const param = pixels(() => (detail ? at(base).add(at(detail)) : at(base)) as tf.Tensor4D);
      const run = yield* optimizeOwned(model, param, args.objective, {
        steps: p.stepsPerOctave,
        lr: p.lr * (hi - lo),
        rule: 'mean',
        transform: randomTiles([th, tw], rng),
        projections: [clampRange([lo, hi])],
        keep: 'last',
        onStep: (info) => args.onStep?.({ ...info, octave: o }),
        signal: args.signal,
      });
      octaves.push({
        size,
        first: run.history[0]?.[0] ?? NaN,
        last: run.history[run.history.length - 1]?.[0] ?? NaN,
      });
      detail?.dispose();
      detail = tf.tidy(() => run.images.sub(at(base))) as tf.Tensor4D;
      run.images.dispose();
    }
    const image = tf.tidy(() =>
      base
        .add(detail ? tf.image.resizeBilinear(detail, [H, W], true) : 0)
        .clipByValue(lo, hi)
        .squeeze([0]),
    ) as tf.Tensor3D;
    return { image, octaves, params: p, seconds: (performance.now() - t0) / 1000 };
  } finally {
    tf.dispose([base, ...(detail ? [detail] : [])]);
  }
}

export const dreamPhoto = drained(dreamPhotoSteps);
