/**
 * Gatys's style representation (objectives/gram.ts, invert --style): the Gram matrix of a tiny
 * layer against a hand computation; reconstruction from noise lowers the Gram error by an order of
 * magnitude while the activations themselves stay far from the image's (the arrangement is free).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel } from '../model/layers_adapter.js';
import { gram, styleError } from '../objectives/gram.js';
import { representationError } from '../objectives/feature_match.js';
import { invert, invertParams } from './invert.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

describe('style (Gram) representation', () => {
  it('the Gram matrix of a 2×2×2 map is Σ_p F_pi·F_pj / 4, worked by hand', async () => {
    // Positions (channel 0, channel 1): (1, 0), (2, 1), (0, 3), (1, 1).
    const a = tf.tensor4d([1, 0, 2, 1, 0, 3, 1, 1], [1, 2, 2, 2]);
    await noLeaks(() => {
      const g = gram(a);
      // G00 = (1+4+0+1)/4 = 1.5; G01 = (0+2+0+1)/4 = 0.75; G11 = (0+1+9+1)/4 = 2.75.
      assert.deepEqual(Array.from(g.dataSync()), [1.5, 0.75, 0.75, 2.75]);
      assert.deepEqual(g.shape, [1, 2, 2]);
      g.dispose();
      const dense = tf.tidy(() => Array.from(gram(tf.tensor2d([[2, -1]])).dataSync()));
      assert.deepEqual(dense, [4, -2, -2, 1]);
    });
    a.dispose();
  });

  it('Gram error is zero for a spatially permuted map and positive for a rescaled one', () => {
    const a = tf.tensor4d([1, 0, 2, 1, 0, 3, 1, 1], [1, 2, 2, 2]);
    const swapped = tf.tensor4d([0, 3, 1, 1, 1, 0, 2, 1], [1, 2, 2, 2]);
    assert.ok(styleError(swapped, a)[0] < 1e-12);
    assert.ok(representationError(swapped, a)[0] > 0.5);
    assert.ok(
      Math.abs(styleError(a.mul(2), a)[0] - 9) < 1e-5,
      'G scales by 4, so ‖4G − G‖²/‖G‖² = 9',
    );
    tf.dispose([a, swapped]);
  });

  it('invert --style: the Gram loss of the reconstruction falls from noise, the activations do not match', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [10, 10, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
        biasInitializer: 'zeros',
      }),
    );
    const model = fromLayersModel(m, { range: [0, 1] });
    // Stripes: a texture whose Gram matrix does not depend on where the stripes are.
    const photo = tf.tensor3d(
      Float32Array.from({ length: 100 }, (_, i) =>
        Math.floor((i % 10) / 2) % 2 ? 1 : 0.1 + 0.05 * values(100, 2)[i],
      ),
      [10, 10, 1],
    );
    await noLeaks(() => {
      const r = invert(model, photo, {
        layer: 'conv',
        style: true,
        restarts: 2,
        steps: 300,
        lr: 0.02,
      });
      r.errors.forEach((e, i) =>
        assert.ok(e < 0.1 * r.startErrors[i], `Gram error ${r.startErrors[i]} → ${e}`),
      );
      const acts = tf.tidy(() =>
        Array.from(
          representationError(
            model.activations(r.images, ['conv'])[0],
            model.activations(photo.expandDims(0) as tf.Tensor4D, ['conv'])[0],
          ),
        ),
      );
      assert.ok(
        Math.min(...acts) > 5 * Math.max(...r.errors),
        `activation error ${acts} against Gram error ${r.errors}`,
      );
      r.images.dispose();
    });
    const p = invertParams(model, { layer: 'conv', style: true });
    assert.deepEqual([p.method, p.lambdaAlpha, p.lambdaTV], ['invert-style', 0, 0]);
    photo.dispose();
    m.dispose();
  });
});
