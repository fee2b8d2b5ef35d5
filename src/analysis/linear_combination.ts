/**
 * Linear combination of previous layers' filters (Lee et al. 2008/2009, Erhan et al. 2009 §5): a unit is
 * drawn as the sum of the previous layer's unit images weighted by its connections to them,
 * keeping only the top-k weights by magnitude (default 100); the first weighted layer's unit image
 * is its filter. Recursively this reaches any depth (Lee et al. 2009 did layer 3 from layer 2).
 * Biases and non-linearities are ignored, which is the method's approximation: Erhan et al. 2009 shows it
 * follows ∂h/∂x when the lower units do not saturate.
 *
 * Every unit image is a full input-sized canvas for the unit's neuron at the centre of its map.
 * A connection from a neuron of the layer below at offset (dy, dx) from the centre is that layer's
 * canvas shifted by (dy, dx) × the layer below's stride in input pixels (its receptive-field step),
 * so conv stacks with pooling, dense layers on conv maps (after Flatten) and dense stacks (DBN,
 * autoencoders) are one rule. Layers in between without weights (pooling, activations, dropout,
 * flatten) pass unit images through unchanged.
 */
import { isWeighted } from './connections.js';
import { DeepvisError } from '../errors.js';
import { checkUnits } from '../objectives/units.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { boxAt, receptiveFields, type Box, type ReceptiveFields } from './receptive_field.js';

export interface LinearCombination {
  readonly layer: string;
  readonly units: number[];
  /** One [H, W, C] image per unit. */
  readonly images: Float32Array[];
  readonly shape: [number, number, number];
  readonly topK: number;
  /** Where the drawing lives: a conv unit's receptive field at the centre of its map, else the whole input. */
  readonly box: Box;
}

interface Level {
  /** Per unit (channel) of the level's output: its canvas. */
  canvases: Float32Array[];
  /** Output map [h, w] (1×1 for flat outputs) and its stride in input pixels. */
  map: [number, number];
  stride: [number, number];
  channels: number;
}

function shifted(
  src: Float32Array,
  shape: readonly [number, number, number],
  dy: number,
  dx: number,
  weight: number,
  dst: Float32Array,
): void {
  const [h, w, c] = shape;
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    const sy = y - dy;
    for (let x = Math.max(0, dx); x < Math.min(w, w + dx); x++) {
      const s = (sy * w + x - dx) * c;
      const d = (y * w + x) * c;
      for (let k = 0; k < c; k++) dst[d + k] += weight * src[s + k];
    }
  }
}

/** Indices of the k largest |values| (all when k ≥ n). */
function topByMagnitude(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  if (k >= idx.length) return idx;
  return idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a])).slice(0, k);
}

/** Connection (kernel entry) → [offset y, offset x, input channel] for one output unit. */
type Connection = { weight: number; dy: number; dx: number; ci: number };

/** A layer's kernel, read once per layer (not once per unit: a 784×1000 kernel is 3 MB). */
interface Kernel {
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

function connections(layer: LayerInfo, kernel: Kernel, unit: number, below: Level): Connection[] {
  const v = kernel.values;
  const [bh, bw] = below.map;
  const cy = Math.floor(bh / 2);
  const cx = Math.floor(bw / 2);
  if (kernel.shape.length === 2) {
    const [rows, cols] = kernel.shape as [number, number];
    if (rows !== bh * bw * below.channels)
      throw new DeepvisError(
        `layer '${layer.name}' has ${rows} inputs; the layer below gives ${bh * bw * below.channels}`,
      );
    // Flatten order is [y, x, c].
    return Array.from({ length: rows }, (_, i) => {
      const ci = i % below.channels;
      const p = Math.floor(i / below.channels);
      return { weight: v[i * cols + unit], dy: Math.floor(p / bw) - cy, dx: (p % bw) - cx, ci };
    });
  }
  if (kernel.shape.length !== 4)
    throw new DeepvisError(
      `layer '${layer.name}' has a rank-${kernel.shape.length} kernel; linear combinations need dense or conv layers`,
    );
  const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
  const depthwise = /depthwise/i.test(layer.kind);
  const out: Connection[] = [];
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ci = 0; ci < cin; ci++) {
        // A depthwise kernel [kh, kw, cin, multiplier] feeds output channel ci·m + j from input ci only.
        if (depthwise && Math.floor(unit / last) !== ci) continue;
        const weight = depthwise
          ? v[((y * kw + x) * cin + ci) * last + (unit % last)]
          : v[((y * kw + x) * cin + ci) * last + unit];
        out.push({ weight, dy: y - Math.floor(kh / 2), dx: x - Math.floor(kw / 2), ci });
      }
    }
  }
  return out;
}

