/** Units in consecutive batches: the joined result is each chunk's own result, in unit order. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { erhan } from './erhan.js';
import { inUnitChunks } from './unit_chunks.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { noLeaks, setup, values } from '../../test/helpers.js';

before(() => setup('wasm'));

function model() {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [5, 5, 1], name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 5,
      name: 'lin',
      activation: 'tanh',
      weights: [tf.tensor2d(values(25 * 5, 3), [25, 5]), tf.zeros([5])],
    }),
  );
  return fromLayersModel(m);
}

describe('inUnitChunks', () => {
  it('joins chunk results unit-major, each chunk seeded seed + its number, tensors concatenated', async () => {
    const m = model();
    const args = { layer: 'lin', steps: 20, restarts: 3, keepRestarts: true };
    await noLeaks(() => {
      const joined = inUnitChunks([4, 0, 2, 1, 3], 2, 7, (u, seed) =>
        erhan(m, { ...args, units: u, seed }),
      );
      assert.deepEqual(
        joined.units.map((r) => r.unit),
        [4, 0, 2, 1, 3],
      );
      assert.deepEqual(joined.images.shape, [5, 5, 5, 1]);
      assert.deepEqual(joined.restartImages!.shape, [15, 5, 5, 1]);
      assert.equal((joined.params as Record<string, unknown>).unitChunk, 2);
      const last = erhan(m, { ...args, units: [3], seed: 9 });
      const tail = joined.images.slice([4], [1]);
      assert.deepEqual(Array.from(tail.dataSync()), Array.from(last.images.dataSync()));
      tail.dispose();
      assert.equal(joined.units[4].activation, last.units[0].activation);
      tf.dispose([joined.images, joined.restartImages!, last.images, last.restartImages!]);
    });
    m.dispose();
  });
});
