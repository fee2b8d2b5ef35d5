/** .npy files as np.save writes them (version 1 header, padded to 64 bytes), built by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNpy } from './npy.js';

function npy(descr: string, shape: string, payload: Uint8Array, fortran = 'False'): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set([
    0x93,
    ...Array.from('NUMPY', (c) => c.charCodeAt(0)),
    1,
    0,
    header.length & 0xff,
    header.length >> 8,
  ]);
  out.set(
    Array.from(header, (c) => c.charCodeAt(0)),
    10,
  );
  out.set(payload, 10 + header.length);
  return out;
}

describe('.npy', () => {
  it('float32 [2, 3] and float64 [3] and float16 read as their values', () => {
    const a = parseNpy(
      npy('<f4', '(2, 3)', new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6.5]).buffer)),
      'a.npy',
    );
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6.5]);
    const b = parseNpy(
      npy('<f8', '(3,)', new Uint8Array(Float64Array.from([0.25, -1, 1e-3]).buffer)),
      'b.npy',
    );
    assert.deepEqual(b.shape, [3]);
    assert.deepEqual(Array.from(b.data), [0.25, -1, Math.fround(1e-3)]);
    // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800 in IEEE half precision.
    const c = parseNpy(
      npy('<f2', '(3,)', new Uint8Array(Uint16Array.from([0x3c00, 0xc000, 0x3800]).buffer)),
      'c.npy',
    );
    assert.deepEqual(Array.from(c.data), [1, -2, 0.5]);
  });
  it('what it cannot read is one line naming the file and the fix', () => {
    assert.throws(
      () => parseNpy(new TextEncoder().encode('[1, 2, 3]'), 'x.npy'),
      /^DeepvisError: x\.npy: not a \.npy array deepvis reads \(no \\x93NUMPY magic\)$/,
    );
    assert.throws(
      () => parseNpy(npy('<c8', '(1,)', new Uint8Array(8)), 'z.npy'),
      /dtype <c8; save it as float32/,
    );
    assert.throws(
      () => parseNpy(npy('<f4', '(2, 2)', new Uint8Array(16), 'True'), 'f.npy'),
      /Fortran order/,
    );
    assert.throws(
      () => parseNpy(npy('<f4', '(4,)', new Uint8Array(8)), 's.npy'),
      /4 values of <f4 announced, 2 present/,
    );
  });
});

describe('.npy files NumPy wrote (scripts/make_npy_fixtures.py)', () => {
  it('float32 [2, 3], float16, int64 [2, 1]; Fortran order and complex refused in one line', async () => {
    const { readFileSync } = await import('node:fs');
    const load = (name: string) => parseNpy(readFileSync(`test/fixtures/npy/${name}`), name);
    const a = load('f32_2x3.npy');
    assert.deepEqual(
      [a.shape, Array.from(a.data)],
      [
        [2, 3],
        [-0.5, -0.25, 0, 0.25, 0.5, 0.75],
      ],
    );
    // 6.1e-5 is stored as the nearest half, 6.097555160522461e-05 (NumPy's own reading).
    assert.deepEqual(Array.from(load('f16.npy').data), [
      0.5,
      -1,
      65504,
      Math.fround(6.097555160522461e-5),
    ]);
    const i = load('i64.npy');
    assert.deepEqual(
      [i.shape, Array.from(i.data)],
      [
        [2, 1],
        [-3, 7],
      ],
    );
    assert.throws(
      () => load('fortran.npy'),
      /^DeepvisError: fortran\.npy: not a \.npy array deepvis reads \(Fortran order/,
    );
    assert.throws(
      () => load('complex.npy'),
      /^DeepvisError: complex\.npy: not a \.npy array deepvis reads \(dtype <c8/,
    );
  });
});
