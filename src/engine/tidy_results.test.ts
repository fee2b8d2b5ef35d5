/** A tidy returning numbers hands them back as they are, without walking them value by value. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup, deepvisOnly } from '../../test/helpers.js';

/** Calls of Set.prototype.add while fn runs: tfjs's container walk adds every value it visits. */
function setAdds<T>(fn: () => T): { out: T; adds: number } {
  const add = Set.prototype.add;
  let adds = 0;
  Set.prototype.add = function (this: Set<unknown>, v: unknown) {
    adds++;
    return add.call(this, v);
  };
  try {
    return { out: fn(), adds };
  } finally {
    Set.prototype.add = add;
  }
}

describe('tidy results', () => {
  it(
    'typed arrays and number arrays come back untouched and unwalked; tensors inside tidy are freed',
    deepvisOnly('tidy walks a returned typed array element by element'),
    async () => {
      await setup('wasm');
      await noLeaks(() => {
        const a = setAdds(() => tf.tidy(() => tf.range(0, 100_000).mul(2).dataSync()));
        assert.equal(a.out.length, 100_000);
        assert.equal(a.out[99_999], 199_998);
        assert.ok(a.adds < 100, `${a.adds} Set.add calls for a 100,000-value result`);
        const b = setAdds(() => tf.tidy(() => tf.ones([300, 300]).arraySync() as number[][]));
        assert.equal(b.out[299][299], 1);
        assert.ok(b.adds < 100, `${b.adds} Set.add calls for a 300 × 300 array`);
      });
    },
  );

  it('tensors returned in containers still reach the caller', async () => {
    await setup('wasm');
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => ({ t: tf.scalar(3).add(1), list: [tf.scalar(5)], n: 2 }));
    assert.equal(tf.memory().numTensors - before, 2);
    assert.equal(out.t.dataSync()[0], 4);
    tf.dispose([out.t, ...out.list]);
  });
});
