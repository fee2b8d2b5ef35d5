/**
 * Shape probes without the arithmetic. A loader that runs a graph only to learn its tensors'
 * shapes (the ONNX compile, at batch 1 and 2) does not need the products' values: while `fn`
 * runs, the backend's matrix products and convolutions return zeros of the right shape. ViT-B/16's
 * two probes cost 105 GFLOP of products otherwise (≈ 10 s on two wasm threads); the elementwise
 * rest costs well under a second. The stock kernels are back when `fn` returns or throws. Values
 * computed under the probe are meaningless: use it for shapes only, never for constant folding.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type ShapeOf = (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => number[];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

function convShape(depthwise: boolean): ShapeOf {
  return (inputs, attrs) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs;
    const format = a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations ?? 1,
      a.pad as never,
      a.dimRoundingMode,
      depthwise,
      format,
    );
    return info.outShape;
  };
}

const matMulShape: ShapeOf = (inputs, attrs) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const m = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  const batch = tf.backend_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  return [...batch, m, n];
};

const SHAPES: Readonly<Record<string, ShapeOf>> = {
  BatchMatMul: matMulShape,
  _FusedMatMul: matMulShape,
  Conv2D: convShape(false),
  FusedConv2D: convShape(false),
  DepthwiseConv2dNative: convShape(true),
  FusedDepthwiseConv2D: convShape(true),
};

let probing = 0;

/** Whether a shape probe is running: a weight not made yet may stand in as zeros of its shape. */
export const inShapeProbe = (): boolean => probing > 0;

/** Runs `fn` with the products and convolutions of `backendName` answering zeros of their shape. */
export function withShapeProbes<T>(fn: () => T): T {
  const backendName = tf.getBackend();
  const stock = new Map<string, tf.KernelConfig>();
  for (const [name, shapeOf] of Object.entries(SHAPES)) {
    const k = tf.getKernel(name, backendName);
    if (!k) continue;
    stock.set(name, k);
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: ((args: KernelArgs) => {
        const shape = shapeOf(args.inputs, args.attrs ?? {});
        const size = shape.reduce((p, q) => p * q, 1);
        return {
          dataId: args.backend.write(new Float32Array(size), shape, 'float32'),
          shape,
          dtype: 'float32',
        };
      }) as unknown as tf.KernelFunc,
    });
  }
  probing++;
  try {
    return fn();
  } finally {
    probing--;
    for (const [name, k] of stock) {
      tf.unregisterKernel(name, backendName);
      tf.registerKernel(k);
    }
  }
}
