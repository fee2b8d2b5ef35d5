/**
 * The input-gradient kernels as they were before sub-pixel decomposition (commit 1228a1a), kept
 * here only so bench/kernels.ts and bench/resnet18.ts --before can time "before" and "after" in one
 * run: the strided
 * convolution gradients as one stride-1 convolution over a zero-dilated, padded copy of dy, and the
 * max-pool gradient's general case as a per-channel window scan with bounds tests.
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelScope, withScope } from '../src/engine/kernels/scope.js';
import { fullPadding, geometry } from '../src/engine/kernels/conv_geometry.js';
import { readFloats, writeFloats } from '../src/engine/kernels/host_memory.js';
import { cachedFilter } from '../src/engine/kernels/filter_cache.js';
import { applyPatches } from '../src/engine/patches.js';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type Attrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dilations?: number;
  inputShape: number[];
};

/** Inserts s−1 zeros between neighbouring rows/cols of dy ([N,H,W,C]): the transpose of a stride. */
function dilate(s: KernelScope, dy: tf.TensorInfo, sH: number, sW: number): tf.TensorInfo {
  if (sH === 1 && sW === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const six = s.reshape(dy, [n, h, 1, w, 1, c]);
  const padded = s.run(
    'PadV2',
    { x: six },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sH - 1],
        [0, 0],
        [0, sW - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const flat = s.reshape(padded, [n, h * sH, w * sW, c]);
  return s.slice(flat, [0, 0, 0, 0], [n, (h - 1) * sH + 1, (w - 1) * sW + 1, c]);
}

function fullCorrelationInput(
  s: KernelScope,
  dy: tf.TensorInfo,
  g: ReturnType<typeof geometry>,
): tf.TensorInfo {
  const p = fullPadding(g);
  return s.padOrCrop(dilate(s, dy, g.sH, g.sW), [[0, 0], p.h, p.w, [0, 0]]);
}

export function legacyConvInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const a = attrs as unknown as Attrs;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const g = geometry(a.inputShape, filter.shape, a.strides, 1, a.pad, false);
  return withScope(backend, 'wasm', (s) => {
    const swapped = cachedFilter('legacy-conv', backend, 'wasm', filter, (c) =>
      c.transpose(c.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]),
    );
    return s.run(
      'Conv2D',
      { x: fullCorrelationInput(s, dy, g), filter: swapped },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
    );
  });
}

/** Multiplier 1 only (what the bench times). */
export function legacyDepthwiseInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const a = attrs as unknown as Attrs;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const g = geometry(a.inputShape, filter.shape, a.strides, a.dilations ?? 1, a.pad, true);
  return withScope(backend, 'wasm', (s) => {
    const rotated = cachedFilter('legacy-depthwise', backend, 'wasm', filter, (c) =>
      c.run('Reverse', { x: filter }, { dims: [0, 1] }),
    );
    return s.run(
      'DepthwiseConv2dNative',
      { x: fullCorrelationInput(s, dy, g), filter: rotated },
      { strides: [1, 1], pad: 'valid', dilations: [g.dH, g.dW] },
    );
  });
}

export function legacyMaxPoolGeneral(
  x: Float32Array,
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
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const gBase = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let fy = 0; fy < fh; fy++) {
            const yy = y0 + fy;
            if (yy < 0 || yy >= h) continue;
            for (let fx = 0; fx < fw; fx++) {
              const xx = x0 + fx;
              if (xx < 0 || xx >= w) continue;
              const i = xb + (yy * w + xx) * c + ch;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += g[gBase + ch];
        }
      }
    }
  }
}

export function legacyMaxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as { filterSize: number; strides: number; pad: number };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
  );
  const x = readFloats(backend, input);
  const g = readFloats(backend, dy);
  return writeFloats(backend, input.shape, (dx) => legacyMaxPoolGeneral(x, g, dx, info), true);
}

/**
 * The engine as it was before lazy gradients and sub-pixel kernels: stock tfjs (engine/patches.ts:
 * no tape, kernel or backward patches, tfjs's own gradients) and the legacy input-gradient
 * kernels. For the benchmark's "before" column only.
 */
export function installLegacyEngine(): void {
  applyPatches('stock', 'wasm');
  for (const [name, fn] of [
    ['Conv2DBackpropInput', legacyConvInput],
    ['MaxPoolGrad', legacyMaxPoolGrad],
  ] as const) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: fn as unknown as tf.KernelFunc,
    });
  }
}
