/**
 * Gradients of dilated (atrous) convolutions. tfjs 4.22's Conv2D and DepthwiseConv2dNative
 * gradients refuse dilation > 1 on every backend. A convolution with dilation d equals one with the
 * filter spread out by d (zeros between taps), so the gradients are the undilated kernels run on
 * the spread filter, and the filter gradient is read back at every d-th tap. Dilation 1 keeps
 * tfjs's own path. Registered once, for all backends.
 */
import * as tf from '@tensorflow/tfjs';
import { runKernel } from './internals.js';

type Pair = [number, number];

function pair(v: number | number[] | undefined): Pair {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];
}

/** [kh, kw, a, b] → [(kh−1)·dh+1, (kw−1)·dw+1, a, b] with zeros between taps. */
function spread(w: tf.Tensor4D, [dh, dw]: Pair): tf.Tensor4D {
  const [kh, kw, a, b] = w.shape;
  return w
    .reshape([kh, 1, kw, 1, a, b])
    .pad([
      [0, 0],
      [0, dh - 1],
      [0, 0],
      [0, dw - 1],
      [0, 0],
      [0, 0],
    ])
    .reshape([kh * dh, kw * dw, a, b])
    .slice([0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]) as tf.Tensor4D;
}

function everyNth(g: tf.Tensor4D, [dh, dw]: Pair): tf.Tensor4D {
  return tf.stridedSlice(g, [0, 0, 0, 0], g.shape, [dh, dw, 1, 1]) as tf.Tensor4D;
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) =>
  runKernel(name, inputs, attrs) as tf.Tensor4D;

let installed = false;

export function installDilatedGradients(): void {
  if (installed) return;
  installed = true;
  const conv = tf.getGradient('Conv2D');
  const depthwise = tf.getGradient('DepthwiseConv2dNative');
  if (conv == null || depthwise == null) return;

  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const d = pair(attrs.dilations as number | number[]);
      if (d[0] === 1 && d[1] === 1) return conv.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as Record<string, unknown>;
      const wide = spread(filter, d);
      return {
        x: () =>
          run(
            'Conv2DBackpropInput',
            { dy: dy as tf.Tensor, filter: wide },
            { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape },
          ),
        filter: () =>
          everyNth(
            run(
              'Conv2DBackpropFilter',
              { x, dy: dy as tf.Tensor },
              { strides, pad, dataFormat, dimRoundingMode, filterShape: wide.shape },
            ),
            d,
          ),
      };
    },
  });

  tf.registerGradient({
    kernelName: 'DepthwiseConv2dNative',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const d = pair(attrs.dilations as number | number[]);
      if (d[0] === 1 && d[1] === 1) return depthwise.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dimRoundingMode } = attrs as Record<string, unknown>;
      const wide = spread(filter, d);
      const common = { strides, pad, dimRoundingMode, dilations: 1 };
      return {
        x: () =>
          run(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: dy as tf.Tensor, filter: wide },
            { ...common, inputShape: x.shape },
          ),
        filter: () =>
          everyNth(
            run(
              'DepthwiseConv2dNativeBackpropFilter',
              { x, dy: dy as tf.Tensor },
              { ...common, filterShape: wide.shape },
            ),
            d,
          ),
      };
    },
  });
}
