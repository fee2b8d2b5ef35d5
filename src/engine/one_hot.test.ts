import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { oneHot } from './one_hot.js';
import { noLeaks, setup } from '../../test/helpers.js';

before(() => setup('wasm'));

describe('oneHot', () => {
  it('depth 1 (a one-unit layer, a 1×1 map): a column of ones', async () => {
    await noLeaks(() => {
      const t = oneHot([0, 0, 0], 1);
      assert.deepEqual(t.shape, [3, 1]);
      assert.equal(t.dtype, 'float32');
      assert.deepEqual(Array.from(t.dataSync()), [1, 1, 1]);
      t.dispose();
    });
  });

  it('depth 3 from an Int32Array: the rows by hand', () => {
    const t = oneHot(Int32Array.from([2, 0, 1]), 3);
    assert.deepEqual(t.arraySync(), [
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    t.dispose();
  });

  it('refuses an index out of range (tf.oneHot would give a silent zero row) and depth 0', () => {
    assert.throws(() => oneHot([0, 3], 3), /index 3 out of range for 3 entries/);
    assert.throws(() => oneHot([1], 1), /index 1 out of range for 1 entry/);
    assert.throws(() => oneHot([0], 0), /depth must be a positive integer/);
  });
});
