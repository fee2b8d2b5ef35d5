/**
 * One method, two drivers: driven a slice at a time (as the web app does) it gives the same images
 * as drained synchronously, returns to the event loop in between, and stops early on its signal.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { erhan, erhanSteps } from '../methods/erhan.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { drive } from './drive.js';
import { noLeaks, setup } from '../../test/helpers.js';

before(() => setup('wasm'));

function model() {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [6, 6, 1] }));
  m.add(
    tf.layers.dense({
      units: 3,
      activation: 'tanh',
      name: 'h',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    }),
  );
  return fromLayersModel(m, { range: [0, 1] });
}

describe('driving a method', () => {
  it('gives the drained result, yields to the event loop, and honours the signal', async () => {
    const vis = model();
    await noLeaks(async () => {
      const sync = erhan(vis, {
        layer: 'h',
        units: [0, 1, 2],
        steps: 40,
        restarts: 1,
        convergence: { window: 1000, tol: 0 },
      });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      const steps: number[] = [];
      const driven = await drive(
        erhanSteps(vis, {
          layer: 'h',
          units: [0, 1, 2],
          steps: 40,
          restarts: 1,
          convergence: { window: 1000, tol: 0 },
          onStep: (s) => {
            steps.push(s.step);
            const t = performance.now();
            while (performance.now() - t < 2);
          },
        }),
        5,
      );
      clearInterval(timer);
      assert.equal(steps.length, 40);
      assert.ok(ticks > 0, 'the event loop ran while the method was driven');
      assert.deepEqual(Array.from(driven.images.dataSync()), Array.from(sync.images.dataSync()));
      const signal = { aborted: false };
      let ran = 0;
      const stopped = await drive(
        erhanSteps(vis, {
          layer: 'h',
          units: [0],
          steps: 400,
          restarts: 1,
          convergence: { window: 1000, tol: 0 },
          signal,
          onStep: (s) => {
            ran++;
            if (s.step === 9) signal.aborted = true;
          },
        }),
      );
      assert.equal(ran, 10, 'stopped after the step that set the signal');
      assert.equal(stopped.images.shape[0], 1);
      tf.dispose([sync.images, driven.images, stopped.images]);
    });
  });
});
