/**
 * Geometry shared by the convolution-gradient kernels: padding, output sizes and the "full"
 * correlation that turns an input gradient into a forward convolution.
 *
 * For y = x ⋆ w (stride s, dilation d, padding top p), the input gradient is a stride-1 valid
 * correlation of dy — dilated by s and padded by (ke−1−p) before and whatever makes the length
 * come out at H after — with w rotated by 180° (ke = (k−1)·d + 1, the effective kernel extent).
 */
import * as tf from '@tensorflow/tfjs';

export type PadAttr = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  top: number;
  left: number;
}

export function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: PadAttr,
  depthwise: boolean,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    kH: info.filterHeight,
    kW: info.filterWidth,
    sH: info.strideHeight,
    sW: info.strideWidth,
    dH: info.dilationHeight,
    dW: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** [before, after] paddings that make the full correlation of dilated dy come out at the input size. */
export function fullPadding(g: ConvGeometry): { h: [number, number]; w: [number, number] } {
  const keH = (g.kH - 1) * g.dH + 1;
  const keW = (g.kW - 1) * g.dW + 1;
  const dilatedH = (g.outH - 1) * g.sH + 1;
  const dilatedW = (g.outW - 1) * g.sW + 1;
  const topH = keH - 1 - g.top;
  const topW = keW - 1 - g.left;
  return {
    h: [topH, g.inH + keH - 1 - dilatedH - topH],
    w: [topW, g.inW + keW - 1 - dilatedW - topW],
  };
}

/** The rows/cols of the (padded) input that a strided window actually reads: [before, after]. */
export function inputWindowPadding(g: ConvGeometry): { h: [number, number]; w: [number, number] } {
  const needH = (g.outH - 1) * g.sH + (g.kH - 1) * g.dH + 1;
  const needW = (g.outW - 1) * g.sW + (g.kW - 1) * g.dW + 1;
  return {
    h: [g.top, needH - g.inH - g.top],
    w: [g.left, needW - g.inW - g.left],
  };
}
