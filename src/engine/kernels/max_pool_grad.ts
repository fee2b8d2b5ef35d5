/**
 * MaxPoolGrad for wasm. tfjs-backend-wasm 4.22's own kernel routes some gradients to the wrong
 * window position (found by the parity test: 1×4×4×5 input, 2×2 valid pooling, one pixel off), so
 * every max-pool saliency and deconvnet map on wasm would be subtly wrong. This one follows the cpu
 * backend's rule exactly: each output's gradient goes to the first maximum of its window, in
 * row-major order. A direct loop over the backend's memory: one pass over the windows.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode,
  );
  const x = backend.readSync(input.dataId) as Float32Array;
  const g = backend.readSync(dy.dataId) as Float32Array;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const dx = new Float32Array(n * h * w * c);
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
  return { dataId: backend.write(dx, input.shape, 'float32'), shape: input.shape, dtype: 'float32' };
}
