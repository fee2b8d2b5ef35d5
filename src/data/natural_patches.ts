/**
 * Whitened patches of natural photographs, Erhan et al. 2009's second data set (Erhan et al. 2009 §6: "100000
 * 12×12 patches of natural images … whitened", after Olshausen & Field 1996). Olshausen's images
 * cannot ship; by default the photographs of Debian's python3-skimage data folder are used (or any
 * folder of photos): each is converted to grey, patches are cut at seeded random positions (an
 * image is picked in proportion to its area), each patch's mean (DC) is removed, and the set is ZCA
 * whitened (zca.ts) and scaled to unit mean variance per pixel. The transform is returned so new
 * patches can be whitened the same way.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeepvisError } from '../errors.js';
import { decodeImage } from '../io/image.js';
import { Rng } from '../engine/rng.js';
import { applyZca, fitZca, type Zca } from './zca.js';

export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';
/** The natural photographs of that folder (not its synthetic test pictures, text or micrographs). */
export const SKIMAGE_PHOTOS = [
  'astronaut.png',
  'brick.png',
  'camera.png',
  'chelsea.png',
  'coffee.png',
  'coins.png',
  'grass.png',
  'gravel.png',
  'moon.png',
  'motorcycle_left.png',
  'motorcycle_right.png',
  'rocket.jpg',
] as const;
const PHOTO_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);

export interface GreyImage {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** [height, width] in [0, 1]. */
  readonly data: Float32Array;
}

export interface NaturalPatchArgs {
  /** Side of the square patches; default 12 (Erhan et al. 2009). */
  readonly size?: number;
  /** Default 100,000 (Erhan et al. 2009). */
  readonly count?: number;
  /** A folder of photographs; default SKIMAGE_PHOTOS in SKIMAGE_DATA. */
  readonly folder?: string;
  /**
   * ZCA ε as a multiple of the mean covariance eigenvalue; default 3, which damps the upper part of
   * the spectrum (pixel noise, aliasing) the way Olshausen & Field's low-pass filter does.
   */
  readonly epsilon?: number;
  readonly seed?: number;
}

export interface NaturalPatches {
  /** [count, size·size] whitened patches, row-major (a patch is [size, size, 1]). */
  readonly patches: Float32Array;
  readonly size: number;
  readonly count: number;
  readonly zca: Zca;
  readonly sources: readonly string[];
  /** Resolved arguments, for the JSON. */
  readonly args: Required<Omit<NaturalPatchArgs, 'folder'>> & { folder: string };
}

/** Luma (Rec. 601) of an RGB or grey decode. */
async function readGrey(file: string): Promise<GreyImage> {
  const px = await decodeImage(file);
  const [h, w, c] = px.shape;
  const data = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) {
    data[i] =
      c >= 3
        ? 0.299 * px.data[i * c] + 0.587 * px.data[i * c + 1] + 0.114 * px.data[i * c + 2]
        : px.data[i * c];
  }
  return { name: path.basename(file), width: w, height: h, data };
}

export async function readPhotos(folder?: string): Promise<GreyImage[]> {
  let files: string[];
  if (folder == null) {
    files = SKIMAGE_PHOTOS.map((f) => path.join(SKIMAGE_DATA, f));
    const missing: string[] = [];
    for (const f of files) if (!(await fs.stat(f).catch(() => null))) missing.push(f);
    if (missing.length === files.length) {
      throw new DeepvisError(
        `no photographs in ${SKIMAGE_DATA} (apt-get install python3-skimage, or give a folder of photos)`,
      );
    }
    files = files.filter((f) => !missing.includes(f));
  } else {
    const entries = await fs.readdir(folder).catch(() => {
      throw new DeepvisError(`photo folder ${folder} cannot be read`);
    });
    files = entries
      .filter((e) => PHOTO_EXT.has(path.extname(e).toLowerCase()))
      .sort()
      .map((e) => path.join(folder, e));
    if (files.length === 0)
      throw new DeepvisError(`photo folder ${folder} has no .png/.jpg/.webp/.tif images`);
  }
  const images: GreyImage[] = [];
  for (const f of files) images.push(await readGrey(f));
  return images;
}

/** `count` size×size patches at random positions, each with its mean removed (pure, seeded). */
export function cutPatches(
  images: readonly GreyImage[],
  size: number,
  count: number,
  rng: Rng,
  removeMean = true,
): Float32Array {
  const usable = images.filter((im) => im.width >= size && im.height >= size);
  if (usable.length === 0)
    throw new DeepvisError(`no photograph is at least ${size}×${size} pixels`);
  const weights = usable.map((im) => (im.width - size + 1) * (im.height - size + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const d = size * size;
  const out = new Float32Array(count * d);
  for (let n = 0; n < count; n++) {
    let r = rng.next() * total;
    let k = 0;
    while (k < usable.length - 1 && r >= weights[k]) r -= weights[k++];
    const im = usable[k];
    const y0 = rng.int(im.height - size + 1);
    const x0 = rng.int(im.width - size + 1);
    let sum = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = im.data[(y0 + y) * im.width + x0 + x];
        out[n * d + y * size + x] = v;
        sum += v;
      }
    }
    if (removeMean) for (let i = 0; i < d; i++) out[n * d + i] -= sum / d;
  }
  return out;
}

export async function naturalPatches(args: NaturalPatchArgs = {}): Promise<NaturalPatches> {
  const size = args.size ?? 12;
  const count = args.count ?? 100_000;
  const epsilon = args.epsilon ?? 3;
  const seed = args.seed ?? 0;
  if (!Number.isInteger(size) || size < 2 || size > 32)
    throw new DeepvisError(`patch size must be an integer from 2 to 32; got ${size}`);
  if (!Number.isInteger(count) || count < size * size + 1)
    throw new DeepvisError(
      `patch count must be an integer above ${size * size} (the patch dimension); got ${count}`,
    );
  const images = await readPhotos(args.folder);
  const raw = cutPatches(images, size, count, new Rng(seed));
  // ε relative to the spectrum's scale, so it means the same for any photo set's contrast.
  const fitted = fitZca(raw, size * size, { relativeEpsilon: epsilon });
  // ε shrinks the whitened variance below 1; rescale (inside the matrix, so it stays the one
  // transform) to unit mean variance per pixel: what unit-variance Gaussian visibles assume.
  const white = applyZca(fitted, raw);
  let sq = 0;
  for (let i = 0; i < white.length; i++) sq += white[i] * white[i];
  const scale = 1 / Math.sqrt(sq / white.length);
  for (let i = 0; i < white.length; i++) white[i] *= scale;
  const zca: Zca = { ...fitted, matrix: fitted.matrix.map((v) => v * scale) };
  return {
    patches: white,
    size,
    count,
    zca,
    sources: images.map((im) => im.name),
    args: { size, count, epsilon, seed, folder: args.folder ?? SKIMAGE_DATA },
  };
}
