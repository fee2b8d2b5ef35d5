/** Attention statistics with answers worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classTokenEntropy, concentration, meanAttentionDistance } from './attention_stats.js';

describe('attention statistics', () => {
  it('mean attention distance: patch keys only, weighted, per query then averaged', () => {
    // 1 image, T = 3 (class token + a 1×2 grid), 1 head, patches 4 px apart.
    // Query 1 (patch 0): keys 1, 2 at 0.5, 0.5 → (0·0.5 + 4·0.5) / 1 = 2.
    // Query 2 (patch 1): class token 0.6, key 1 0.3 (4 px), key 2 0.1 (0 px) → 1.2 / 0.4 = 3.
    const a = Float32Array.from([1 / 3, 1 / 3, 1 / 3, 0, 0.5, 0.5, 0.6, 0.3, 0.1]);
    assert.deepEqual(meanAttentionDistance(a, [1, 3, 3, 1], 1, [1, 2], [4, 4]), [2.5]);
  });
  it('class-token entropy: 1 when uniform, 0 on one token, per head', () => {
    // Two heads interleaved last: head 0 uniform from the class token, head 1 all on token 2.
    const a = new Float32Array(1 * 3 * 3 * 2);
    for (let k = 0; k < 3; k++) a[k * 2] = 1 / 3;
    a[2 * 2 + 1] = 1;
    const e = classTokenEntropy(a, [1, 3, 3, 2]);
    assert.ok(Math.abs(e[0] - 1) < 1e-4 && e[1] === 0, String(e));
  });
  it('concentration: the top 10% share of a map', () => {
    const flat = new Float32Array(20).fill(1);
    const peaked = new Float32Array(20);
    peaked[3] = 1;
    peaked[7] = 1;
    const c = concentration(Float32Array.from([...flat, ...peaked]), 2);
    assert.ok(Math.abs(c[0] - 0.1) < 1e-6 && c[1] === 1, String(c));
  });
});
