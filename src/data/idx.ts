/**
 * IDX files (the MNIST / Fashion-MNIST format, gzipped or not). Fashion-MNIST comes from Debian's
 * `dataset-fashion-mnist` under /usr/share/datasets/fashion-mnist.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Gunzip } from 'fflate';
import { formatBytes, memoryBudget } from '../engine/memory.js';
import { DeepvisError, printable } from '../errors.js';
import { budgetLimit, readRegular } from '../io/fence.js';
import type { ImageSet } from './dataset.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Header of an IDX file: its dims and where the data starts; null while `bytes` is too short to tell. */
function header(
  bytes: Uint8Array,
  source: string,
): { dims: number[]; offset: number; size: number } | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0 || bytes[2] !== 0x08)
    throw new DeepvisError(`${source} is not an IDX file of unsigned bytes`);
  const rank = bytes[3];
  const offset = 4 + 4 * rank;
  if (bytes.length < offset) return null;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  // Each byte becomes a float32 of the image set: the declared count must fit the budget as that.
  const budget = memoryBudget();
  if (size * 4 > budget) {
    throw new DeepvisError(
      `${source} declares [${dims.join(', ')}] = ${size.toLocaleString('en')} values (${formatBytes(size * 4)} as float32), more than the memory budget of ${formatBytes(budget)}`,
    );
  }
  return { dims, offset, size };
}

/**
 * A gzipped IDX file inflated as a stream, never past what its header declares (a 2 MB file
 * inflating to 6 GB stops at the header's count).
 */
function gunzipCapped(buf: Uint8Array, source: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let have = 0;
  let cap = Infinity;
  const g = new Gunzip((chunk) => {
    if (have >= cap) return;
    const take = chunk.subarray(0, Math.min(chunk.length, cap - have));
    parts.push(take);
    have += take.length;
    if (cap === Infinity) {
      const h = header(join(parts, have), source);
      if (h) cap = h.offset + h.size;
    }
  });
  try {
    const step = 1 << 14;
    for (let at = 0; at < buf.length && have < cap; at += step)
      g.push(buf.subarray(at, Math.min(buf.length, at + step)), at + step >= buf.length);
  } catch (e) {
    if (e instanceof DeepvisError) throw e;
    throw new DeepvisError(`${source}: corrupt gzip data (${printable((e as Error).message)})`);
  }
  return join(parts, Math.min(have, cap));
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0].subarray(0, length);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    const n = Math.min(p.length, length - at);
    out.set(p.subarray(0, n), at);
    at += n;
    if (at >= length) break;
  }
  return out;
}

export function parseIdx(buf: Uint8Array, source: string): IdxArray {
  const bytes = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipCapped(buf, source) : buf;
  const h = header(bytes, source);
  if (!h) throw new DeepvisError(`${source} is not an IDX file of unsigned bytes`);
  if (bytes.length < h.offset + h.size)
    throw new DeepvisError(`${source} is truncated (${bytes.length} bytes)`);
  return { dims: h.dims, data: bytes.subarray(h.offset, h.offset + h.size) };
}

async function readIdx(file: string): Promise<IdxArray> {
  let buf: Buffer;
  try {
    buf = await readRegular(file, 'IDX file', budgetLimit());
  } catch (e) {
    if (e instanceof DeepvisError) throw e;
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
  if (img.dims.length !== 3)
    throw new DeepvisError(`${imagesFile} holds ${img.dims.length}-d data, not images`);
  const [count, h, w] = img.dims;
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i] / 255;
  let labels: Int32Array | null = null;
  if (labelsFile) {
    const lab = await readIdx(labelsFile);
    if (lab.dims[0] !== count)
      throw new DeepvisError(`${labelsFile} has ${lab.dims[0]} labels for ${count} images`);
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
