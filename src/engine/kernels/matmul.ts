/**
 * BatchMatMul for wasm with transposed right operands cached. The input gradient of a dense layer
 * is dy·Wᵀ; tfjs-backend-wasm 4.22 runs a transposed operand ~11× slower than a plain one (8192×256
 * weights: 2.5 ms against 0.23 ms), and its Transpose kernel is slower still. Model weights are the
 * same data at every step of a visualization, so the second time an operand is seen transposed, its
 * transpose is computed once (a host loop) and kept; an operand seen once (training, data) takes
 * the stock path. Bounded LRU, like the filter cache.
 */
import * as tf from '@tensorflow/tfjs';
import { withScope } from './scope.js';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

/**
 * A transformer has ~4 weight matrices per block (ViT-B/16: 48, 340 MB): the cache holds up to
 * 256 operands and 512 MB, least recently used first out.
 */
const LIMIT = 256;
const BYTES = 512 * 2 ** 20;
let cachedBytes = 0;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const seen = new WeakSet<object>();
const transposed = new Map<object, tf.TensorInfo>();

function transposeLastTwo(backend: tf.KernelBackend, b: tf.TensorInfo): tf.TensorInfo {
  const v = backend.readSync(b.dataId) as Float32Array;
  const shape = b.shape;
  const rows = shape[shape.length - 2];
  const cols = shape[shape.length - 1];
  const batches = v.length / (rows * cols);
  const out = new Float32Array(v.length);
  for (let k = 0; k < batches; k++) {
    const base = k * rows * cols;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[base + c * rows + r] = v[base + r * cols + c];
    }
  }
  const tShape = [...shape.slice(0, -2), cols, rows];
  return { dataId: backend.write(out, tShape, 'float32'), shape: tShape, dtype: 'float32' };
}

export function batchMatMulWithCachedTranspose(stock: tf.KernelFunc, backendName: string) {
  const run = (args: KernelArgs): tf.TensorInfo => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (attrs.transposeA && a.dtype === 'float32') {
      // A transposed left operand runs ~18× slower than transposing it first (64×784 ᵀ· 64×500:
      // 18.6 ms against 0.12 + 1 ms): the weight gradient of every dense layer and CD update.
      const rank = a.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      return withScope(args.backend, backendName, (s) => {
        const aT = s.transpose(a, perm);
        const out = run({
          ...args,
          inputs: { a: aT, b },
          attrs: { ...attrs, transposeA: false },
        } as never);
        s.adopt(out);
        return out;
      });
    }
    if (!attrs.transposeB || b.dtype !== 'float32') return stock(args) as tf.TensorInfo;
    let bT = transposed.get(b.dataId);
    if (bT == null) {
      if (!seen.has(b.dataId)) {
        seen.add(b.dataId);
        // Seen once (an activation: attention's q·kᵀ and its gradients): transposed first, as A is.
        const rank = b.shape.length;
        const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
        return withScope(args.backend, backendName, (s) => {
          const out = stock({
            ...args,
            inputs: { a, b: s.transpose(b, perm) },
            attrs: { ...attrs, transposeB: false },
          } as never) as tf.TensorInfo;
          s.adopt(out);
          return out;
        });
      }
      bT = transposeLastTwo(args.backend, b);
      transposed.set(b.dataId, bT);
      cachedBytes += 4 * sizeOf(bT.shape);
      while (transposed.size > 1 && (transposed.size > LIMIT || cachedBytes > BYTES)) {
        const [key, old] = transposed.entries().next().value as [object, tf.TensorInfo];
        transposed.delete(key);
        cachedBytes -= 4 * sizeOf(old.shape);
        args.backend.disposeData(old.dataId);
      }
    } else {
      transposed.delete(b.dataId);
      transposed.set(b.dataId, bT);
    }
    // Keyed by data, not shape: a reshape shares its data (tfjs's fused matMul runs a 2-D weight
    // as [1, K, N]), so the cached transpose is given this operand's own leading dimensions.
    const shaped = {
      ...bT,
      shape: [...b.shape.slice(0, -2), b.shape[b.shape.length - 1], b.shape[b.shape.length - 2]],
    };
    return stock({
      ...args,
      inputs: { a, b: shaped },
      attrs: { ...attrs, transposeB: false },
    } as never) as tf.TensorInfo;
  };
  return run;
}
