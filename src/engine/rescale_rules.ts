/**
 * DeepLIFT's rescale rule as a rule set (Shrikumar et al. 2017, as Captum's DeepLift implements
 * it): the batch holds the inputs and then their references, row i's reference at row N + i, and
 * each nonlinearity's gradient is replaced by its multiplier Δy/Δx (the difference of its output
 * over the difference of its input, from the reference to the input); where Δx vanishes (|Δx| <
 * 1e-10, Captum's eps) the gradient stays. Max-pooling takes Captum's rule: Δy is split into the
 * part routed through the input's switches and the part through the reference's, so the
 * multipliers still sum to Δy. Linear ops (convolutions, dense layers, sums, average pools, batch
 * norms in inference) keep their gradient, which is their multiplier. The multipliers of a whole
 * network chain like gradients, and (x − x′) ⊙ multiplier sums to f(x) − f(x′) (summation to delta).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelVjp, type RecordedOp, type RuleSet } from './rule_sets.js';

const EPS = 1e-10;
const NONLINEAR = new Set([
  'Relu',
  'Relu6',
  'Elu',
  'Selu',
  'LeakyRelu',
  'Prelu',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'ClipByValue',
  'Erf',
]);

/** [2N, …] → the difference of the halves, repeated for both halves. */
function delta(t: tf.Tensor): tf.Tensor {
  const [x, ref] = tf.split(t, 2, 0);
  const d = x.sub(ref);
  return tf.concat([d, d], 0);
}

function rescale(op: RecordedOp) {
  const name = op.path[0];
  const x = op.keep(op.inputs[name]);
  const y = op.keep(op.outputs[0]);
  return (dy: tf.Tensor) => {
    const dx = delta(x);
    const small = dx.abs().less(EPS);
    const stock = op.stock!(dy)[name]();
    return {
      [name]: tf.where(small, stock, dy.mul(delta(y)).div(tf.where(small, tf.onesLike(dx), dx))),
    };
  };
}

/** Captum's maxpool rule: Δy split at max(y, y′) between the input's switches and the reference's. */
function maxPool(op: RecordedOp) {
  const x = op.keep(op.inputs.x);
  const y = op.keep(op.outputs[0]);
  return (dy: tf.Tensor) => {
    const [out, ref] = tf.split(y, 2, 0);
    const top = out.maximum(ref);
    const routed = kernelVjp(
      'MaxPool',
      { x },
      [y],
      op.attrs,
      dy.mul(tf.concat([top.sub(ref), out.sub(top)], 0)),
      'x',
    );
    const [viaInput, viaReference] = tf.split(routed, 2, 0);
    const share = viaInput.add(viaReference);
    const dx = delta(x);
    const small = dx.abs().less(EPS);
    const stock = op.stock!(dy).x();
    return {
      x: tf.where(
        small,
        stock,
        tf.concat([share, share], 0).div(tf.where(small, tf.onesLike(dx), dx)),
      ),
    };
  };
}

/** The rescale rule set; the differentiated batch must be [inputs; references]. */
export const RESCALE: RuleSet = {
  name: 'DeepLIFT',
  start: () => ({
    rule: (op) => {
      if (op.path.length !== 1 || op.stock == null) return null;
      if (NONLINEAR.has(op.kernel)) return rescale(op);
      if (op.kernel === 'MaxPool') return maxPool(op);
      return null;
    },
  }),
};
