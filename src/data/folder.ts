/**
 * A folder of images as a data set: files directly inside it, or one subfolder per class. Decoded
 * with sharp to the model's H×W×C. `folderBatches` streams, so memory stays bounded whatever the
 * folder's size; `loadFolder` reads everything (for small sets).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeepvisError } from '../errors.js';
import { decodeImage } from '../io/image.js';
import { batchRanges, type ImageSet } from './dataset.js';

const IMAGE_EXT = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.bmp',
  '.avif',
]);

export interface FolderIndex {
  files: string[];
  labels: number[] | null;
  classNames: string[] | null;
}

export async function indexFolder(dir: string): Promise<FolderIndex> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    throw new DeepvisError(`data folder not found: ${dir}`);
  }
  const isImage = (f: string) => IMAGE_EXT.has(path.extname(f).toLowerCase());
  const direct = entries
    .filter((e) => e.isFile() && isImage(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
  const classDirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (direct.length === 0 && classDirs.length > 0) {
    const files: string[] = [];
    const labels: number[] = [];
    for (const [label, cls] of classDirs.entries()) {
      const inside = (await fs.readdir(path.join(dir, cls))).filter(isImage).sort();
      for (const f of inside) {
        files.push(path.join(dir, cls, f));
        labels.push(label);
      }
    }
    if (files.length > 0) return { files, labels, classNames: classDirs };
  }
  if (direct.length === 0)
    throw new DeepvisError(`no images in ${dir} (looked for ${[...IMAGE_EXT].join(' ')})`);
  return { files: direct, labels: null, classNames: null };
}

export async function* folderBatches(
  dir: string,
  shape: readonly [number, number, number],
  batchSize: number,
): AsyncGenerator<ImageSet & { offset: number }> {
  const index = await indexFolder(dir);
  const [height, width, channels] = shape;
  const size = height * width * channels;
  for (const [offset, end] of batchRanges(index.files.length, batchSize)) {
    const files = index.files.slice(offset, end);
    const images = new Float32Array(files.length * size);
    for (const [i, f] of files.entries())
      images.set((await decodeImage(f, { height, width, channels })).data, i * size);
    const labels = index.labels
      ? Int32Array.from(index.labels.slice(offset, offset + files.length))
      : null;
    yield {
      name: dir,
      images,
      labels,
      shape,
      count: files.length,
      classNames: index.classNames,
      offset,
    };
  }
}

export async function loadFolder(
  dir: string,
  shape: readonly [number, number, number],
): Promise<ImageSet> {
  const parts: Array<ImageSet & { offset: number }> = [];
  for await (const b of folderBatches(dir, shape, 256)) parts.push(b);
  const count = parts.reduce((n, p) => n + p.count, 0);
  const size = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(count * size);
  const labels = parts[0].labels ? new Int32Array(count) : null;
  for (const p of parts) {
    images.set(p.images, p.offset * size);
    if (labels && p.labels) labels.set(p.labels, p.offset);
  }
  return { name: dir, images, labels, shape, count, classNames: parts[0].classNames };
}
