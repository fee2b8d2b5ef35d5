/**
 * Token layers as spatial maps. A vision transformer's layer is [B, T, C]: `prefix` tokens (the
 * class token; DeiT's distillation token; registers) then an h×w grid of patch tokens, row by row
 * (Dosovitskiy et al. 2021). Every spatial method sees the grid as an [B, h, w, C] map — the
 * convention of pytorch-grad-cam's reshape_transform: drop the prefix, reshape to the grid — and
 * `LAYER:cls` is the class token alone, [B, C]. The same views run backwards for a gradient taken
 * at the layer (an offset): a map's delta goes to the patch tokens, the prefix gets zero.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, Provenance, VisModel } from './types.js';

export interface TokenLayout {
  /** Tokens before the patch grid (class, distillation, register tokens). */
  readonly prefix: number;
  /** Patch grid [h, w]; T = prefix + h·w. */
  readonly grid: readonly [number, number];
  readonly source: Provenance;
}

/** The flag's and sidecar's form: 'prefix=1,grid=14x14'. */
export function parseTokens(
  text: string,
  where = '--tokens',
): { prefix: number; grid: [number, number] } {
  const m = /^\s*prefix\s*=\s*(\d+)\s*,\s*grid\s*=\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text);
  if (!m)
    throw new DeepvisError(
      `${where} '${text}' is not of the form prefix=N,grid=HxW (e.g. prefix=1,grid=14x14)`,
    );
  const [prefix, h, w] = [m[1], m[2], m[3]].map(Number);
  if (h < 1 || w < 1)
    throw new DeepvisError(`${where} '${text}': the grid needs at least one row and one column`);
  return { prefix, grid: [h, w] };
}

/** Prefix tokens a layout may have: class, distillation and a few registers (DINOv2 has 4). */
export const MAX_PREFIX = 8;

/**
 * The layout of T tokens given the grids the model's maps have (the patch embedding's first): the
 * largest grid that leaves a prefix of at most MAX_PREFIX tokens, and fewer than half the patches.
 * null when none fits.
 */
export function inferLayout(
  tokens: number,
  grids: ReadonlyArray<readonly [number, number]>,
): { prefix: number; grid: [number, number] } | null {
  let best: { prefix: number; grid: [number, number] } | null = null;
  for (const [h, w] of grids) {
    const prefix = tokens - h * w;
    if (prefix < 0 || prefix > Math.min(MAX_PREFIX, (h * w) / 2)) continue;
    if (!best || h * w > best.grid[0] * best.grid[1]) best = { prefix, grid: [h, w] };
  }
  return best;
}

/** [B, T, C] → the patch tokens as a map [B, h, w, C]. */
export function tokensToMap(x: tf.Tensor, t: TokenLayout): tf.Tensor4D {
  const [h, w] = t.grid;
  const c = x.shape[2]!;
  const patches = t.prefix ? tf.slice(x, [0, t.prefix, 0], [-1, h * w, -1]) : x;
  return patches.reshape([-1, h, w, c]);
}

/** A map-shaped delta [B, h, w, C] → [B, T, C], zero on the prefix tokens. */
export function mapToTokens(delta: tf.Tensor, t: TokenLayout): tf.Tensor3D {
  const [n, h, w, c] = delta.shape;
  const flat = delta.reshape([n, h * w, c]);
  return (
    t.prefix
      ? tf.pad(flat, [
          [0, 0],
          [t.prefix, 0],
          [0, 0],
        ])
      : flat
  ) as tf.Tensor3D;
}

/** Prefix token `index` of [B, T, C] as [B, C]. */
export function prefixToken(x: tf.Tensor, index = 0): tf.Tensor2D {
  return tf.slice(x, [0, index, 0], [-1, 1, -1]).reshape([-1, x.shape[2]!]);
}

/** A delta [B, C] for prefix token `index` → [B, T, C]. */
export function prefixDelta(delta: tf.Tensor, tokens: number, index = 0): tf.Tensor3D {
  return tf.pad(delta.expandDims(1), [
    [0, 0],
    [index, tokens - index - 1],
    [0, 0],
  ]) as tf.Tensor3D;
}

/**
 * The unit layer of a transformer block: asked for a block (its name, or any name of its output
 * layer), the block's MLP GELU layer — Ghiasi et al. 2022's units, what a block computes per token
 * — else the layer itself.
 */
export function unitLayerOf(
  model: Pick<VisModel, 'layer' | 'transformer'>,
  ref: string,
): LayerInfo {
  const layer = model.layer(ref);
  const block = model.transformer?.blocks.find(
    (b) => b.mlp && model.layer(b.name).name === layer.name,
  );
  return block?.mlp ? model.layer(block.mlp) : layer;
}
