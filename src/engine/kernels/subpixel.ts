/**
 * Input gradients of strided convolutions as sub-pixel convolutions (the transpose of a stride).
 *
 * For y[o] = Σ_k x[o·s + k − p] w[k] (per spatial axis, stride s > 1, so dilation 1), the input
 * rows i ≡ r − p (mod s) only receive the taps k ≡ r (mod s): with q = (i + p − r)/s,
 *   dx[q·s + r − p] = Σ_j dy[q − j] · w[r + s·j],
 * a stride-1 correlation of dy with the sub-filter w[r::s] rotated by 180°. So the gradient is
 * s_h·s_w small forward convolutions on dy itself — the same multiply–adds as the forward pass —
 * instead of one convolution over a zero-dilated dy that is 1 − 1/s² zeros. Each phase covers
 * the same q range; one pass interleaves the phases into dx and drops the padding's rows and
 * columns.
 *
 * Two layouts:
 *  - separate: one convolution per phase, exact multiply–adds (many channels);
 *  - stacked: every phase's sub-filter zero-padded to the largest and stacked along the output
 *    channels, one convolution with s²× the output channels. Used when the input has few channels
 *    (the 7×7/2 stem's 3): a convolution with 3 output channels runs far below the GEMM's speed.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelScope } from './scope.js';
import { readFloats, writeFloats } from './host_memory.js';
import type { ConvGeometry } from './conv_geometry.js';

export interface AxisPlan {
  /** First q of the common range, its length, and the offset of row 0 of dx in the interleaved rows. */
  q0: number;
  qn: number;
  crop: number;
  /** Taps per phase r = 0…s−1 (0 when s > k). */
  taps: number[];
}

export function axisPlan(inLen: number, k: number, s: number, p: number): AxisPlan {
  const q0 = Math.floor(p / s);
  const q1 = Math.floor((inLen - 1 + p) / s);
  const taps = Array.from({ length: s }, (_, r) => (r < k ? Math.ceil((k - r) / s) : 0));
  return { q0, qn: q1 - q0 + 1, crop: p - q0 * s, taps };
}

/** dy padding [before, after] (negative: crop) for a phase with `j` taps, so its output has qn rows. */
export function phasePadding(plan: AxisPlan, j: number, outLen: number): [number, number] {
  const before = j - 1 - plan.q0;
  return [before, plan.qn + j - 1 - outLen - before];
}

export interface Phase {
  rh: number;
  rw: number;
  jh: number;
  jw: number;
}

export function phases(g: ConvGeometry): { h: AxisPlan; w: AxisPlan; list: Phase[] } {
  const h = axisPlan(g.inH, g.kH, g.sH, g.top);
  const w = axisPlan(g.inW, g.kW, g.sW, g.left);
  const list: Phase[] = [];
  for (let rh = 0; rh < g.sH; rh++)
    for (let rw = 0; rw < g.sW; rw++) list.push({ rh, rw, jh: h.taps[rh], jw: w.taps[rw] });
  return { h, w, list };
}

/** The taps of phase (rh, rw) of a [kH, kW, …] filter, rotated by 180°: [jh, jw, …]. */
export function phaseFilter(
  s: KernelScope,
  filter: tf.TensorInfo,
  g: ConvGeometry,
  p: Phase,
): tf.TensorInfo {
  const [kH, kW, a, b] = filter.shape;
  const taps = s.run(
    'StridedSlice',
    { x: filter },
    {
      begin: [p.rh, p.rw, 0, 0],
      end: [kH, kW, a, b],
      strides: [g.sH, g.sW, 1, 1],
      beginMask: 0,
      endMask: 0,
      ellipsisMask: 0,
      newAxisMask: 0,
      shrinkAxisMask: 0,
    },
  );
  return s.run('Reverse', { x: taps }, { dims: [0, 1] });
}

export function zeros(s: KernelScope, shape: number[]): tf.TensorInfo {
  return s.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
}

/**
 * Interleaves the phases into dx and crops the padding in one pass over dx (host loop over backend
 * memory: tfjs-backend-wasm's Concat, Transpose and Slice each cost more than the convolutions
 * here — its Slice copies the whole input first). Phase ph = rh·sW + rw is `parts[ph]`
 * ([N, Qh, Qw, C]; null for a phase without taps, whose rows and columns get 0), or, for the
 * stacked layout, channels ph·C… of the one part [N, Qh, Qw, sH·sW·C].
 */
export function interleave(
  backend: tf.KernelBackend,
  parts: Array<tf.TensorInfo | null>,
  g: ConvGeometry,
  h: AxisPlan,
  w: AxisPlan,
): tf.TensorInfo {
  const c = g.inC;
  const stacked = parts.length === 1 && g.sH * g.sW > 1;
  const pixel = stacked ? g.sH * g.sW * c : c;
  const qRow = h.qn;
  const qCol = w.qn;
  // Per output column: the phase column and the q index of its source pixel.
  const rwOf = new Int32Array(g.inW);
  const qwOf = new Int32Array(g.inW);
  for (let j = 0; j < g.inW; j++) {
    rwOf[j] = (j + w.crop) % g.sW;
    qwOf[j] = Math.floor((j + w.crop) / g.sW);
  }
  return writeFloats(
    backend,
    [g.batch, g.inH, g.inW, c],
    (out) => {
      // Views taken after the output is allocated: an allocation can grow the wasm heap, which
      // detaches views taken before.
      const src = parts.map((p) => (p == null ? null : readFloats(backend, p)));
      // On wasm every tensor lives in one heap: long runs are copied with copyWithin (a memmove, no
      // view allocated per pixel); short ones, and other backends, element by element.
      const heap =
        c >= 8 && src.every((v) => v == null || v.buffer === out.buffer)
          ? new Float32Array(out.buffer)
          : null;
      const outAt = out.byteOffset / 4;
      const fromAt = src.map((v) => (v == null ? 0 : v.byteOffset / 4));
      let dst = 0;
      for (let n = 0; n < g.batch; n++) {
        for (let i = 0; i < g.inH; i++) {
          const rh = (i + h.crop) % g.sH;
          const rowBase = (n * qRow + Math.floor((i + h.crop) / g.sH)) * qCol;
          for (let j = 0; j < g.inW; j++, dst += c) {
            const ph = rh * g.sW + rwOf[j];
            const part = stacked ? 0 : ph;
            const from = src[part];
            if (from == null) continue;
            const at = (rowBase + qwOf[j]) * pixel + (stacked ? ph * c : 0);
            if (heap != null)
              heap.copyWithin(outAt + dst, fromAt[part] + at, fromAt[part] + at + c);
            else for (let k = 0; k < c; k++) out[dst + k] = from[at + k];
          }
        }
      }
    },
    parts.some((p) => p == null),
  );
}
