/**
 * Transformer-native maps over the input, from the attention layers a model's facts list
 * (VisModel.transformer): one block's attention from the class token to the patches (per head or
 * fused), attention rollout (Abnar & Zuidema 2020) and gradient-weighted attention (Chefer et al.
 * 2021) — attention_flow.ts has their arithmetic. Each gives [N, H, W] at the input's size
 * (bilinear from the patch grid), each image's peak 1.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import type { TokenLayout } from '../model/tokens.js';
import type { BlockFacts, VisModel } from '../model/types.js';
import { targetScores, type ResolvedTarget } from '../objectives/target.js';
import {
  fuseHeads,
  gradientWeightedRollout,
  patchRelevance,
  rollout,
  type HeadFusion,
} from './attention_flow.js';

/** Why `model` has no attention these maps can read (null: it has). */
export function attentionLack(model: VisModel): string | null {
  const t = model.transformer;
  if (t?.tokens && t.blocks.some((b) => b.attention != null)) return null;
  return t?.blocks.length
    ? 'its attention is windowed (Swin), not over the whole image'
    : 'it has no attention layers';
}

/** The blocks whose attention is per image, with the token layout; a one-line refusal otherwise. */
export function attentionBlocks(
  model: VisModel,
  method: string,
): { blocks: Array<BlockFacts & { attention: string }>; tokens: TokenLayout } {
  const t = model.transformer;
  const lack = attentionLack(model);
  if (lack || !t?.tokens)
    throw new DeepvisError(
      `${method} needs a vision transformer with global attention; this model cannot: ${lack}`,
    );
  const blocks = t.blocks.filter(
    (b): b is BlockFacts & { attention: string } => b.attention != null,
  );
  const tokens = blocks.map((b) => model.layer(b.attention).attention!.tokens);
  const expected = t.tokens.prefix + t.tokens.grid[0] * t.tokens.grid[1];
  if (tokens.some((n) => n !== expected)) {
    throw new DeepvisError(
      `${method}: attention over ${tokens.join('/')} tokens does not match the token layout (${expected}); pass --tokens prefix=N,grid=HxW`,
    );
  }
  return { blocks, tokens: t.tokens };
}

/** A map on the patch grid [N, h, w] brought to the input's size [N, H, W]. */
function toInput(grid: tf.Tensor3D, x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const up = tf.image
      .resizeBilinear(grid.expandDims(3) as tf.Tensor4D, [x.shape[1], x.shape[2]])
      .squeeze([3]);
    return up.div(tf.maximum(up.max([1, 2], true), 1e-12)) as tf.Tensor3D;
  });
}

/** Every block's attention [N, T, T, heads], in block order (caller disposes). */
export function blockAttentions(
  model: VisModel,
  x: tf.Tensor4D,
  blocks: ReadonlyArray<{ attention: string }>,
): tf.Tensor4D[] {
  return model.activations(
    x,
    blocks.map((b) => b.attention),
  ) as tf.Tensor4D[];
}

export interface AttentionMapArgs {
  /** The block (its name or index; default the last). */
  readonly block?: string | number;
  /** One head, or the heads fused. */
  readonly head?: number | HeadFusion;
}

/** One block's attention from the class token (or, without one, from all tokens) to the patches. */
export function attentionMap(
  model: VisModel,
  x: tf.Tensor4D,
  args: AttentionMapArgs = {},
): tf.Tensor3D {
  const { blocks, tokens } = attentionBlocks(model, 'attention');
  const b =
    args.block == null
      ? blocks[blocks.length - 1]
      : typeof args.block === 'number'
        ? blocks[args.block < 0 ? blocks.length + args.block : args.block]
        : blocks.find((k) => k.name === args.block || k.attention === args.block);
  if (!b)
    throw new DeepvisError(
      `unknown block ${args.block}; the model's blocks are 0–${blocks.length - 1} (${blocks[0].name} … ${blocks[blocks.length - 1].name})`,
    );
  const heads = model.layer(b.attention).attention!.heads;
  const head = args.head ?? 'mean';
  if (typeof head === 'number' && (head < 0 || head >= heads || !Number.isInteger(head))) {
    throw new DeepvisError(
      `head ${head} is out of range; block ${b.name} has heads 0–${heads - 1}`,
    );
  }
  return tf.tidy(() => headMap(blockAttentions(model, x, [b])[0], head, tokens, x));
}

/** One head's (or the fused heads') attention [N, T, T, heads] from the class token to the patches, at the input's size. */
export function headMap(
  a: tf.Tensor4D,
  head: number | HeadFusion,
  tokens: Pick<TokenLayout, 'prefix' | 'grid'>,
  x: tf.Tensor4D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const fused =
      typeof head === 'number'
        ? (tf.slice(a, [0, 0, 0, head], [-1, -1, -1, 1]).squeeze([3]) as tf.Tensor3D)
        : fuseHeads(a, head);
    return toInput(patchRelevance(fused, tokens), x);
  });
}

export interface RolloutArgs {
  readonly fusion?: HeadFusion;
  /** Share of each block's weakest attention dropped (the reference code's default 0.9). */
  readonly discard?: number;
}

export function rolloutMap(model: VisModel, x: tf.Tensor4D, args: RolloutArgs = {}): tf.Tensor3D {
  const { blocks, tokens } = attentionBlocks(model, 'attention rollout');
  const discard = args.discard ?? 0.9;
  if (!(discard >= 0 && discard < 1))
    throw new DeepvisError(`--discard must be in [0, 1); got ${discard}`);
  return tf.tidy(() =>
    toInput(
      patchRelevance(
        rollout(blockAttentions(model, x, blocks), args.fusion ?? 'mean', discard, tokens.prefix),
        tokens,
      ),
      x,
    ),
  );
}

/** ∂score/∂A for every block's attention, each [N, T, T, heads]. */
function attentionGradients(
  model: VisModel,
  x: tf.Tensor4D,
  t: ResolvedTarget,
  attentions: readonly tf.Tensor4D[],
  names: readonly string[],
): tf.Tensor4D[] {
  return names.map((layer, i) =>
    tf.tidy(
      () =>
        tf.grad((delta: tf.Tensor) => targetScores(model, x, t, { layer, delta }).sum())(
          tf.zerosLike(attentions[i]),
        ) as tf.Tensor4D,
    ),
  );
}

export function cheferMap(model: VisModel, x: tf.Tensor4D, t: ResolvedTarget): tf.Tensor3D {
  const { blocks, tokens } = attentionBlocks(model, 'gradient-weighted attention');
  const attentions = blockAttentions(model, x, blocks);
  try {
    const grads = attentionGradients(
      model,
      x,
      t,
      attentions,
      blocks.map((b) => b.attention),
    );
    try {
      return tf.tidy(() =>
        toInput(patchRelevance(gradientWeightedRollout(attentions, grads), tokens), x),
      );
    } finally {
      tf.dispose(grads);
    }
  } finally {
    tf.dispose(attentions);
  }
}

/** A heat map [N, H, W] as an attribution's answer: the heat, and the map repeated over the channels. */
export function heatExplanation(
  heat: tf.Tensor3D,
  channels: number,
): { heat: tf.Tensor3D; map: tf.Tensor4D } {
  return { heat, map: tf.tidy(() => heat.expandDims(3).tile([1, 1, 1, channels]) as tf.Tensor4D) };
}
