/** Engine: threads in Node, kernel report, and the wasm gather fix. */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineInfo } from './backend.js';
import { assertClose, onBoth, values } from '../../test/helpers.js';

let info: EngineInfo;
before(async () => {
  info = await initEngine({});
});

describe('engine', () => {
  it('defaults to wasm with SIMD, and to several threads where the machine has cores', () => {
    assert.equal(info.backend, 'wasm');
    assert.ok(info.simd);
    const cores = os.availableParallelism();
    assert.equal(info.threads, Math.min(4, cores));
  });

  it('reports the kernels it added and replaced', () => {
    assert.deepEqual(info.kernels.added.sort(), [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
    ]);
    assert.ok(info.kernels.replaced.includes('Conv2DBackpropInput'));
    assert.ok(info.kernels.replaced.includes('MaxPoolGrad'));
  });

  it('slices give the cpu answer on wasm, contiguous (read from the heap) or not (stock kernel)', async () => {
    assert.ok(info.kernels.replaced.some((k) => k.startsWith('Slice')));
    const cases: Array<[number[], number[], number[]]> = [
      [
        [10, 4, 4, 2],
        [3, 0, 0, 0],
        [5, -1, -1, -1],
      ], // a block of the batch: contiguous
      [
        [10, 4, 4, 2],
        [7, 1, 0, 0],
        [1, 2, -1, -1],
      ], // rows of one image: contiguous
      [
        [10, 4, 4, 2],
        [0, 1, 1, 0],
        [10, 2, 2, 1],
      ], // a window of every image: not
      [
        [6, 5],
        [2, 1],
        [3, 3],
      ],
      [
        [2, 6, 7, 3],
        [0, 1, 2, 0],
        [2, 4, 3, 3],
      ], // a padding's gradient: rows and columns cropped (runs of W·C)
      [
        [3, 4, 5, 6, 2],
        [1, 0, 2, 1, 0],
        [2, 4, 2, 3, 2],
      ], // rank 5, whole axis between cut ones
      [
        [4, 5],
        [0, 1],
        [4, 3],
      ], // only the last axis cut: runs of 3
    ];
    for (const [shape, begin, size] of cases) {
      const r = await onBoth(() =>
        tf.slice(
          tf.tensor(
            values(
              shape.reduce((a, b) => a * b),
              4,
            ),
            shape,
          ),
          begin,
          size,
        ),
      );
      assertClose(r.cpu, r.wasm, 0, `slice ${shape} from ${begin} size ${size}`);
    }
    const ints = tf.tensor1d([1, 2, 3, 4], 'int32').slice(1, 2);
    assert.deepEqual(Array.from(ints.dataSync()), [2, 3]);
    ints.dispose();
  });

  it('gather with batchDims gives the cpu answer on wasm (stock wasm 4.22 does not)', async () => {
    for (const [xs, is, axis] of [
      [[4, 3], [4, 2], 1],
      [[2, 5, 3], [2, 3], 1],
      [[2, 3, 4, 2], [2, 3, 2], 2],
    ] as const) {
      const r = await onBoth(() => {
        const xShape: number[] = [...xs];
        const iShape: number[] = [...is];
        const x = tf.tensor(
          values(
            xShape.reduce((a, b) => a * b),
            2,
          ),
          xShape,
        );
        const n = iShape.reduce((a, b) => a * b);
        const idx = tf.tensor(
          Array.from({ length: n }, (_, i) => (i * 7) % xShape[axis]),
          iShape,
          'int32',
        );
        return tf.gather(x, idx, axis, 1);
      });
      assertClose(r.cpu, r.wasm, 0, `gather ${xs} ${is}`);
    }
  });

  it('matMul with transposed operands (replaced path, cached weights) matches cpu', async () => {
    const a = values(3 * 5 * 4, 1);
    const b = values(3 * 4 * 6, 2);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const r = await onBoth(() => {
          const A = tf.tensor3d(a, ta ? [3, 4, 5] : [3, 5, 4]);
          const B = tf.tensor3d(b, tb ? [3, 6, 4] : [3, 4, 6]);
          return tf.matMul(A, B, ta, tb);
        });
        assertClose(r.cpu, r.wasm, 1e-5, `matMul ${ta} ${tb} #${repeat}`);
      }
    }
    // The same weight tensor used repeatedly (the cached-transpose path) keeps giving the right answer.
    const W = tf.tensor2d(values(40 * 7, 3), [40, 7]);
    const cpuW = tf.tidy(() => tf.tensor2d(values(40 * 7, 3), [40, 7]));
    for (let i = 0; i < 4; i++) {
      const dy = tf.tensor2d(values(2 * 7, 10 + i), [2, 7]);
      const got = await tf.matMul(dy, W, false, true).data();
      await tf.setBackend('cpu');
      const want = await tf
        .matMul(
          tf.tensor2d(values(2 * 7, 10 + i), [2, 7]),
          tf.tensor2d(values(40 * 7, 3), [40, 7]),
          false,
          true,
        )
        .data();
      await tf.setBackend('wasm');
      assertClose(want, got, 1e-5, `cached transpose, call ${i}`);
    }
    tf.dispose([W, cpuW]);
  });

  it('a clone shares data with its source yet outlives it (zero-copy Identity)', async () => {
    const a = tf.tensor1d([1, 2, 3]);
    const b = a.clone();
    a.dispose();
    assert.deepEqual(Array.from(await b.data()), [1, 2, 3]);
    const c = b.clone();
    b.dispose();
    assert.deepEqual(Array.from(await c.data()), [1, 2, 3]);
    c.dispose();
    assert.ok(info.kernels.replaced.some((k) => k.startsWith('Identity')));
  });

  it('threaded wasm computes what the cpu backend computes', async () => {
    const r = await onBoth(() =>
      tf.conv2d(
        tf.tensor4d(values(16 * 32 * 32 * 8, 3), [16, 32, 32, 8]),
        tf.tensor4d(values(3 * 3 * 8 * 16, 4), [3, 3, 8, 16]),
        1,
        'same',
      ),
    );
    assertClose(r.cpu, r.wasm, 1e-5, 'conv2d');
  });
});
