import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage, MAX_DECODED_PIXELS, probeImage } from './image.js';

let dir: string;
let big: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-image-'));
  // 8000×8000 RGB: a few hundred kB as PNG, 768 MB as float32 if decoded whole.
  big = path.join(dir, 'big.png');
  await sharp({
    create: { width: 8000, height: 8000, channels: 3, background: { r: 200, g: 40, b: 10 } },
  })
    .png({ compressionLevel: 9 })
    .toFile(big);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('decoding large images', () => {
  it('the size comes from the header', async () => {
    assert.deepEqual(await probeImage(big), { width: 8000, height: 8000 });
  });

  it('without a target: capped at MAX_DECODED_PIXELS while decoding, never the full-size floats', async () => {
    const before = process.memoryUsage().rss;
    const px = await decodeImage(big);
    const grew = process.memoryUsage().rss - before;
    assert.deepEqual(px.shape, [4096, 4096, 3]);
    assert.ok(px.shape[0] * px.shape[1] <= MAX_DECODED_PIXELS);
    // Whole, the image is 768 MB of floats plus 192 MB of bytes; capped, 200 + 50.
    assert.ok(grew < 600 * 2 ** 20, `RSS grew by ${Math.round(grew / 2 ** 20)} MB`);
  });

  it('to a target: resized by sharp, the right pixels', async () => {
    const px = await decodeImage(big, { height: 28, width: 28, channels: 3 });
    assert.deepEqual(px.shape, [28, 28, 3]);
    assert.ok(
      Math.abs(px.data[0] - 200 / 255) < 0.01 && Math.abs(px.data[1] - 40 / 255) < 0.01,
      `${px.data[0]}, ${px.data[1]}`,
    );
  });

  it('not an image: one line naming the file', async () => {
    await assert.rejects(
      probeImage(path.join(dir, 'missing.png')),
      /cannot read image .*missing\.png/,
    );
  });
});
