/**
 * CRAFT's crops (Fel et al. 2023; Xplique's defaults): square patches of 64 px at a stride of
 * int(0.8 × 64) = 51, each resized to the model's input and run through g. Scaled to small inputs:
 * the patch is at most half the image (a 28 px digit gets 14 px patches, a 64 px photo crop 32 px
 * ones), and the positions are spread evenly at no more than the stride so the last patch ends at
 * the image's edge (Xplique's 'VALID' windows would leave up to a stride of the border unseen).
 */
import * as tf from '@tensorflow/tfjs';

export interface PatchGrid {
  /** Side of a patch in input pixels. */
  readonly size: number;
  /** Xplique's stride: int(0.8 × size). */
  readonly stride: number;
  /** Top rows and left columns of the patches. */
  readonly ys: readonly number[];
  readonly xs: readonly number[];
}

/** Patch side for an input of h × w: 64 px (Xplique), at most half the shorter side. */
export const defaultPatchSize = (h: number, w: number): number =>
  Math.max(2, Math.min(64, Math.round(Math.min(h, w) / 2)));

function spread(extent: number, size: number, stride: number): number[] {
  if (size >= extent) return [0];
  const n = Math.ceil((extent - size) / stride) + 1;
  return Array.from({ length: n }, (_, i) => Math.round((i * (extent - size)) / (n - 1)));
}

export function patchGrid(h: number, w: number, size = defaultPatchSize(h, w)): PatchGrid {
  const s = Math.min(size, h, w);
  const stride = Math.max(1, Math.floor(s * 0.8));
  return { size: s, stride, ys: spread(h, s, stride), xs: spread(w, s, stride) };
}

export const patchesPerImage = (g: PatchGrid): number => g.ys.length * g.xs.length;

/** Where patch p of a batch comes from: image, top, left (image-major, then rows, then columns). */
export function patchOrigin(g: PatchGrid, p: number): { image: number; y: number; x: number } {
  const per = patchesPerImage(g);
  const r = p % per;
  return {
    image: Math.floor(p / per),
    y: g.ys[Math.floor(r / g.xs.length)],
    x: g.xs[r % g.xs.length],
  };
}

/**
 * The patches of images x [N, H, W, C], each resized (bilinear) to `out` (default the patch size
 * itself: the crops as they are). [N · patches, out, out, C]; caller disposes.
 */
export function cutPatches(
  x: tf.Tensor4D,
  g: PatchGrid,
  out: readonly [number, number] = [g.size, g.size],
): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const per = patchesPerImage(g);
  const boxes: number[] = [];
  const index: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < per; p++) {
      const { y, x: left } = patchOrigin(g, p);
      boxes.push(
        y / (h - 1),
        left / (w - 1),
        (y + g.size - 1) / (h - 1),
        (left + g.size - 1) / (w - 1),
      );
      index.push(i);
    }
  }
  return tf.tidy(() =>
    tf.image.cropAndResize(
      x,
      tf.tensor2d(boxes, [n * per, 4]),
      tf.tensor1d(index, 'int32'),
      [out[0], out[1]],
      'bilinear',
    ),
  );
}
