/** DeepDream's endless zoom (Cavojska 2015 Fig. 10): dream, zoom into the centre a little, dream again. */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../model/types.js';
import type { Steps } from '../optimize/drive.js';
import { drained } from './recipe.js';
import { dreamPhotoSteps, type DreamArgs } from './dream.js';

/** The zoom per frame when none is given. */
export const DEFAULT_ZOOM = 1.05;

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

/** Each frame after the first is dreamt at the finest octave only, with the seed advanced per frame. */
export function* dreamZoomSteps(
  model: VisModel,
  start: tf.Tensor3D,
  args: ZoomArgs,
): Steps<{ frames: tf.Tensor3D[]; seconds: number }> {
  const t0 = performance.now();
  const frames: tf.Tensor3D[] = [];
  let x = start.clone();
  try {
    for (let k = 0; k < args.frames && !args.signal?.aborted; k++) {
      const d = yield* dreamPhotoSteps(model, x, {
        ...args,
        octaves: k === 0 ? args.octaves : 1,
        seed: (args.seed ?? 0) + k,
      });
      frames.push(d.image);
      x.dispose();
      x = zoomIn(d.image, args.zoom ?? DEFAULT_ZOOM);
    }
  } catch (e) {
    frames.forEach((f) => f.dispose());
    throw e;
  } finally {
    x.dispose();
  }
  return { frames, seconds: (performance.now() - t0) / 1000 };
}

export const dreamZoom = drained(dreamZoomSteps);