/** Strongest connections kept per unit when not told (the CLI shows it too). */
export const LINCOMB_TOP_K = 100;

export function linearCombination(
  model: VisModel,
  layerRef: string,
  units: readonly number[],
  topK = LINCOMB_TOP_K,
): LinearCombination {
  const target = model.layer(layerRef);
  if (!(topK >= 1)) throw new DeepvisError(`top-k must be at least 1; got ${topK}`);
  checkUnits(target, units);
  const shape = model.input.shape;
  const [h, w, c] = shape;
  const size = h * w * c;
  // Level 0: the input, one canvas per input channel (a one-hot pixel at the centre).
  const identity = Array.from({ length: c }, (_, k) => {
    const img = new Float32Array(size);
    img[(Math.floor(h / 2) * w + Math.floor(w / 2)) * c + k] = 1;
    return img;
  });
  let level: Level = { canvases: identity, map: [h, w], stride: [1, 1], channels: c };
  const fields = new Map<string, ReceptiveFields>();
  const fieldOf = (name: string) =>
    fields.get(name) ?? fields.set(name, receptiveFields(model, name)).get(name)!;
  const chain = model.layers.filter((l) => l.index <= target.index);
  for (const layer of chain) {
    const weighted = isWeighted(model, layer);
    const flat = layer.outputShape.length !== 3;
    if (!weighted) {
      // Pooling, activations, dropout pass unit images through; Flatten keeps the map below, whose
      // [y, x, c] order the dense layer above reads (connections()).
      const same =
        layer.units === level.channels ||
        (flat && layer.units === level.map[0] * level.map[1] * level.channels);
      if (!same)
        throw new DeepvisError(
          `layer '${layer.name}' (${layer.kind}) changes the units without weights; linear combinations follow dense and conv chains only`,
        );
      if (layer === target)
        throw new DeepvisError(
          `layer '${layer.name}' has no weights of its own; pick the dense or conv layer below it`,
        );
      // A pooled neuron stands for the window it pools (its centre neuron's image); its map and
      // stride are the pooling layer's.
      if (!flat)
        level = {
          ...level,
          map: [layer.outputShape[0], layer.outputShape[1]],
          stride: fieldOf(layer.name).stride,
        };
      continue;
    }
    const first = level.canvases === identity;
    const wanted = layer === target ? units : Array.from({ length: layer.units }, (_, u) => u);
    const canvases: Float32Array[] = [];
    const [weights] = model.weightsOf(layer.name);
    const kernel: Kernel = { shape: weights.shape, values: weights.dataSync() };
    for (const u of wanted) {
      const img = new Float32Array(size);
      const conns = connections(layer, kernel, u, level);
      // The first weighted layer's unit image is its whole filter.
      for (const i of topByMagnitude(
        conns.map((k) => k.weight),
        first ? Infinity : topK,
      )) {
        const { weight, dy, dx, ci } = conns[i];
        if (weight !== 0)
          shifted(
            level.canvases[ci],
            shape,
            dy * level.stride[0],
            dx * level.stride[1],
            weight,
            img,
          );
      }
      canvases[u] = img;
    }
    level = flat
      ? { canvases, map: [1, 1], stride: [0, 0], channels: layer.units }
      : {
          canvases,
          map: [layer.outputShape[0], layer.outputShape[1]],
          stride: fieldOf(layer.name).stride,
          channels: layer.units,
        };
    if (layer === target) break;
  }
  const box =
    target.outputShape.length === 3
      ? boxAt(
          fieldOf(target.name),
          Math.floor(target.outputShape[1] / 2),
          Math.floor(target.outputShape[0] / 2),
        )
      : { y0: 0, x0: 0, y1: h, x1: w };
  return {
    layer: target.name,
    units: [...units],
    images: units.map((u) => level.canvases[u]),
    shape: [h, w, c],
    topK,
    box,
  };
}
