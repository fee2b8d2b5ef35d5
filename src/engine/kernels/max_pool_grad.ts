/**
 * MaxPoolGrad for wasm. tfjs-backend-wasm 4.22's own kernel routes some gradients to the wrong
 * window position (found by the parity test: 1×4×4×5 input, 2×2 valid pooling, one pixel off), so
 * every max-pool saliency and deconvnet map on wasm would be subtly wrong. This one follows the cpu
 * backend's rule exactly: each output's gradient goes to the first maximum of its window, in
 * row-major order. A direct loop over the backend's memory: one pass over the windows.
 */
import * as tf from '@tensorflow/tfjs';
import { readFloats, writeFloats } from './host_memory.js';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input, output } = inputs as {
    dy: tf.TensorInfo;
    input: tf.TensorInfo;
    output?: tf.TensorInfo;
  };
  const a = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const tiled =
    fh === 2 &&
    fw === 2 &&
    sh === 2 &&
    sw === 2 &&
    top === 0 &&
    left === 0 &&
    oh * 2 === h &&
    ow * 2 === w;
  return writeFloats(
    backend,
    input.shape,
    (dx) => {
      // Views taken after the output is allocated (a heap growth detaches earlier ones).
      const x = readFloats(backend, input);
      const g = readFloats(backend, dy);
      if (tiled) {
        pool2x2(x, g, dx, n, h, w, c, oh, ow);
        return;
      }
      general(x, output != null ? readFloats(backend, output) : null, g, dx, info);
    },
    !tiled,
  );
}

/**
 * Any window, stride and padding (the 3×3/2 stem pooling of ResNets: overlapping windows). The
 * window's taps are clipped to the input once per position (no per-tap bounds test) and visited in
 * row-major order; the winner is the first tap equal to the forward output y — the window's
 * maximum, bit for bit — so the scan stops there (measured on 8×112×112×64 after a ReLU: 116 ms
 * with a running maximum and bounds tests, 40 ms this way). Without y, the running maximum.
 * Gradients are added (+=): overlapping windows can pick the same input.
 */
function general(
  x: Float32Array,
  y: Float32Array | null,
  g: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const rowStride = w * c;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const fy0 = Math.max(0, -y0);
      const rows = Math.min(fh, h - y0) - fy0;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const fx0 = Math.max(0, -x0);
        const cols = Math.min(fw, w - x0) - fx0;
        const first = xb + ((y0 + fy0) * w + x0 + fx0) * c;
        const gBase = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let at = -1;
          if (y != null) {
            const max = y[gBase + ch];
            search: for (let r = 0, rb = first + ch; r < rows; r++, rb += rowStride) {
              for (let q = 0, i = rb; q < cols; q++, i += c) {
                if (x[i] === max) {
                  at = i;
                  break search;
                }
              }
            }
          } else {
            let best = -Infinity;
            for (let r = 0, rb = first + ch; r < rows; r++, rb += rowStride) {
              for (let q = 0, i = rb; q < cols; q++, i += c) {
                if (x[i] > best) {
                  best = x[i];
                  at = i;
                }
              }
            }
          }
          if (at >= 0) dx[at] += g[gBase + ch];
        }
      }
    }
  }
}

/**
 * The common case: 2×2 windows, stride 2, no padding, tiling the input exactly — so every input
 * element is written (the output needs no zeroing first). Same first-max rule. Branch-free: the
 * winner's index is built from comparison results and each position gets g·[it won], because on
 * data-dependent comparisons branches mispredict (this runs 2–3× faster than the branching loop).
 */
function pool2x2(
  x: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
): void {
  const row = w * c;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const i00 = ((b * h + 2 * oy) * w + 2 * ox) * c;
        const gBase = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const a = i00 + ch;
          const v0 = x[a];
          const v1 = x[a + c];
          const v2 = x[a + row];
          const v3 = x[a + row + c];
          const b1 = +(v1 > v0);
          const m1 = b1 * v1 + (1 - b1) * v0;
          const b2 = +(v2 > m1);
          const m2 = b2 * v2 + (1 - b2) * m1;
          const b3 = +(v3 > m2);
          const k = b3 * 3 + (1 - b3) * (b2 * 2 + (1 - b2) * b1);
          const gv = g[gBase + ch];
          dx[a] = +(k === 0) * gv;
          dx[a + c] = +(k === 1) * gv;
          dx[a + row] = +(k === 2) * gv;
          dx[a + row + c] = +(k === 3) * gv;
        }
      }
    }
  }
}
