/**
 * Convolution gradients for the wasm backend, built from its fast forward kernels (XNNPACK).
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter and no depthwise gradients at all, and its
 * Conv2DBackpropInput is a scalar loop ~12× slower than its forward convolution. Every gradient
 * method runs these hundreds of times, so each is rewritten here as forward convolutions:
 *  - input gradient  = stride-1 correlation of dy with the 180°-rotated filter, the padding done by
 *    the kernel as it reads; for strides > 1, one such correlation per sub-pixel phase with the
 *    phase's taps, interleaved (subpixel.ts) — not a correlation over a zero-dilated dy;
 *  - filter gradient = a convolution whose batch is the input channels and whose "filter" is dy
 *    (dilation = stride), or per-tap products for depthwise filters.
 * Parity with the cpu backend is tested in conv_grads.test.ts over strides, paddings, kernel sizes,
 * dilations, channel multipliers and batch sizes.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelScope, withScope } from './scope.js';
import {
  fullPadding,
  geometry,
  inputWindowPadding,
  type ConvGeometry,
  type PadAttr,
} from './conv_geometry.js';
import { interleave, phaseFilter, phasePadding, phases, zeros } from './subpixel.js';
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

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

function nhwcOnly(a: ConvAttrs, name: string): void {
  if (a.dataFormat === 'NCHW') throw new Error(`deepvis engine: ${name} supports NHWC only`);
}

/** Pads that are [before, after] per spatial axis; negative values crop dy. */
type Pads = { h: [number, number]; w: [number, number] };

/**
 * A stride-1 convolution of dy with explicit padding: the kernel pads as it reads (no padded
 * copy of dy); negative paddings are cropped first.
 */
function correlate(
  s: KernelScope,
  kernel: 'Conv2D' | 'DepthwiseConv2dNative',
  dy: tf.TensorInfo,
  f: tf.TensorInfo,
  p: Pads,
  dil: [number, number] = [1, 1],
): tf.TensorInfo {
  const pos = (v: [number, number]): [number, number] => [Math.max(0, v[0]), Math.max(0, v[1])];
  const src =
    p.h.some((v) => v < 0) || p.w.some((v) => v < 0)
      ? s.padOrCrop(dy, [
          [0, 0],
          [Math.min(0, p.h[0]), Math.min(0, p.h[1])],
          [Math.min(0, p.w[0]), Math.min(0, p.w[1])],
          [0, 0],
        ])
      : dy;
  const pad = [[0, 0], pos(p.h), pos(p.w), [0, 0]];
  return s.run(
    kernel,
    { x: src, filter: f },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: dil },
  );
}

/** Depthwise correlation of dy ([N, H, W, C·M]) with a rotated [kH, kW, C, M] filter: [N, H', W', C]. */
function depthwiseCorrelate(
  s: KernelScope,
  dy: tf.TensorInfo,
  rotated: tf.TensorInfo,
  p: Pads,
  dil: [number, number],
): tf.TensorInfo {
  const [kH, kW, inC, mult] = rotated.shape;
  if (mult === 1) return correlate(s, 'DepthwiseConv2dNative', dy, rotated, p, dil);
  // Output channel c·M+m came from input channel c through filter slice m: one depthwise
  // correlation per m, summed.
  const [n, h, w] = dy.shape;
  const dy5 = s.reshape(dy, [n, h, w, inC, mult]);
  let acc: tf.TensorInfo | null = null;
  for (let m = 0; m < mult; m++) {
    const part = s.reshape(s.slice(dy5, [0, 0, 0, 0, m], [n, h, w, inC, 1]), [n, h, w, inC]);
    const y = correlate(
      s,
      'DepthwiseConv2dNative',
      part,
      s.slice(rotated, [0, 0, 0, m], [kH, kW, inC, 1]),
      p,
      dil,
    );
    acc = acc == null ? y : s.run('Add', { a: acc, b: y });
  }
  return acc!;
}

/** Few input channels: stack the phases along the output channels (see subpixel.ts). */
const stackPhases = (g: ConvGeometry) => g.inC * g.sH * g.sW <= 32;

function stridedConvInput(
  s: KernelScope,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
  backend: tf.KernelBackend,
  backendName: string,
): tf.TensorInfo {
  const { h, w, list } = phases(g);
  const co = filter.shape[3];
  const kind = `conv-${g.sH}x${g.sW}`;
  if (stackPhases(g)) {
    const jh = Math.max(...h.taps);
    const jw = Math.max(...w.taps);
    const stacked = cachedFilter(`${kind}-stacked`, backend, backendName, filter, (c) => {
      const blocks = list.map((p) =>
        p.jh === 0 || p.jw === 0
          ? zeros(c, [jh, jw, co, g.inC])
          : c.padOrCrop(c.transpose(phaseFilter(c, filter, g, p), [0, 1, 3, 2]), [
              [jh - p.jh, 0],
              [jw - p.jw, 0],
              [0, 0],
              [0, 0],
            ]),
      );
      return c.run('Concat', blocks as unknown as Record<string, tf.TensorInfo>, { axis: 3 });
    });
    const y = correlate(s, 'Conv2D', dy, stacked, {
      h: phasePadding(h, jh, g.outH),
      w: phasePadding(w, jw, g.outW),
    });
    return s.adopt(interleave(s.backend, [y], g, h, w));
  }
  const parts = list.map((p) => {
    if (p.jh === 0 || p.jw === 0) return null;
    const f = cachedFilter(`${kind}-${p.rh}-${p.rw}`, backend, backendName, filter, (c) =>
      c.transpose(phaseFilter(c, filter, g, p), [0, 1, 3, 2]),
    );
    return correlate(s, 'Conv2D', dy, f, {
      h: phasePadding(h, p.jh, g.outH),
      w: phasePadding(w, p.jw, g.outW),
    });
  });
  return s.adopt(interleave(s.backend, parts, g, h, w));
}

