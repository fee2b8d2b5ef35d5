/**
 * The phase-only parameterization keeps its magnitude spectrum exactly — at the start and after
 * optimization steps have moved the phase — on even and odd sizes, one and three channels; the
 * spectrum helpers resize and measure as documented; Nadam's first step is Keras's.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { Nadam } from '../optimize/nadam.js';
import { phaseImage, phaseOnly, toDecorrelated } from './phase.js';
import { decorrelateColour } from './bounded.js';
import {
  meanSpectrum,
  resizeSpectrum,
  rfftMagnitude,
  spectrumCols,
  type Spectrum,
} from './spectrum.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function randomSpectrum(c: number, h: number, w: number): Spectrum {
  const wf = spectrumCols(w);
  return {
    values: Float32Array.from(values(c * h * wf, h * w + c), (v) => 0.2 + Math.abs(v)),
    channels: c,
    height: h,
    width: w,
    source: 'test',
  };
}

/** Max relative error between |rfft2| of every channel of raw [1, H, W, C] and the magnitude [C, H, Wf]. */
function magnitudeError(
  raw: Float32Array,
  mag: Float32Array,
  [h, w, c]: [number, number, number],
): number {
  const wf = spectrumCols(w);
  let worst = 0;
  for (let k = 0; k < c; k++) {
    const plane = Float32Array.from({ length: h * w }, (_, p) => raw[p * c + k]);
    const m = rfftMagnitude(plane, h, w);
    for (let j = 0; j < h * wf; j++)
      worst = Math.max(worst, Math.abs(m[j] - mag[k * h * wf + j]) / mag[k * h * wf + j]);
  }
  return worst;
}

describe('phase-only (MaCo) parameterization', () => {
  for (const shape of [
    [6, 8, 3],
    [5, 7, 1],
    [8, 6, 1],
  ] as [number, number, number][]) {
    it(`keeps the magnitude spectrum exactly on ${shape.join('×')}, before and after steps`, async () => {
      const [h, w, c] = shape;
      const spec = randomSpectrum(c, h, w);
      const mag = resizeSpectrum(spec, h, w);
      await noLeaks(() => {
        const p = phaseOnly(1, shape, { magnitude: spec, rng: new Rng(2) });
        const magT = tf.tensor3d(mag, [c, h, spectrumCols(w)]);
        const raw = () =>
          tf.tidy(
            () =>
              phaseImage(
                p.variables[0] as unknown as tf.Tensor3D,
                magT,
                1,
                shape,
              ).dataSync() as Float32Array,
          );
        assert.ok(
          magnitudeError(raw(), mag, shape) < 1e-3,
          `start: ${magnitudeError(raw(), mag, shape)}`,
        );
        const target = tf.tensor4d(values(h * w * c, 4), [1, h, w, c]);
        for (let s = 0; s < 3; s++) {
          tf.tidy(() => {
            const { grads } = tf.variableGrads(
              () => p.image().mul(target).sum() as tf.Scalar,
              p.variables as tf.Variable[],
            );
            const v = p.variables[0];
            v.assign(v.add(grads[v.name].mul(5)));
          });
        }
        const moved = raw();
        assert.ok(
          magnitudeError(moved, mag, shape) < 1e-3,
          `after steps: ${magnitudeError(moved, mag, shape)}`,
        );
        // The image is the raw image standardized: mean 0, std 1.
        const img = p.image();
        const m = tf.moments(img);
        assert.ok(
          Math.abs(m.mean.dataSync()[0]) < 1e-4 && Math.abs(m.variance.dataSync()[0] - 1) < 1e-3,
        );
        for (const t of [img, m.mean, m.variance, target, magT]) t.dispose();
        p.dispose();
      });
    });
  }

  it('a one-channel model refuses a colour spectrum, naming it', () => {
    assert.throws(
      () => phaseOnly(1, [4, 4, 1], { magnitude: randomSpectrum(3, 4, 4), rng: new Rng(0) }),
      /has 3 channels; the image has 1/,
    );
  });

  it('toDecorrelated inverts the colour decorrelation', () => {
    const inv = toDecorrelated('rgb');
    const rgb = Float32Array.from([0.2, -0.5, 0.9]);
    const back = tf.tidy(() =>
      decorrelateColour(tf.tensor4d(inv(rgb), [1, 1, 1, 3]), 'rgb').dataSync(),
    );
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(back[k] - rgb[k]) < 1e-5);
  });

  it('meanSpectrum of a constant image is all DC; resizing keeps a spectrum on its own grid', () => {
    const s = meanSpectrum(new Float32Array(4 * 6).fill(0.5), 1, [4, 6, 1], 'const');
    assert.ok(Math.abs(s.values[0] - 12) < 1e-4, 'DC = 24 · 0.5');
    assert.ok(s.values.slice(1).every((v) => v < 1e-4));
    const r = randomSpectrum(1, 5, 7);
    assert.deepEqual(
      Array.from(resizeSpectrum(r, 5, 7)).slice(1, 4),
      Array.from(r.values).slice(1, 4),
    );
  });
});

describe('Nadam', () => {
  it("takes Keras's first step: g = 1 at lr 1 moves by 1.05645", async () => {
    // μ₁ = 0.9(1 − ½·0.96^0.004) = 0.450073, μ₂ = 0.9(1 − ½·0.96^0.008) = 0.450147;
    // m̂ = μ₂·0.1/(1 − μ₁μ₂) + (1 − μ₁)/(1 − μ₁) = 0.056452 + 1;  v̂ = 1  →  step 1.056452.
    await noLeaks(() => {
      const z = tf.zeros([2]);
      const v = tf.variable(z, true, 'nadam-test');
      z.dispose();
      const opt = new Nadam(1);
      const g = tf.tensor1d([1, -2]);
      opt.applyGradients([{ name: v.name, tensor: g }]);
      const x = v.dataSync();
      assert.ok(Math.abs(x[0] + 1.056452) < 1e-4, `got ${x[0]}`);
      assert.ok(
        Math.abs(x[1] - 1.056452) < 1e-4,
        'scale-free: −2 gives the opposite step of the same size',
      );
      opt.dispose();
      g.dispose();
      v.dispose();
    });
  });
});
