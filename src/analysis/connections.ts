/**
 * The strongest weighted connections into and out of a unit (a Circuits-style "what feeds this
 * unit", Olah et al. 2020): between a weighted layer (dense or conv) and the weighted layer below
 * it, with only weightless layers (pooling, activations, dropout, flatten) in between. The strength
 * of channel i below → unit u is the signed sum of the kernel entries joining them (over kernel
 * positions for a conv, over map positions for a dense layer on a flattened map), so an excitatory
 * and an inhibitory input are told apart; ranking is by magnitude. Plain numbers: the report and
 * the web app draw them.
 */
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { hasWeights } from '../model/weight_facts.js';

export interface Connection {
  readonly unit: number;
  readonly weight: number;
}

const WEIGHTED = /dense|conv|matmul|gemm/i;

/** The weighted layer whose units feed `layer` (through weightless layers only), or null (the input). */
export function weightedBelow(model: VisModel, layer: LayerInfo): LayerInfo | null {
  for (let i = layer.index - 1; i >= 0; i--) {
    const l = model.layers.find((x) => x.index === i);
    if (l && isWeighted(model, l)) return l;
  }
  return null;
}

export function isWeighted(model: VisModel, layer: LayerInfo): boolean {
  return WEIGHTED.test(layer.kind) && hasWeights(model, layer.name);
}

/**
 * Matrix [below units][layer units] of summed kernel weights. Throws when the kernel does not
 * fit the layer below (a branch, a reshape deepvis cannot follow).
 */
export function connectionMatrix(
  model: VisModel,
  layerName: string,
): { below: LayerInfo; matrix: Float64Array; rows: number; cols: number } {
  const layer = model.layer(layerName);
  const below = weightedBelow(model, layer);
  if (!below || !isWeighted(model, layer))
    throw new DeepvisError(`layer '${layer.name}' has no weighted layer below it`);
  const kernel = model.weightsOf(layer.name)[0];
  const v = kernel.dataSync();
  const shape = kernel.shape;
  const rows = below.units;
  const cols = layer.units;
  const m = new Float64Array(rows * cols);
  if (shape.length === 2) {
    // Flatten order is [y, x, c]: input row i comes from channel i mod C below.
    if (shape[0] % rows !== 0 || shape[1] !== cols)
      throw new DeepvisError(
        `layer '${layer.name}' kernel [${shape.join(', ')}] does not fit ${rows} units below`,
      );
    for (let i = 0; i < shape[0]; i++)
      for (let u = 0; u < cols; u++) m[(i % rows) * cols + u] += v[i * cols + u];
  } else if (shape.length === 4 && !/depthwise/i.test(layer.kind)) {
    const [kh, kw, cin, cout] = shape;
    if (cin !== rows || cout !== cols)
      throw new DeepvisError(
        `layer '${layer.name}' kernel [${shape.join(', ')}] does not fit ${rows} units below`,
      );
    for (let p = 0; p < kh * kw; p++)
      for (let ci = 0; ci < cin; ci++)
        for (let u = 0; u < cout; u++) m[ci * cols + u] += v[(p * cin + ci) * cout + u];
  } else {
    throw new DeepvisError(
      `layer '${layer.name}' (${layer.kind}) has a kernel deepvis cannot read as connections`,
    );
  }
  return { below, matrix: m, rows, cols };
}

const strongest = (weights: number[], k: number): Connection[] =>
  weights
    .map((weight, unit) => ({ unit, weight }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.unit - b.unit)
    .slice(0, k);

/** The k units below `layer` with the strongest summed weight into `unit`. */
export function strongestInputs(
  c: ReturnType<typeof connectionMatrix>,
  unit: number,
  k: number,
): Connection[] {
  return strongest(
    Array.from({ length: c.rows }, (_, i) => c.matrix[i * c.cols + unit]),
    k,
  );
}

/** The k units of the layer above (c is that layer's matrix) that `unit` below feeds most strongly. */
export function strongestOutputs(
  c: ReturnType<typeof connectionMatrix>,
  unit: number,
  k: number,
): Connection[] {
  return strongest(Array.from(c.matrix.subarray(unit * c.cols, (unit + 1) * c.cols)), k);
}