export function conv2dBackpropInput(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const a = attrs as unknown as ConvAttrs;
    nhwcOnly(a, 'Conv2DBackpropInput');
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const g = geometry(a.inputShape!, filter.shape, a.strides, 1, a.pad, false, a.dimRoundingMode);
    return withScope(backend, backendName, (s) => {
      if (g.sH > 1 || g.sW > 1) return stridedConvInput(s, dy, filter, g, backend, backendName);
      const swapped = cachedFilter('conv', backend, backendName, filter, (c) =>
        c.transpose(c.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]),
      );
      return correlate(s, 'Conv2D', dy, swapped, fullPadding(g));
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
      const out = s.run(
        'Conv2D',
        { x: xt, filter: dyAsFilter },
        {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          dilations: [g.sH, g.sW],
        },
      );
      return s.transpose(out, [1, 2, 0, 3]);
    });
  };
}

/**
 * XNNPACK (tfjs-backend-wasm 4.22) has depthwise micro-kernels for 3, 4, 9 and 25 taps; other tap
 * counts take a path 10–50× slower (measured on 8×56×56×96: 2×2 0.9 ms, 2×1 27 ms, 4×4 56 ms).
 * A phase's filter is zero-padded in front to the smallest such window that holds it (the padding
 * of dy grows to match, so the result is the same).
 */
const FAST_DEPTHWISE: Array<[number, number]> = [
  [1, 3],
  [3, 1],
  [2, 2],
  [3, 3],
  [5, 5],
];
function fastDepthwiseTaps(jh: number, jw: number): [number, number] {
  const fits = FAST_DEPTHWISE.filter(([a, b]) => a >= jh && b >= jw).sort(
    (x, y) => x[0] * x[1] - y[0] * y[1],
  );
  return fits[0] ?? [jh, jw];
}

export function depthwiseBackpropInput(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const a = attrs as unknown as ConvAttrs;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const dil = a.dilations ?? 1;
    const g = geometry(a.inputShape!, filter.shape, a.strides, dil, a.pad, true, a.dimRoundingMode);
    return withScope(backend, backendName, (s) => {
      if (g.sH === 1 && g.sW === 1) {
        const rotated = cachedFilter('depthwise', backend, backendName, filter, (c) =>
          c.run('Reverse', { x: filter }, { dims: [0, 1] }),
        );
        return depthwiseCorrelate(s, dy, rotated, fullPadding(g), [g.dH, g.dW]);
      }
      const { h, w, list } = phases(g);
      const parts = list.map((p) => {
        if (p.jh === 0 || p.jw === 0) return null;
        const [th, tw] = fastDepthwiseTaps(p.jh, p.jw);
        const f = cachedFilter(
          `depthwise-${g.sH}x${g.sW}-${p.rh}-${p.rw}`,
          backend,
          backendName,
          filter,
          (c) =>
            c.padOrCrop(phaseFilter(c, filter, g, p), [
              [th - p.jh, 0],
              [tw - p.jw, 0],
              [0, 0],
              [0, 0],
            ]),
        );
        return depthwiseCorrelate(
          s,
          dy,
          f,
          { h: phasePadding(h, th, g.outH), w: phasePadding(w, tw, g.outW) },
          [1, 1],
        );
      });
      return s.adopt(interleave(s.backend, parts, g, h, w));
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
          const xij = s.run(
            'StridedSlice',
            { x: xw },
            {
              begin: [0, r0, c0, 0],
              end: [n, r0 + (g.outH - 1) * g.sH + 1, c0 + (g.outW - 1) * g.sW + 1, inC],
              strides: [1, g.sH, g.sW, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          );
          const xT = s.transpose(s.reshape(xij, [n * g.outH * g.outW, inC, 1]), [1, 0, 2]);
          taps.push(
            s.run('BatchMatMul', { a: dyT, b: xT }, { transposeA: false, transposeB: false }),
          );
        }
      }
      // Each tap is [C, M, 1]; stacking gives [kH·kW, C, M].
      const stacked = s.run('Concat', taps as unknown as Record<string, tf.TensorInfo>, {
        axis: 2,
      });
      return s.reshape(s.transpose(stacked, [2, 0, 1]), [kH, kW, inC, mult]);
    });
  };
}
