/**
 * DeepDream (Mordvintsev, Olah & Tyka 2015; seed 001 §6).
 * (b) `dreamPhoto`: enhance what a layer sees in a photo — gradient ascent on the layer's mean
 *     squared activation, over octaves (coarse to fine; the detail added at one scale is carried
 *     to the next), with a random shift every step so tile seams and pixel-grid artefacts do not
 *     build up.
 * (c) `dreamZoom`: dream, zoom in a little, dream again — frames of an endless zoom.
 * (a) (a class or unit from noise with a neighbouring-pixel prior) is `dreamUnits`.
 *
 * deepvis models take a fixed input size, so a photo larger than it is dreamt in tiles of the
 * model's size, all tiles of a step in one batch; the random shift moves the tile grid every step.
 */
import { drain, type Steps } from '../optimize/drive.js';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import { totalVariation } from '../objectives/priors.js';
import { optimizeSteps } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { blurEvery } from '../projections/regularizers.js';
import { jitter, randomTransforms } from '../transforms/affine.js';
import { neutral, scoreImages, unitObjectiveOf, type MethodResult, type UnitRequest } from './common.js';

export interface DreamArgs {
  /** What to enhance: usually deepDream(layer). Scores of all tiles are summed. */
  readonly objective: Objective;
  readonly octaves?: number;
  readonly octaveScale?: number;
  readonly stepsPerOctave?: number;
  /** Step size as a fraction of the input range (gradient normalized by its mean |g|). */
  readonly lr?: number;
  readonly seed?: number;
  readonly onStep?: (info: { octave: number; step: number; score: number }) => void;
  readonly signal?: { readonly aborted: boolean };
}

export interface DreamResult {
  /** [H, W, C] at the photo's size (at least the model's input size). Caller disposes. */
  image: tf.Tensor3D;
  /** Objective per octave, at its first and last step. */
  octaves: { size: [number, number]; first: number; last: number }[];
  seconds: number;
}

/** Tile origins covering [0, n) with tiles of size t; the last tile is flush with the end. */
function origins(n: number, t: number): number[] {
  const o: number[] = [];
  for (let p = 0; p + t < n; p += t) o.push(p);
  o.push(n - t);
  return o;
}

/** Circular shift of x [1, H, W, C] by (dy, dx), differentiable. */
function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const sy = ((dy % h) + h) % h;
  const sx = ((dx % w) + w) % w;
  let y = x;
  if (sy) y = tf.concat([y.slice([0, h - sy], [-1, sy]), y.slice([0, 0], [-1, h - sy])], 1);
  if (sx) y = tf.concat([y.slice([0, 0, w - sx], [-1, -1, sx]), y.slice([0, 0, 0], [-1, -1, w - sx])], 2);
  return y;
}

/** One normalized ascent step on the whole image through tiles of the model's size. */
function tiledStep(model: VisModel, objective: Objective, x: tf.Tensor4D, lr: number, rng: Rng): { next: tf.Tensor4D; score: number } {
  const [th, tw] = model.input.shape;
  const [, h, w] = x.shape;
  const dy = rng.int(th);
  const dx = rng.int(tw);
  let score = 0;
  const next = tf.tidy(() => {
    const f = (img: tf.Tensor) => {
      const rolled = roll(img as tf.Tensor4D, dy, dx);
      const tiles: tf.Tensor4D[] = [];
      for (const oy of origins(h, th)) for (const ox of origins(w, tw)) tiles.push(rolled.slice([0, oy, ox, 0], [1, th, tw, -1]));
      const batch = tf.concat(tiles, 0);
      const acts = objective.layers.length ? model.activations(batch, objective.layers) : [];
      const s = objective.score(new Map(objective.layers.map((l, i) => [l, acts[i]])), batch).sum();
      score = s.dataSync()[0];
      return s;
    };
    const g = tf.grad(f)(x);
    const step = g.div(g.abs().mean().add(1e-8)).mul(lr);
    return x.add(step).clipByValue(...model.input.range) as tf.Tensor4D;
  });
  return { next, score };
}

