/**
 * One method, two drivers: driven a slice at a time (as the web app does) it gives the same images
 * as drained synchronously, returns to the event loop in between, and stops early on its signal.
 * Work a step yields ahead (`Ahead`) is waited for by drive and passed over by drain; a rejected
 * one ends the steps (their `finally` runs); rule warm-ups count steps, not yields.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { erhan, erhanSteps } from '../methods/erhan.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { activeRules } from '../engine/rules.js';
import { Ahead, drain, drive, type Steps } from './drive.js';
import { rulesForFirst } from './rule_warmup.js';
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

  it('waits for work ahead when driven, passes over it when drained', async () => {
    const log: string[] = [];
    function* steps(): Steps<string> {
      try {
        for (let i = 0; i < 3; i++) {
          yield new Ahead(async () => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            log.push(`ahead ${i}`);
          });
          log.push(`step ${i}`);
          yield i;
        }
        return 'done';
      } finally {
        log.push('finally');
      }
    }
    assert.equal(drain(steps()), 'done');
    assert.deepEqual(log, ['step 0', 'step 1', 'step 2', 'finally']);
    log.length = 0;
    assert.equal(await drive(steps()), 'done');
    assert.deepEqual(log, [
      'ahead 0',
      'step 0',
      'ahead 1',
      'step 1',
      'ahead 2',
      'step 2',
      'finally',
    ]);
    // Work ahead that rejects ends the steps: their finally runs, the error reaches the caller.
    log.length = 0;
    function* failing(): Steps<string> {
      try {
        yield new Ahead(() => Promise.reject(new Error('device lost')));
        return 'not reached';
      } finally {
        log.push('finally');
      }
    }
    await assert.rejects(drive(failing()), /device lost/);
    assert.deepEqual(log, ['finally']);
  });

  it('keeps warm-up rules for whole steps, work ahead included', () => {
    const seen: string[] = [];
    function* steps(): Steps<void> {
      for (let i = 0; i < 3; i++) {
        seen.push(`ahead ${i} ${activeRules().relu}`);
        yield new Ahead(async () => {});
        seen.push(`step ${i} ${activeRules().relu}`);
        yield;
      }
    }
    drain(rulesForFirst(steps(), { relu: 'leaky' }, 2));
    assert.deepEqual(seen, [
      'ahead 0 leaky',
      'step 0 leaky',
      'ahead 1 leaky',
      'step 1 leaky',
      'ahead 2 gradient',
      'step 2 gradient',
    ]);
  });
});
