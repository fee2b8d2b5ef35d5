/**
 * `parts`: a synthetic data set whose classes are made of known parts, for tests of meaning of
 * concept methods (in the spirit of Yeh et al. 2020's synthetic shapes and Two4Two): grey images
 * split into a 2 × 2 grid of cells; each class places its parts (shapes and textures) in random
 * cells, jittered, on a noisy background, and every image records where each part went. A part
 * shared by two classes cannot tell them apart; a part of one class alone is its discriminative one.
 */
import { Rng } from '../engine/rng.js';
import type { ImageSet } from './dataset.js';

export const PART_NAMES = ['ring', 'cross', 'stripes', 'checker', 'disk', 'triangle'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** The default classes: 'A' = ring + cross, 'B' = stripes + cross, 'C' = checker + disk. */
export const DEFAULT_PART_CLASSES: ReadonlyArray<{
  readonly name: string;
  readonly parts: readonly PartName[];
}> = [
  { name: 'A', parts: ['ring', 'cross'] },
  { name: 'B', parts: ['stripes', 'cross'] },
  { name: 'C', parts: ['checker', 'disk'] },
];

export interface PlacedPart {
  readonly part: PartName;
  /** top, left, side in pixels. */
  readonly box: readonly [number, number, number];
}

export interface PartsSet extends ImageSet {
  /** Per image, its parts and where they are. */
  readonly placed: readonly (readonly PlacedPart[])[];
}

export interface PartsArgs {
  readonly perClass?: number;
  /** Image side (a multiple of 2); default 32. */
  readonly size?: number;
  readonly seed?: number;
  readonly classes?: ReadonlyArray<{ readonly name: string; readonly parts: readonly PartName[] }>;
  /** Background noise amplitude; default 0.08. */
  readonly noise?: number;
}

/** Is pixel (dy, dx) of a part of side s on? */
function inside(part: PartName, dy: number, dx: number, s: number): boolean {
  const c = (s - 1) / 2;
  const r = Math.hypot(dy - c, dx - c);
  switch (part) {
    case 'ring':
      return r <= s / 2 && r >= s / 2 - 2;
    case 'disk':
      return r <= s / 2 - 0.5;
    case 'cross':
      return Math.abs(dy - c) <= 1 || Math.abs(dx - c) <= 1;
    case 'stripes':
      return Math.floor(dy / 2) % 2 === 0;
    case 'checker':
      return (Math.floor(dy / 2) + Math.floor(dx / 2)) % 2 === 0;
    case 'triangle':
      return dy >= Math.abs(dx - c) * 2 - 1 && dy < s - 1;
  }
}

export function partsDataset(args: PartsArgs = {}): PartsSet {
  const {
    perClass = 200,
    size = 32,
    seed = 0,
    classes = DEFAULT_PART_CLASSES,
    noise = 0.08,
  } = args;
  const rng = new Rng(seed);
  const cell = size / 2;
  // Parts come in sizes from half to nine tenths of a cell, so a network learns them at several scales.
  const sides = [Math.round(cell * 0.5), Math.round(cell * 0.9)];
  const count = perClass * classes.length;
  const images = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  const placed: PlacedPart[][] = [];
  for (let i = 0; i < count; i++) {
    const label = i % classes.length;
    labels[i] = label;
    const img = images.subarray(i * size * size, (i + 1) * size * size);
    for (let p = 0; p < img.length; p++) img[p] = 0.15 + noise * rng.next();
    const cells = rng.permutation(4);
    const mine: PlacedPart[] = [];
    classes[label].parts.forEach((part, j) => {
      const side = sides[0] + rng.int(sides[1] - sides[0] + 1);
      const cy = Math.floor(cells[j] / 2) * cell;
      const cx = (cells[j] % 2) * cell;
      const y0 = cy + rng.int(cell - side + 1);
      const x0 = cx + rng.int(cell - side + 1);
      const ink = 0.75 + 0.25 * rng.next();
      for (let dy = 0; dy < side; dy++)
        for (let dx = 0; dx < side; dx++)
          if (inside(part, dy, dx, side)) img[(y0 + dy) * size + x0 + dx] = ink;
      mine.push({ part, box: [y0, x0, side] });
    });
    placed.push(mine);
  }
  return {
    name: 'parts',
    images,
    labels,
    shape: [size, size, 1],
    count,
    classNames: classes.map((c) => c.name),
    placed,
  };
}

/** The part a crop [y0, x0, y1, x1) shows most (its pixels' overlap), or null when it overlaps none by a quarter of the part. */
export function partInCrop(
  parts: readonly PlacedPart[],
  crop: readonly [number, number, number, number],
): PartName | null {
  let best: PartName | null = null;
  let most = 0;
  for (const p of parts) {
    const [y, x, s] = p.box;
    const oy = Math.max(0, Math.min(y + s, crop[2]) - Math.max(y, crop[0]));
    const ox = Math.max(0, Math.min(x + s, crop[3]) - Math.max(x, crop[1]));
    const area = oy * ox;
    if (area > most && area >= 0.25 * s * s) {
      most = area;
      best = p.part;
    }
  }
  return best;
}
