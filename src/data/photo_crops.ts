/**
 * `photos`: a small colour data set made on the machine from the photographs Debian's
 * python3-skimage ships (no download): 64×64 crops labelled by the scene they come from (8
 * classes). Each photograph is decoded once at three scales (a crop covers about a fifth to a
 * half of its shorter side) and crops are cut at seeded random places, half of them mirrored. It
 * is what deepvis's colour examples train on — a texture-and-colour scene recognizer: the held-out
 * crops come from the same photographs, so its accuracy says little about generalization.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../engine/rng.js';
import { DeepvisError } from '../errors.js';
import type { ImageSet } from './dataset.js';
import { SKIMAGE_DATA } from './natural_patches.js';

export const PHOTO_CLASSES: ReadonlyArray<{
  readonly name: string;
  readonly files: readonly string[];
}> = [
  { name: 'astronaut', files: ['astronaut.png'] },
  { name: 'cat', files: ['chelsea.png'] },
  { name: 'coffee', files: ['coffee.png'] },
  { name: 'galaxies', files: ['hubble_deep_field.jpg'] },
  { name: 'tissue', files: ['ihc.png'] },
  { name: 'motorcycle', files: ['motorcycle_left.png', 'motorcycle_right.png'] },
  { name: 'retina', files: ['retina.jpg'] },
  { name: 'rocket', files: ['rocket.jpg'] },
];

export interface PhotoCropArgs {
  readonly size?: number;
  readonly perClass?: number;
  readonly seed?: number;
  /** Folder holding the photographs (default the skimage data folder). */
  readonly dir?: string;
}

interface Scaled {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

async function scales(file: string, size: number): Promise<Scaled[]> {
  const meta = await sharp(file).metadata();
  const short = Math.min(meta.width ?? 0, meta.height ?? 0);
  return Promise.all(
    [5, 3.5, 2].map(async (f) => {
      const target = Math.max(size, Math.min(short, Math.round(size * f)));
      const { data, info } = await sharp(file)
        .removeAlpha()
        .toColourspace('srgb')
        .resize(meta.width! <= meta.height! ? { width: target } : { height: target })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return {
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
      };
    }),
  );
}

export async function loadPhotoCrops(args: PhotoCropArgs = {}): Promise<ImageSet> {
  const { size = 64, perClass = 400, seed = 0, dir = SKIMAGE_DATA } = args;
  for (const f of PHOTO_CLASSES.flatMap((c) => c.files)) {
    if ((await fs.stat(path.join(dir, f)).catch(() => null)) == null) {
      throw new DeepvisError(
        `data set 'photos' needs ${path.join(dir, f)} (Debian: apt-get install python3-skimage)`,
      );
    }
  }
  const rng = new Rng(seed);
  const count = perClass * PHOTO_CLASSES.length;
  const px = size * size * 3;
  const images = new Float32Array(count * px);
  const labels = new Int32Array(count);
  let n = 0;
  for (const [label, cls] of PHOTO_CLASSES.entries()) {
    const pyramids = await Promise.all(cls.files.map((f) => scales(path.join(dir, f), size)));
    for (let k = 0; k < perClass; k++, n++) {
      const levels = pyramids[rng.int(pyramids.length)];
      const img = levels[rng.int(levels.length)];
      const [x0, y0] = [rng.int(img.width - size + 1), rng.int(img.height - size + 1)];
      const mirror = rng.next() < 0.5;
      const out = images.subarray(n * px, (n + 1) * px);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const sx = x0 + (mirror ? size - 1 - x : x);
          const src = ((y0 + y) * img.width + sx) * 3;
          const dst = (y * size + x) * 3;
          out[dst] = img.data[src] / 255;
          out[dst + 1] = img.data[src + 1] / 255;
          out[dst + 2] = img.data[src + 2] / 255;
        }
      }
      labels[n] = label;
    }
  }
  return {
    name: 'photos',
    images,
    labels,
    shape: [size, size, 3],
    count,
    classNames: PHOTO_CLASSES.map((c) => c.name),
  };
}
