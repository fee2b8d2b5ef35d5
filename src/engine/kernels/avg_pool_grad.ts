/**
 * AvgPoolGrad for wasm at convolution speed. tfjs-backend-wasm 4.22's kernel is a scalar loop
 * 25–30× slower than the forward pooling (8×56×56×128: 2×2/2 67 ms against 2.5 ms, 3×3/1 249 ms
 * against 9 ms). The gradient of an average pool is the input gradient of a depthwise convolution
 * whose taps are all 1/(kH·kW), so it runs as deepvis's depthwise input gradient (sub-pixel phases
 * for strides > 1). The constant multiplier is tfjs's own rule on every backend (the cpu kernel's
 * too), also at 'same'-padded borders where the forward divides by the count of real inputs.
 */
import type * as tf from '@tensorflow/tfjs';
import { withScope } from './scope.js';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type Pair = number | [number, number];

export function avgPoolGrad(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const a = attrs as unknown as {
      filterSize: Pair;
      strides: Pair;
      pad: unknown;
      dimRoundingMode?: string;
    };
    const [kH, kW] = typeof a.filterSize === 'number' ? [a.filterSize, a.filterSize] : a.filterSize;
    const c = input.shape[3];
    return withScope(backend, backendName, (s) => {
      const taps = s.run(
        'Fill',
        {},
        { shape: [kH, kW, c, 1], value: 1 / (kH * kW), dtype: 'float32' },
      );
      return s.run(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter: taps },
        {
          strides: a.strides,
          pad: a.pad,
          dilations: 1,
          dimRoundingMode: a.dimRoundingMode,
          inputShape: input.shape,
        },
      );
    });
  };
}