export function* dreamPhotoSteps(model: VisModel, photo: tf.Tensor3D, args: DreamArgs): Steps<DreamResult> {
  const t0 = performance.now();
  const [th, tw, c] = model.input.shape;
  if (photo.shape[2] !== c) throw new DeepvisError(`the photo has ${photo.shape[2]} channels, the model takes ${c}`);
  const [lo, hi] = model.input.range;
  const octaves = args.octaves ?? 3;
  const scale = args.octaveScale ?? 1.4;
  const steps = args.stepsPerOctave ?? 20;
  const lr = (args.lr ?? 0.01) * (hi - lo);
  const rng = new Rng(args.seed ?? 0);
  // The finest octave is the photo's size, but never smaller than one tile.
  const H = Math.max(photo.shape[0], th);
  const W = Math.max(photo.shape[1], tw);
  const sizes = Array.from({ length: octaves }, (_, o) => {
    const f = scale ** (octaves - 1 - o);
    return [Math.max(th, Math.round(H / f)), Math.max(tw, Math.round(W / f))] as [number, number];
  });
  const base = tf.tidy(() => tf.image.resizeBilinear(photo.expandDims(0) as tf.Tensor4D, [H, W], true));
  let detail: tf.Tensor4D | null = null;
  const report: DreamResult['octaves'] = [];
  try {
    for (const [o, size] of sizes.entries()) {
      if (args.signal?.aborted) break;
      // Photo at this octave plus the detail dreamt so far, brought to this size.
      let x = tf.tidy(() => {
        const b = tf.image.resizeBilinear(base, size, true);
        return detail ? b.add(tf.image.resizeBilinear(detail, size, true)) : b;
      }) as tf.Tensor4D;
      const start = tf.tidy(() => tf.image.resizeBilinear(base, size, true)) as tf.Tensor4D;
      let first = NaN;
      let last = NaN;
      for (let s = 0; s < steps && !args.signal?.aborted; s++) {
        const { next, score } = tiledStep(model, args.objective, x, lr, rng);
        x.dispose();
        x = next;
        if (s === 0) first = score;
        last = score;
        args.onStep?.({ octave: o, step: s, score });
        yield s;
      }
      report.push({ size, first, last });
      detail?.dispose();
      detail = tf.tidy(() => x.sub(start)) as tf.Tensor4D;
      start.dispose();
      x.dispose();
    }
    const image = tf.tidy(() => base.add(detail ? tf.image.resizeBilinear(detail, [H, W], true) : 0).clipByValue(lo, hi).squeeze([0])) as tf.Tensor3D;
    return { image, octaves: report, seconds: (performance.now() - t0) / 1000 };
  } finally {
    base.dispose();
    detail?.dispose();
  }
}

export function dreamPhoto(model: VisModel, photo: tf.Tensor3D, args: DreamArgs): DreamResult {
  return drain(dreamPhotoSteps(model, photo, args));
}

/** Crops the centre 1/zoom of x [H, W, C] and resizes it back to H×W. */
export function zoomIn(x: tf.Tensor3D, zoom: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = x.shape;
    const ch = Math.max(1, Math.round(h / zoom));
    const cw = Math.max(1, Math.round(w / zoom));
    const crop = x.slice([Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), 0], [ch, cw, -1]);
    return tf.image.resizeBilinear(crop, [h, w], true) as tf.Tensor3D;
  });
}

export interface ZoomArgs extends DreamArgs {
  readonly frames: number;
  /** Zoom factor per frame; default 1.05. */
  readonly zoom?: number;
}

/** Frames of dream → zoom → dream (seed 001 Fig. 10). Each frame is dreamt at the finest octave only. */
export function dreamZoom(model: VisModel, start: tf.Tensor3D, args: ZoomArgs): { frames: tf.Tensor3D[]; seconds: number } {
  const t0 = performance.now();
  const frames: tf.Tensor3D[] = [];
  let x = start.clone();
  try {
    for (let k = 0; k < args.frames && !args.signal?.aborted; k++) {
      const d = dreamPhoto(model, x, { ...args, octaves: k === 0 ? args.octaves : 1, seed: (args.seed ?? 0) + k });
      frames.push(d.image);
      x.dispose();
      x = zoomIn(d.image, args.zoom ?? 1.05);
    }
  } catch (e) {
    frames.forEach((f) => f.dispose());
    throw e;
  } finally {
    x.dispose();
  }
  return { frames, seconds: (performance.now() - t0) / 1000 };
}

export interface DreamUnitsArgs extends UnitRequest {
  /** Weight of the neighbouring-pixel-correlation prior (total variation); default 0.3 × objective scale. */
  readonly tv?: number;
  readonly lr?: number;
}

/**
 * (a) Units or classes from noise with the prior "neighbouring pixels are correlated": total
 * variation in the objective, a light blur every 8 steps, and jitter — all units in one batch.
 */
export function* dreamUnitsSteps(model: VisModel, args: DreamUnitsArgs): Steps<MethodResult> {
  const [lo, hi] = model.input.range;
  const [h, w, c] = model.input.shape;
  const rng = new Rng(args.seed ?? 0);
  const unitObj = unitObjectiveOf(model, args);
  const tvWeight = args.tv ?? 30;
  const objective = unitObj.plus(totalVariation(2).times(tvWeight / (hi - lo) ** 2));
  const steps = args.steps ?? 200;
  const init = tf.randomUniform([args.units.length, h, w, c], lo, hi, 'float32', rng.seed()) as tf.Tensor4D;
  const param = pixels(init);
  init.dispose();
  const j = Math.max(1, Math.round(Math.max(h, w) / 16));
  try {
    const run = yield* optimizeSteps(model, param, objective, {
      steps,
      lr: (args.lr ?? 0.02) * (hi - lo),
      rule: 'normalized',
      transform: randomTransforms([jitter(j)], rng, neutral(model)),
      projections: [blurEvery(0.5, 8), clampRange([lo, hi])],
      keep: 'last',
      onStep: args.onStep,
      signal: args.signal,
    });
    const own = scoreImages(model, unitObj, run.images);
    return {
      images: run.images,
      units: args.units.map((unit, i) => ({ unit, activation: own[i], steps: run.steps[i] })),
      objective: objective.description,
      params: { method: 'dream-units', steps, lr: args.lr ?? 0.02, tv: tvWeight, jitter: j, blur: { sigma: 0.5, every: 8 } },
      seconds: run.seconds,
    };
  } finally {
    param.dispose();
  }
}

export function dreamUnits(model: VisModel, args: DreamUnitsArgs): MethodResult {
  return drain(dreamUnitsSteps(model, args));
}
