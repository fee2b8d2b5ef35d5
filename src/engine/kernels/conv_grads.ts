/**
 * Convolution gradients for the wasm backend, built from its fast forward kernels (XNNPACK).
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter and no depthwise gradients at all, and its
 * Conv2DBackpropInput is a scalar loop ~12× slower than its forward convolution. Every gradient
 * method runs these hundreds of times, so each is rewritten here as forward convolutions:
 *  - input gradient  = stride-1 correlation of (dilated, padded) dy with the 180°-rotated filter;
 *  - filter gradient = a convolution whose batch is the input channels and whose "filter" is dy
 *    (dilation = stride), or per-tap products for depthwise filters.
 * Parity with the cpu backend is tested in conv_grads.test.ts over strides, paddings, kernel sizes,
 * dilations, channel multipliers and batch sizes.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelScope, withScope } from './scope.js';
import { fullPadding, geometry, inputWindowPadding, type PadAttr } from './conv_geometry.js';
import { cachedFilter } from './filter_cache.js';

interface ConvAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: number[];
  filterShape?: number[];
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function nhwcOnly(a: ConvAttrs, name: string): void {
  if (a.dataFormat === 'NCHW') throw new Error(`deepvis engine: ${name} supports NHWC only`);
}

/** Inserts s−1 zeros between neighbouring rows/cols of dy ([N,H,W,C]): the transpose of a stride. */
function dilate(s: KernelScope, dy: tf.TensorInfo, sH: number, sW: number): tf.TensorInfo {
  if (sH === 1 && sW === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const six = s.reshape(dy, [n, h, 1, w, 1, c]);
  const padded = s.run('PadV2', { x: six }, {
    paddings: [[0, 0], [0, 0], [0, sH - 1], [0, 0], [0, sW - 1], [0, 0]],
    constantValue: 0,
  });
  const flat = s.reshape(padded, [n, h * sH, w * sW, c]);
  return s.slice(flat, [0, 0, 0, 0], [n, (h - 1) * sH + 1, (w - 1) * sW + 1, c]);
}

function fullCorrelationInput(
  s: KernelScope, dy: tf.TensorInfo, g: ReturnType<typeof geometry>,
): tf.TensorInfo {
  const p = fullPadding(g);
  return s.padOrCrop(dilate(s, dy, g.sH, g.sW), [[0, 0], p.h, p.w, [0, 0]]);
}

export function conv2dBackpropInput(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const a = attrs as unknown as ConvAttrs;
    nhwcOnly(a, 'Conv2DBackpropInput');
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const g = geometry(a.inputShape!, filter.shape, a.strides, 1, a.pad, false, a.dimRoundingMode);
    return withScope(backend, backendName, (s) => {
      const src = fullCorrelationInput(s, dy, g);
      const swapped = cachedFilter('conv', backend, backendName, filter, (c) =>
        c.transpose(c.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]),
      );
      return s.run('Conv2D', { x: src, filter: swapped }, {
        strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1],
      });
    });
  };
}

export function conv2dBackpropFilter(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const a = attrs as unknown as ConvAttrs;
    nhwcOnly(a, 'Conv2DBackpropFilter');
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const g = geometry(x.shape, a.filterShape!, a.strides, 1, a.pad, false, a.dimRoundingMode);
    return withScope(backend, backendName, (s) => {
      const win = inputWindowPadding(g);
      const xw = s.padOrCrop(x, [[0, 0], win.h, win.w, [0, 0]]);
      // Channels become the batch and the batch becomes the channels: one forward convolution
      // then sums over batch and positions at once.
      const xt = s.transpose(xw, [3, 1, 2, 0]);
      const dyAsFilter = s.transpose(dy, [1, 2, 0, 3]);
      const out = s.run('Conv2D', { x: xt, filter: dyAsFilter }, {
        strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [g.sH, g.sW],
      });
      return s.transpose(out, [1, 2, 0, 3]);
    });
  };
}

export function depthwiseBackpropInput(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const a = attrs as unknown as ConvAttrs;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const dil = a.dilations ?? 1;
    const g = geometry(a.inputShape!, filter.shape, a.strides, dil, a.pad, true, a.dimRoundingMode);
    const [kH, kW, inC, mult] = filter.shape;
    return withScope(backend, backendName, (s) => {
      const src = fullCorrelationInput(s, dy, g);
      const rotated = cachedFilter('depthwise', backend, backendName, filter, (c) => c.run('Reverse', { x: filter }, { dims: [0, 1] }));
      const conv = (xIn: tf.TensorInfo, f: tf.TensorInfo) =>
        s.run('DepthwiseConv2dNative', { x: xIn, filter: f }, {
          strides: [1, 1], pad: 'valid', dilations: [g.dH, g.dW],
        });
      if (mult === 1) return conv(src, rotated);
      // Output channel c·M+m came from input channel c through filter slice m: one depthwise
      // correlation per m, summed.
      const [n, h, w] = src.shape;
      const src5 = s.reshape(src, [n, h, w, inC, mult]);
      let acc: tf.TensorInfo | null = null;
      for (let m = 0; m < mult; m++) {
        const part = s.reshape(s.slice(src5, [0, 0, 0, 0, m], [n, h, w, inC, 1]), [n, h, w, inC]);
        const fm = s.slice(rotated, [0, 0, 0, m], [kH, kW, inC, 1]);
        const y = conv(part, fm);
        acc = acc == null ? y : s.run('Add', { a: acc, b: y });
      }
      return acc!;
    });
  };
}

export function depthwiseBackpropFilter(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const a = attrs as unknown as ConvAttrs;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const dil = a.dilations ?? 1;
    const g = geometry(x.shape, a.filterShape!, a.strides, dil, a.pad, true, a.dimRoundingMode);
    const [kH, kW, inC, mult] = a.filterShape!;
    return withScope(backend, backendName, (s) => {
      const win = inputWindowPadding(g);
      const xw = s.padOrCrop(x, [[0, 0], win.h, win.w, [0, 0]]);
      const n = g.batch;
      // [C, M, N·Ho·Wo] so that each tap is one batched matrix–vector product over channels.
      const dyT = s.transpose(s.reshape(dy, [n * g.outH * g.outW, inC, mult]), [1, 2, 0]);
      const taps: tf.TensorInfo[] = [];
      for (let i = 0; i < kH; i++) {
        for (let j = 0; j < kW; j++) {
          const r0 = i * g.dH;
          const c0 = j * g.dW;
          const xij = s.run('StridedSlice', { x: xw }, {
            begin: [0, r0, c0, 0],
            end: [n, r0 + (g.outH - 1) * g.sH + 1, c0 + (g.outW - 1) * g.sW + 1, inC],
            strides: [1, g.sH, g.sW, 1],
            beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
          });
          const xT = s.transpose(s.reshape(xij, [n * g.outH * g.outW, inC, 1]), [1, 0, 2]);
          taps.push(s.run('BatchMatMul', { a: dyT, b: xT }, { transposeA: false, transposeB: false }));
        }
      }
      // Each tap is [C, M, 1]; stacking gives [kH·kW, C, M].
      const stacked = s.run('Concat', taps as unknown as Record<string, tf.TensorInfo>, { axis: 2 });
      return s.reshape(s.transpose(stacked, [2, 0, 1]), [kH, kW, inC, mult]);
    });
  };
}
