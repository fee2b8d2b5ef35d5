/**
 * Input gradients that pay only for the input. tfjs's backward pass (tape.ts
 * backpropagateGradients) asks a node for the gradient of each input that leads back to the
 * differentiated tensors, one closure per input, so a gradient config whose closures do all the
 * work computes nothing for the weights when deepvis differentiates with respect to the image.
 * Two of tfjs 4.22's gradients break that:
 *
 *  - The fused ops (tf.fused.conv2d / depthwiseConv2d / matMul — what tfjs-layers runs for a
 *    linear conv or dense layer under a gradient, and what the ONNX executor calls) are built with
 *    customGrad, whose gradient function returns every input's gradient at once: the filter
 *    gradient (Conv2DBackpropFilter) and the bias sum are computed even when no one wants them.
 *    The engine names such a tape node after the op's scope (`fusedConv2d__op`) and looks that name
 *    up in the gradient registry; the op's attributes are not on the node, so runKernel records the
 *    fused kernel's attributes as it runs (inside the op, just before the node is taped) and the
 *    node gets a lazy gradient — the unfused kernel's registered gradient (Conv2D,
 *    DepthwiseConv2dNative, BatchMatMul: closures, and dilation-aware) plus a bias closure.
 *  - tf.batchNorm's gradient (FusedBatchNorm) computes x − mean and dy · scale over the whole
 *    activation up front, and the input gradient tiles 1/√(var + ε) to the activation's size.
 *    Here each closure computes what it needs, and ∂x is one broadcast product dy · γ/√(var + ε).
 *
 * Also: batch norm without scale or offset becomes differentiable (see runKernel below).
 * Hooks of the engine fence (internals.ts), added by patches.ts; the gradients are the same
 * functions of the same tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { addKernelHook, addTapeHook } from './internals.js';

type Grads = Record<string, () => tf.Tensor>;
type Attrs = Record<string, unknown>;
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => Grads;

/** Gradient of the op's fused activation (tfjs only fuses linear activations under a gradient). */
function preActivation(dy: tf.Tensor, y: tf.Tensor, activation: unknown): tf.Tensor {
  if (activation == null || activation === 'linear') return dy;
  if (activation === 'relu') return tf.mul(dy, tf.step(y));
  throw new Error(`Cannot compute gradient for fused activation ${String(activation)}.`);
}

/** Sums t over the axes along which `shape` was broadcast to t's shape. */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

function registered(kernel: string): GradFunc {
  const config = tf.getGradient(kernel);
  if (config == null) throw new Error(`deepvis engine: no gradient registered for ${kernel}`);
  return config.gradFunc as unknown as GradFunc;
}

/** customGrad saves [filter, x, y, bias?] for the fused convolutions. */
function fusedConv(kernel: 'Conv2D' | 'DepthwiseConv2dNative'): GradFunc {
  return (dy, saved, attrs) => {
    const [filter, x, y, bias] = saved;
    const g = preActivation(tf.reshape(dy as tf.Tensor, y.shape), y, attrs.activation);
    const inner = registered(kernel)(g, [x, filter], attrs);
    const grads: Grads = { 0: inner.x, 1: inner.filter };
    if (bias != null) grads[2] = () => reduceTo(g, bias.shape);
    return grads;
  };
}

/** customGrad saves [a3D, b3D, y, bias?] for the fused matMul. */
const fusedMatMul: GradFunc = (dy, saved, attrs) => {
  const [a, b, y, bias] = saved;
  const g = preActivation(tf.reshape(dy as tf.Tensor, y.shape), y, attrs.activation);
  const inner = registered('BatchMatMul')(g, [a, b], attrs);
  const grads: Grads = { 0: inner.a, 1: inner.b };
  if (bias != null) grads[2] = () => reduceTo(g, bias.shape);
  return grads;
};

/** Tape-node (op scope) name → the fused kernel it runs and its lazy gradient. */
const FUSED: Record<string, { kernel: string; grad: GradFunc }> = {
  fusedConv2d__op: { kernel: 'FusedConv2D', grad: fusedConv('Conv2D') },
  fusedDepthwiseConv2d__op: {
    kernel: 'FusedDepthwiseConv2D',
    grad: fusedConv('DepthwiseConv2dNative'),
  },
  fusedMatMul__op: { kernel: '_FusedMatMul', grad: fusedMatMul },
};
const FUSED_KERNELS = new Set(Object.values(FUSED).map((f) => f.kernel));

/** y = (x − μ)·γ/√(v + ε) + β, each input's gradient computed only when asked for. */
const batchNormGrad: GradFunc = (dy, saved, attrs) => {
  const d = dy as tf.Tensor;
  const [x, mean, variance, scale] = saved;
  const eps = Number(attrs.varianceEpsilon);
  const inv = () => tf.rsqrt(tf.add(variance, eps));
  const gain = () => (scale == null ? inv() : tf.mul(inv(), scale));
  return {
    x: () => tf.reshape(tf.mul(d, gain()), x.shape),
    mean: () => reduceTo(tf.mul(d, tf.neg(gain())), mean.shape),
    variance: () =>
      reduceTo(
        tf.mul(tf.mul(d, tf.sub(x, mean)), tf.mul(gain(), tf.mul(tf.square(inv()), -0.5))),
        variance.shape,
      ),
    scale: () => reduceTo(tf.mul(tf.mul(d, tf.sub(x, mean)), inv()), (scale ?? tf.scalar(1)).shape),
    offset: () => reduceTo(d, mean.shape),
  };
};

/**
 * The kernel hook (batch norm made differentiable without scale or offset; a fused kernel's
 * attributes noted as it runs) and the tape hook (that kernel's node gets its lazy gradient).
 */
export function installLazyGradients(): void {
  let pending: { kernel: string; attrs: Attrs } | null = null;
  addKernelHook('lazy fused gradients', {
    before: (name, inputs) => {
      // tf.batchNorm without scale or offset (a layers BatchNormalization with scale: false or
      // center: false) cannot be differentiated in tfjs: the tape saves and walks the missing input.
      // The neutral tensor in its place gives the same output and a gradient.
      if (name !== 'FusedBatchNorm' || (inputs.scale != null && inputs.offset != null))
        return inputs;
      const { mean } = inputs;
      return {
        ...inputs,
        scale: inputs.scale ?? tf.onesLike(mean),
        offset: inputs.offset ?? tf.zerosLike(mean),
      };
    },
    after: (name, attrs) => {
      if (FUSED_KERNELS.has(name)) pending = { kernel: name, attrs };
    },
  });
  addTapeHook('lazy fused gradients', (r) => {
    const fused = FUSED[r.name];
    // A gradient someone registered under the scope name wins, as in tfjs.
    if (fused == null || pending?.kernel !== fused.kernel || tf.getGradient(r.name) != null)
      return r;
    const opAttrs = pending.attrs;
    pending = null;
    return { ...r, gradient: (dy, saved) => fused.grad(dy, saved, opAttrs), attrs: opAttrs };
  });
}

/** The batch-norm gradient whose closures compute only what is asked for (registered by patches.ts). */
export const LAZY_BATCH_NORM: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: batchNormGrad as unknown as tf.GradConfig['gradFunc'],
};
