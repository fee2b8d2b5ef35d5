/**
 * A concept's feature visualization is the image of its direction: on the model of
 * test/fixtures/linear_head.ts, whose layer 'conv' copies the red and green channels, the image
 * maximizing the cosine with (1, 0) is red (red above green everywhere on average) and the image of
 * (0, 1) green, both reaching a high cosine (the image's range keeps the other channel at or above
 * zero, not below), in one batch, without leaking tensors.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { linearHeadModel } from '../../test/fixtures/linear_head.js';
import { noLeaks, setup } from '../../test/helpers.js';
import type { VisModel } from '../model/types.js';
import type { RgbaImage } from '../render/image.js';
import { directionImages } from './concept_vis.js';

let model: VisModel;
before(async () => {
  await setup('wasm');
  model = linearHeadModel();
});

const meanOf = (img: RgbaImage, channel: number) => {
  let s = 0;
  for (let p = 0; p < img.width * img.height; p++) s += img.data[p * 4 + channel];
  return s / (img.width * img.height);
};

describe('feature visualization of directions', () => {
  it('the red direction gives a red image, the green one a green image', () =>
    noLeaks(() => {
      const { data, images } = directionImages(
        model,
        'conv',
        [
          [1, 0],
          [0, 1],
        ],
        { steps: 160 },
      );
      assert.equal(data.optimized, 'conv:pre');
      assert.equal(images.length, 2);
      data.cosines.forEach((c, i) => assert.ok(c > 0.7, `direction ${i}: cosine ${c}`));
      const [red, green] = images;
      assert.ok(
        meanOf(red, 0) > meanOf(red, 1) + 25,
        `red image: R ${meanOf(red, 0)} G ${meanOf(red, 1)}`,
      );
      assert.ok(
        meanOf(green, 1) > meanOf(green, 0) + 25,
        `green image: R ${meanOf(green, 0)} G ${meanOf(green, 1)}`,
      );
    }));
});
