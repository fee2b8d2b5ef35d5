/**
 * Fitting a camera frame or a picture to the model's input without squashing it: a centre crop to
 * the model's aspect ratio, and for MNIST-like models (28×28 gray) a digit placed the way MNIST's
 * digits were — the ink's bounding box scaled to fit 20×20 (aspect kept) and pasted into 28×28 so
 * that its centre of mass sits at the centre (LeCun et al., the MNIST database page).
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../../../src/index.js';

/** The centred box of the source with the target's aspect ratio, normalized [y1, x1, y2, x2]. */
export function centreBox(
  h0: number,
  w0: number,
  H: number,
  W: number,
): [number, number, number, number] {
  const target = W / H;
  const source = w0 / h0;
  if (source > target) {
    const f = target / source;
    return [0, (1 - f) / 2, 1, (1 + f) / 2];
  }
  const f = source / target;
  return [(1 - f) / 2, 0, (1 + f) / 2, 1];
}

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/**
 * Whether the digit-centring helps: a model of MNIST digits. The model's own data set decides,
 * then the served data set's (`dataSpec`), then its class names; only a model that says nothing
 * is judged by its 28×28 grey input (a Fashion-MNIST model has that shape too).
 */
export function isMnistLike(model: VisModel, dataSpec?: string | null): boolean {
  // Digit fitting makes a 28×28×1 picture: only for models of that shape, whatever is served.
  const [H, W, C] = model.input.shape;
  if (!(H === 28 && W === 28 && C === 1)) return false;
  const named = typeof model.metadata.dataset === 'string' ? model.metadata.dataset : dataSpec;
  if (named) return /^mnist(?![\w-])/i.test(named);
  if (model.labels)
    return (
      model.labels.length === 10 &&
      model.labels.every((l, i) => l.trim() === String(i) || l.trim().toLowerCase() === DIGITS[i])
    );
  return true;
}

/** x [h, w, C] in [0, 1] → [H, W, C], centre-cropped then resized. */
export function cropResize(
  x: tf.Tensor3D,
  H: number,
  W: number,
  size = [H, W] as [number, number],
): tf.Tensor3D {
  const [h0, w0] = x.shape;
  const [y1, x1, y2, x2] = centreBox(h0, w0, H, W);
  // Whole pixels: a crop that falls between pixels would blend in a sliver of what lies outside.
  const top = Math.round(y1 * h0);
  const left = Math.round(x1 * w0);
  const ch = Math.max(1, Math.round(y2 * h0) - top);
  const cw = Math.max(1, Math.round(x2 * w0) - left);
  const cut =
    top === 0 && left === 0 && ch === h0 && cw === w0
      ? x
      : x.slice([top, left, 0], [ch, cw, x.shape[2]]);
  return ch === size[0] && cw === size[1] ? cut : tf.image.resizeBilinear(cut, size, true);
}

/**
 * A gray square image [n, n, 1] in [0, 1], ink bright, → 28×28×1 MNIST-style. Ink is what is above
 * a quarter of the way from the darkest to the brightest pixel; a frame with no contrast, or one that is mostly
 * "ink", stays as it is (resized).
 */
export function mnistFit(x: tf.Tensor3D): tf.Tensor3D {
  const n = x.shape[0];
  const v = x.dataSync();
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of v) {
    lo = Math.min(lo, p);
    hi = Math.max(hi, p);
  }
  if (hi - lo < 0.2) return tf.image.resizeBilinear(x, [28, 28], true);
  // Low, so the box holds the strokes' soft edges too, as MNIST's box of non-zero pixels does.
  const t = lo + 0.25 * (hi - lo);
  // Ink covering most of the frame is not a digit on a background (e.g. paper not inverted): leave it.
  let ink = 0;
  for (const p of v) if (p > t) ink++;
  if (ink > 0.5 * v.length) return tf.image.resizeBilinear(x, [28, 28], true);
  let [y0, y1, x0, x1] = [n, -1, n, -1];
  for (let y = 0; y < n; y++) {
    for (let i = 0; i < n; i++) {
      if (v[y * n + i] <= t) continue;
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      x0 = Math.min(x0, i);
      x1 = Math.max(x1, i);
    }
  }
  const bh = y1 - y0 + 1;
  const bw = x1 - x0 + 1;
  const s = 20 / Math.max(bh, bw);
  const dh = Math.max(1, Math.round(bh * s));
  const dw = Math.max(1, Math.round(bw * s));
  // The background becomes 0 (MNIST's black), the ink keeps its grey levels.
  const digit = tf.tidy(() =>
    tf.image
      .resizeBilinear(x.slice([y0, x0, 0], [bh, bw, 1]), [dh, dw], true)
      .sub(lo)
      .div(hi - lo)
      .clipByValue(0, 1),
  ) as tf.Tensor3D;
  const d = digit.dataSync();
  let m = 0;
  let my = 0;
  let mx = 0;
  for (let y = 0; y < dh; y++)
    for (let i = 0; i < dw; i++) {
      m += d[y * dw + i];
      my += y * d[y * dw + i];
      mx += i * d[y * dw + i];
    }
  const clamp = (a: number, size: number) => Math.max(0, Math.min(28 - size, a));
  const top = clamp(Math.round(13.5 - (m ? my / m : dh / 2)), dh);
  const left = clamp(Math.round(13.5 - (m ? mx / m : dw / 2)), dw);
  const out = tf.pad(digit, [
    [top, 28 - dh - top],
    [left, 28 - dw - left],
    [0, 0],
  ]) as tf.Tensor3D;
  digit.dispose();
  return out;
}
