/**
 * IDX files (the MNIST / Fashion-MNIST format, gzipped or not). Fashion-MNIST comes from Debian's
 * `dataset-fashion-mnist` under /usr/share/datasets/fashion-mnist.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DeepvisError } from '../errors.js';
import type { ImageSet } from './dataset.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function parseIdx(buf: Uint8Array, source: string): IdxArray {
  const bytes = buf[0] === 0x1f && buf[1] === 0x8b ? new Uint8Array(gunzipSync(buf)) : buf;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== 0x08) {
    throw new DeepvisError(`${source} is not an IDX file of unsigned bytes`);
  }
  const rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < offset + size) throw new DeepvisError(`${source} is truncated (${bytes.length} bytes)`);
  return { dims, data: bytes.subarray(offset, offset + size) };
}

async function readIdx(file: string): Promise<IdxArray> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch {
    throw new DeepvisError(`IDX file not found: ${file}`);
  }
  return parseIdx(new Uint8Array(buf), file);
}

export async function loadIdxPair(
  imagesFile: string,
  labelsFile: string | null,
  name: string,
  classNames: readonly string[] | null = null,
): Promise<ImageSet> {
  const img = await readIdx(imagesFile);
  if (img.dims.length !== 3) throw new DeepvisError(`${imagesFile} holds ${img.dims.length}-d data, not images`);
  const [count, h, w] = img.dims;
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i] / 255;
  let labels: Int32Array | null = null;
  if (labelsFile) {
    const lab = await readIdx(labelsFile);
    if (lab.dims[0] !== count) throw new DeepvisError(`${labelsFile} has ${lab.dims[0]} labels for ${count} images`);
    labels = Int32Array.from(lab.data);
  }
  return { name, images, labels, shape: [h, w, 1], count, classNames };
}

export async function loadFashionMnist(
  part: 'train' | 'test',
  dir = FASHION_MNIST_DIR,
): Promise<ImageSet> {
  const prefix = part === 'train' ? 'train' : 't10k';
  const find = async (stem: string): Promise<string> => {
    for (const f of [`${stem}.gz`, stem]) {
      const p = path.join(dir, f);
      try {
        await fs.access(p);
        return p;
      } catch {
        /* try the next name */
      }
    }
    throw new DeepvisError(
      `Fashion-MNIST not found in ${dir} (install Debian's dataset-fashion-mnist, or pass its folder)`,
    );
  };
  return loadIdxPair(
    await find(`${prefix}-images-idx3-ubyte`),
    await find(`${prefix}-labels-idx1-ubyte`),
    `fashion-mnist/${part}`,
    FASHION_CLASSES,
  );
}
