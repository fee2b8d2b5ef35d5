/**
 * Input gradients of strided convolutions as sub-pixel convolutions (the transpose of a stride).
 *
 * For y[o] = Σ_k x[o·s + k − p] w[k] (per spatial axis, stride s > 1, so dilation 1), the input
 * rows i ≡ r − p (mod s) only receive the taps k ≡ r (mod s): with q = (i + p − r)/s,
 *   dx[q·s + r − p] = Σ_j dy[q − j] · w[r + s·j],
 * a stride-1 correlation of dy with the sub-filter w[r::s] rotated by 180°. So the gradient is
 * s_h·s_w small forward convolutions on dy itself — the same multiply–adds as the forward pass —
 * instead of one convolution over a zero-dilated dy that is 1 − 1/s² zeros. Each phase covers
 * the same q range, so the phases interleave into dx by a reshape and one or two 4-D transposes,
 * then the rows and columns outside the input (the padding) are cropped.
 *
 * Two layouts:
 *  - separate: one convolution per phase, exact multiply–adds (many channels);
 *  - stacked: every phase's sub-filter zero-padded to the largest and stacked along the output
 *    channels, one convolution with s²× the output channels. Used when the input has few channels
 *    (the 7×7/2 stem's 3): a convolution with 3 output channels runs far below the GEMM's speed.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelScope } from './scope.js';
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
  for (let rh = 0; rh < g.sH; rh++) for (let rw = 0; rw < g.sW; rw++) list.push({ rh, rw, jh: h.taps[rh], jw: w.taps[rw] });
  return { h, w, list };
}

/** The taps of phase (rh, rw) of a [kH, kW, …] filter, rotated by 180°: [jh, jw, …]. */
export function phaseFilter(s: KernelScope, filter: tf.TensorInfo, g: ConvGeometry, p: Phase): tf.TensorInfo {
  const [kH, kW, a, b] = filter.shape;
  const taps = s.run('StridedSlice', { x: filter }, {
    begin: [p.rh, p.rw, 0, 0], end: [kH, kW, a, b], strides: [g.sH, g.sW, 1, 1],
    beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
  });
  return s.run('Reverse', { x: taps }, { dims: [0, 1] });
}

export function zeros(s: KernelScope, shape: number[]): tf.TensorInfo {
  return s.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
}

/**
 * Interleaves phase outputs ([N, Qh, Qw, C] each, in (rh, rw) order) into [N, Qh·sH, Qw·sW, C]
 * and crops it to the input: dx.
 */
export function interleave(s: KernelScope, parts: tf.TensorInfo[], g: ConvGeometry, h: AxisPlan, w: AxisPlan): tf.TensorInfo {
  const [n, qh, qw, c] = parts[0].shape;
  let x = parts.length === 1 ? parts[0] : s.run('Concat', parts as unknown as Record<string, tf.TensorInfo>, { axis: 0 });
  // [sH, sW, N·Qh·Qw, C] → [sH, N·Qh·Qw, sW, C] = [sH, N·Qh, Qw·sW·C] → [N·Qh, sH, Qw·sW·C]
  if (g.sW > 1) x = s.transpose(s.reshape(x, [g.sH, g.sW, n * qh * qw, c]), [0, 2, 1, 3]);
  if (g.sH > 1) x = s.transpose(s.reshape(x, [g.sH, n * qh, qw * g.sW * c]), [1, 0, 2]);
  return crop(s, s.reshape(x, [n, qh * g.sH, qw * g.sW, c]), g, h, w);
}

/** Interleaves a stacked output [N, Qh, Qw, sH·sW·C] (phase-major channels) into dx. */
export function interleaveStacked(s: KernelScope, y: tf.TensorInfo, g: ConvGeometry, h: AxisPlan, w: AxisPlan): tf.TensorInfo {
  const [n, qh, qw, sc] = y.shape;
  const c = sc / (g.sH * g.sW);
  const t = s.transpose(s.reshape(y, [n * qh, qw, g.sH, g.sW * c]), [0, 2, 1, 3]);
  return crop(s, s.reshape(t, [n, qh * g.sH, qw * g.sW, c]), g, h, w);
}

function crop(s: KernelScope, x: tf.TensorInfo, g: ConvGeometry, h: AxisPlan, w: AxisPlan): tf.TensorInfo {
  const [n, rows, cols, c] = x.shape;
  if (h.crop === 0 && w.crop === 0 && rows === g.inH && cols === g.inW) return x;
  return s.slice(x, [0, h.crop, w.crop, 0], [n, g.inH, g.inW, c]);
}
