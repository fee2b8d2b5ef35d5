/**
 * The matmul inverse real DFT is a true inverse of the DFT of a real image (even and odd sizes),
 * and the Fourier parameterization differentiates on wasm exactly as on cpu.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { fourier, irfft2d } from './fourier.js';
import { bounded } from './bounded.js';
import { assertClose, maxAbsDiff, noLeaks, onBoth, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function rfft2(x: Float32Array, h: number, w: number) {
  const wf = Math.floor(w / 2) + 1;
  const re = new Float32Array(h * wf);
  const im = new Float32Array(h * wf);
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < wf; v++) {
      let r = 0;
      let i = 0;
      for (let a = 0; a < h; a++) {
        for (let b = 0; b < w; b++) {
          const t = -2 * Math.PI * ((u * a) / h + (v * b) / w);
          r += x[a * w + b] * Math.cos(t);
          i += x[a * w + b] * Math.sin(t);
        }
      }
      re[u * wf + v] = r;
      im[u * wf + v] = i;
    }
  }
  return { re, im, wf };
}

describe('Fourier parameterization', () => {
  for (const [h, w] of [
    [6, 8],
    [5, 7],
    [28, 28],
  ]) {
    it(`irfft2d inverts the DFT of a real ${h}×${w} image`, () => {
      const x = values(h * w, h + w);
      const { re, im, wf } = rfft2(x, h, w);
      const back = tf.tidy(() =>
        irfft2d(tf.tensor3d(re, [1, h, wf]), tf.tensor3d(im, [1, h, wf]), w).dataSync(),
      );
      assert.ok(maxAbsDiff(back, x) < 1e-4, `max diff ${maxAbsDiff(back, x)}`);
    });
  }

  it('gradients through the Fourier image match between wasm and cpu, without leaks', async () => {
    const g = await onBoth(() => {
      const p = bounded(fourier(2, [8, 8, 3], { rng: new Rng(3) }), {
        range: [0, 1],
        decorrelate: true,
      });
      const target = tf.tensor4d(values(2 * 8 * 8 * 3, 9), [2, 8, 8, 3]);
      const { grads } = tf.variableGrads(
        () => p.image().mul(target).sum() as tf.Scalar,
        p.variables as tf.Variable[],
      );
      const out = tf.concat(p.variables.map((v) => grads[v.name].flatten()));
      p.dispose();
      return out;
    });
    assertClose(g.cpu, g.wasm, 1e-4, 'spectrum gradient');
    await noLeaks(() => {
      const p = bounded(fourier(1, [8, 8, 1], { rng: new Rng(1) }), { range: [0, 255] });
      const img = p.image();
      const v = img.dataSync();
      assert.ok(
        v.every((a) => a > 0 && a < 255),
        'sigmoid keeps the image inside the range',
      );
      img.dispose();
      p.dispose();
    });
  });
});
