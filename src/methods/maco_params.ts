/**
 * MaCo's arguments and their resolution (`macoParams`: what the run uses and its JSON reports).
 *
 * Per-input-size defaults (Xplique's are for 224-pixel models on a 512 canvas, ≈ 2.3×). Above 32
 * pixels the canvas is twice the input side, so a 50% crop is the model's own scale, and the crops
 * shrink from 50% to 5% of the side from 128 pixels up, to 25% at 33 (linear in between): a 5% crop
 * of a small canvas is a few pixels blown up, nothing the model has seen. At ≤ 32 pixels the
 * canvas is the input itself and the crops shrink from 100% to 50%: on the 2-epoch MNIST CNN's
 * conv3 (4 live channels, 128 steps) the full image then reaches 0.26/−0.07/0.04/0.17 against
 * 0.19/−0.22/−0.07/0.02 with the 2× canvas and 50% → 25% crops — the picture the user sees is the
 * whole canvas, and a digit model has one scale. Crops per unit: 32 (Xplique), fewer when
 * units × crops would pass 512 views per step (at least 4). Noise 0.08 is in units of half the
 * input range (Xplique's range is −1…1).
 *
 * Grey models: without a data set the magnitude is 1/f (spectrum.ts oneOverF), and each image gets
 * a free brightness and contrast (`levels`, param/phase.ts). The standardized phase image sits at
 * mid-grey through the sigmoid, and a digit model's units want ink on a dark ground: on the 3-epoch
 * MNIST CNN's conv3 (units 0–3, 128 steps, 1/f) the units reach 0.34/0.15/0.06/0.23 with levels,
 * −0.34/0.08/−0.43/0.14 without.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { startGradient } from '../metrics/blank.js';
import { neutral } from '../model/neutral.js';
import type { VisModel } from '../model/types.js';
import { checkLr } from '../optimize/divergence.js';
import { NATURAL_SPECTRUM } from '../param/natural_spectrum.js';
import { oneOverF, type Spectrum } from '../param/spectrum.js';
import type { UnitRequest } from './recipe.js';

export interface MacoArgs extends UnitRequest {
  readonly lr?: number;
  /** Fixed magnitude; default the skimage photographs' for colour models, 1/f for others (a data set's: datasetSpectrum). */
  readonly magnitude?: Spectrum;
  /** Canvas [H, W]; default twice the model's input above 32 pixels, the input itself at ≤ 32. */
  readonly canvas?: readonly [number, number];
  readonly crops?: number;
  /** Mean crop side at the first and last step, fractions of the canvas side. */
  readonly boxStart?: number;
  readonly boxEnd?: number;
  readonly noise?: number;
  /** Steps at the start with a leaky-ReLU gradient (Xplique's warm-up); default 0. */
  readonly warmup?: number;
  /** Free brightness and contrast per image (param/phase.ts); default on for grey models. */
  readonly levels?: boolean;
}

/**
 * Xplique's leaky warm-up where it helps: 16 steps when some unit's gradient is 0 at the neutral
 * image but not through leaky ReLUs, else 0.
 */
export function autoWarmup(model: VisModel, req: UnitRequest): number {
  const x = tf.fill([req.units.length, ...model.input.shape], neutral(model)) as tf.Tensor4D;
  try {
    const g = startGradient(model, x, { layer: req.layer, units: req.units, neuron: req.neuron });
    return Array.from(g.stock).some((v, i) => v === 0 && g.leaky[i] > 0) ? 16 : 0;
  } finally {
    x.dispose();
  }
}

/**
 * The fixed magnitude: the one given (the data set's), else the photographs' for colour models,
 * else 1/f on the canvas grid (grey models without a data set).
 */
export function macoMagnitude(
  model: VisModel,
  args: Partial<MacoArgs>,
  canvas: readonly [number, number],
): Spectrum {
  const c = model.input.shape[2];
  return args.magnitude ?? (c === 3 ? NATURAL_SPECTRUM : oneOverF(c, canvas[0], canvas[1]));
}

export function macoParams(model: VisModel, args: Partial<MacoArgs> = {}) {
  checkLr(args.lr);
  const [h, w] = model.input.shape;
  const side = Math.max(h, w);
  const units = Math.max(1, args.units?.length ?? 1);
  const small = side <= 32;
  const boxEnd =
    args.boxEnd ?? (small ? 0.5 : side >= 128 ? 0.05 : 0.25 - (0.2 * (side - 33)) / 95);
  const k = small ? 1 : 2;
  const warmup = args.warmup ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0))
    throw new DeepvisError(`--warmup must be a whole number of steps ≥ 0; got ${warmup}`);
  const canvas = args.canvas ?? ([k * h, k * w] as const);
  return {
    method: 'maco',
    steps: args.steps ?? 256,
    lr: args.lr ?? 1,
    rule: 'nadam',
    canvas,
    crops: args.crops ?? Math.max(4, Math.min(32, Math.floor(512 / units))),
    boxStart: args.boxStart ?? (small ? 1 : 0.5),
    boxEnd,
    noise: args.noise ?? 0.08,
    warmup,
    levels: args.levels ?? model.input.shape[2] !== 3,
    magnitude: macoMagnitude(model, args, canvas).source,
    seed: args.seed ?? 0,
  };
}
