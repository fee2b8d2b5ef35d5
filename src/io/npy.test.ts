/** The .npy reader against files NumPy 1.24 wrote (scripts/make_npy_fixtures.py). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseNpy } from './npy.js';

const load = (name: string) => parseNpy(readFileSync(`test/fixtures/npy/${name}`), name);

describe('.npy files', () => {
  it('reads float32, big-endian float64, float16, int64 and uint8 arrays with their shapes', () => {
    const a = load('f32_2x3.npy');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data), [-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
    const b = load('f64_be.npy');
    assert.deepEqual(b.shape, [4]);
    assert.deepEqual(Array.from(b.data), [1.5, -2.25, Math.fround(1e-3), 3e5]);
    // 6.1e-5 is stored as the nearest half, 6.097555160522461e-05 (NumPy's own reading).
    assert.deepEqual(Array.from(load('f16.npy').data), [0.5, -1, 65504, Math.fround(6.097555160522461e-5)]);
    const i = load('i64.npy');
    assert.deepEqual([i.shape, Array.from(i.data)], [[2, 1], [-3, 7]]);
    assert.deepEqual(Array.from(load('u1.npy').data), [0, 255, 9]);
  });

  it('refuses what it cannot read in one line naming the file', () => {
    assert.throws(() => load('complex.npy'), /^DeepvisError: complex\.npy holds dtype '<c8'; deepvis reads float and integer arrays$/);
    assert.throws(() => load('fortran.npy'), /^DeepvisError: fortran\.npy is in Fortran order/);
    assert.throws(() => parseNpy(new TextEncoder().encode('[1, 2, 3]'), 'v.npy'), /^DeepvisError: v\.npy is not a NumPy \.npy file/);
    const cut = readFileSync('test/fixtures/npy/f32_2x3.npy').subarray(0, 140);
    assert.throws(() => parseNpy(cut, 'cut.npy'), /^DeepvisError: cut\.npy holds 3 values; its shape \(2, 3\) needs 6$/);
  });
});
