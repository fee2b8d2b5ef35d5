/**
 * Embeddings of a layer's activations (Agrawal & Balani §4.3, after van der Maaten & Hinton 2008): the
 * activations of a dense layer (conv layers: the channels' spatial means) over a data set, reduced
 * to 2-D by t-SNE, UMAP or PCA — with PCA to 50 dimensions first for wide layers, as Agrawal & Balani
 * proposes. The reductions are DruidJS's (maintained, one API for all three); deepvis adds the
 * batching, the PCA step and a measure of how well the labels separate: the accuracy of a 5-nearest-
 * neighbour vote in the 2-D map, so "the classes separate" is a number, not only a picture.
 */
import { itemOf, tidyData } from '../engine/read.js';
import { PCA, TSNE, UMAP } from '@saehrimnir/druidjs';
import { batchRanges, batchTensor, dataTooSmall, type ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { unitScores } from '../objectives/units.js';

export type EmbeddingMethod = 'tsne' | 'umap' | 'pca';

export interface EmbeddingArgs {
  readonly method?: EmbeddingMethod;
  /** Reduce to this many dimensions by PCA first when the layer is wider (0: never). */
  readonly pcaFirst?: number;
  readonly perplexity?: number;
  readonly iterations?: number;
  readonly seed?: number;
  readonly batchSize?: number;
}

export interface Embedding {
  readonly layer: string;
  readonly method: EmbeddingMethod;
  readonly points: Array<[number, number]>;
  readonly labels: number[] | null;
  /** Dimensions the 2-D method saw (after the PCA step). */
  readonly dims: number;
  /** 5-NN label agreement in 2-D (null without labels). */
  readonly knnAccuracy: number | null;
  readonly seconds: number;
}

export function layerFeatures(
  model: VisModel,
  set: ImageSet,
  layerName: string,
  batchSize = 256,
): Float64Array[] {
  const layer = model.layer(layerName);
  const rows: Float64Array[] = [];
  for (const [from, to] of batchRanges(set.count, batchSize)) {
    const v = tidyData(() =>
      unitScores(model.activations(batchTensor(set, from, to), [layer.name])[0], layer),
    );
    for (let i = 0; i < to - from; i++) rows.push(Float64Array.from(itemOf(v, i, [layer.units])));
  }
  return rows;
}

export function knnAccuracy(
  points: ReadonlyArray<readonly [number, number]>,
  labels: readonly number[],
  k = 5,
): number {
  let right = 0;
  points.forEach(([x, y], i) => {
    const near = points
      .map(([px, py], j) => ({ j, d: (px - x) ** 2 + (py - y) ** 2 }))
      .filter((p) => p.j !== i)
      .sort((a, b) => a.d - b.d)
      .slice(0, k);
    const votes = new Map<number, number>();
    for (const { j } of near) votes.set(labels[j], (votes.get(labels[j]) ?? 0) + 1);
    const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (best === labels[i]) right++;
  });
  return right / points.length;
}

/** The reduction's settings when none are given (the CLI shows these too). */
/** Fewest images a t-SNE/UMAP embedding takes. */
export const EMBED_MIN_IMAGES = 5;

export const EMBED_DEFAULTS = { pcaFirst: 50, perplexity: 30 } as const;

export function embed(
  model: VisModel,
  set: ImageSet,
  layerName: string,
  args: EmbeddingArgs = {},
): Embedding {
  const started = performance.now();
  const method = args.method ?? 'tsne';
  if (set.count < EMBED_MIN_IMAGES) throw dataTooSmall('an embedding needs', EMBED_MIN_IMAGES, set);
  let features = layerFeatures(model, set, layerName, args.batchSize);
  const seed = args.seed ?? 0;
  const pcaFirst = args.pcaFirst ?? EMBED_DEFAULTS.pcaFirst;
  if (method !== 'pca' && pcaFirst > 0 && features[0].length > pcaFirst) {
    features = PCA.transform(features, { d: pcaFirst, seed: seed + 1 }) as Float64Array[];
  }
  const dims = features[0].length;
  let out: Float64Array[];
  if (method === 'pca') out = PCA.transform(features, { d: 2, seed: seed + 1 }) as Float64Array[];
  else if (method === 'umap')
    out = new UMAP(features, {
      d: 2,
      seed: seed + 1,
      n_neighbors: Math.min(15, set.count - 1),
    }).transform(args.iterations ?? 350) as Float64Array[];
  else {
    const perplexity = Math.min(
      args.perplexity ?? EMBED_DEFAULTS.perplexity,
      Math.floor((set.count - 1) / 3),
    );
    out = new TSNE(features, { d: 2, seed: seed + 1, perplexity }).transform(
      args.iterations ?? 500,
    ) as Float64Array[];
  }
  const points = out.map((p): [number, number] => [p[0], p[1]]);
  if (points.some(([a, b]) => !Number.isFinite(a) || !Number.isFinite(b)))
    throw new DeepvisError(`${method} returned non-finite coordinates for layer '${layerName}'`);
  const labels = set.labels ? Array.from(set.labels) : null;
  return {
    layer: model.layer(layerName).name,
    method,
    points,
    labels,
    dims,
    knnAccuracy: labels ? knnAccuracy(points, labels) : null,
    seconds: (performance.now() - started) / 1000,
  };
}
