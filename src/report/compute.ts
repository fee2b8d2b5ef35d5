/**
 * The report's computations, each through the artifact store (so each is done once per key):
 * a shard's part (its unit groups' feature visualizations and its slice of the data-set scan),
 * and everything that needs the whole scan (example crops and projections, specificity,
 * embeddings, accuracy). `computeShard` is all a `--shard k/N` run does; a single run and `--merge`
 * call it (or absorb the shards' stores) and then `computeShared`.
 */
import { scanTopK, type TopKIndex } from '../analysis/scan.js';
import { mergeScans } from '../analysis/scan_merge.js';
import { dataTooSmall, imageSize, type Batch, type ImageSet } from '../data/dataset.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import {
  QUALITY_MIN_IMAGES,
  qualityDataTooSmall,
  qualityReference,
} from '../metrics/quality_reference.js';
import { EMBED_MIN_IMAGES } from '../analysis/embedding.js';
import { computeExamples, type UnitExamples } from './examples.js';
import { firstLayerWeights, type WeightsData } from './weights.js';
import {
  accuracy,
  computeEmbedding,
  computeSpecificity,
  type EmbeddingData,
  type SpecificityData,
} from './layer_stats.js';
import { challengersOf, shardGroups, shardSlice, type ReportPlan, type UnitGroup } from './plan.js';
import type { ArtifactStore, Stored } from './store.js';
import { computeVis, visParams, type VisData, type VisKind } from './vis.js';

export interface ReportData {
  readonly set: ImageSet;
  /** How the data set was named ("mnist:eval"): part of every data-dependent key. */
  readonly spec: string;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly phase: string;
}

export interface ReportContext {
  readonly model: VisModel;
  readonly hash: string;
  readonly plan: ReportPlan;
  readonly store: ArtifactStore;
  readonly data: ReportData | null;
  readonly onProgress?: (p: Progress) => void;
}

export const visKinds = (plan: ReportPlan, layer: string): VisKind[] => [
  ...plan.methodsOf[layer],
  ...(plan.centre.includes(layer) ? (['center'] as const) : []),
  'diverse',
];

/** The layer scanned for a layer's most negative examples: its pre-activation when it has a fused activation. */
export const bottomLayerOf = (l: LayerInfo): string => (l.activation ? `${l.name}:pre` : l.name);

export const scanLayersOf = (plan: ReportPlan): string[] => [
  ...new Set(plan.layers.flatMap((l) => [l.name, bottomLayerOf(l)])),
];

/**
 * The data-set sizes the report's parts need, checked before any work: quality scores where a
 * layer has a challenger (MaCo scored against Lucid), a t-SNE for each dense layer. One line
 * naming the folder given (not its held-out split) and how many images it needs.
 */
export function checkReportData(plan: ReportPlan, data: ReportData | null): void {
  if (!data) return;
  const { set } = data;
  if (
    plan.layers.some((l) => challengersOf(plan, l.name).length > 0) &&
    set.count < QUALITY_MIN_IMAGES
  )
    throw qualityDataTooSmall(set);
  const dense = plan.layers.find((l) => l.outputShape.length === 1);
  if (dense && set.count < EMBED_MIN_IMAGES)
    throw dataTooSmall(`the t-SNE of dense layer ${dense.name} needs`, EMBED_MIN_IMAGES, set);
}

/** Where a layer has a challenger (MaCo), its images and the first method's are scored against the data (when there is data). */
function scoredKind(ctx: ReportContext, kind: VisKind, layer: string): boolean {
  const challengers = challengersOf(ctx.plan, layer);
  return (
    ctx.data != null &&
    challengers.length > 0 &&
    (kind === ctx.plan.methodsOf[layer][0] || challengers.includes(kind))
  );
}

export function visArtifact(
  ctx: ReportContext,
  kind: VisKind,
  group: UnitGroup,
): Promise<Stored<VisData>> {
  const scored = scoredKind(ctx, kind, group.layer);
  const key = {
    model: ctx.hash,
    layer: group.layer,
    ...visParams(kind, ctx.plan.methods, group),
    ...(scored ? { scoredOn: ctx.data!.spec } : {}),
  };
  return ctx.store.cached(`vis-${kind}`, key, () => {
    const ref = scored
      ? qualityReference(ctx.model, ctx.data!.set, group.layer, group.units, { seed: group.seed })
      : undefined;
    return computeVis(ctx.model, kind, ctx.plan.methods, group, ref);
  });
}

const scanParts = (ctx: ReportContext, slice: [number, number]) => ({
  model: ctx.hash,
  dataset: ctx.data!.spec,
  slice,
  k: ctx.plan.k,
  layers: scanLayersOf(ctx.plan),
});

/** Scan of images [from, to) of the set, with their global indices. */
export function scanArtifact(
  ctx: ReportContext,
  slice: [number, number],
): Promise<Stored<TopKIndex>> {
  const { set } = ctx.data!;
  const size = imageSize(set);
  const batches = function* (): Generator<Batch> {
    for (let from = slice[0]; from < slice[1]; from += 256) {
      const to = Math.min(slice[1], from + 256);
      yield { images: set.images.subarray(from * size, to * size), count: to - from, offset: from };
    }
  };
  // Two passes: a pre-activation is its layer's input, which can be another scanned layer's output
  // (a dense stack's h2:pre is h1), and one sub-model cannot list an output twice.
  const own = ctx.plan.layers.map((l) => l.name);
  const pre = scanLayersOf(ctx.plan).filter((l) => !own.includes(l));
  const scan = (layers: string[]) =>
    scanTopK(ctx.model, batches(), {
      layers,
      k: ctx.plan.k,
      bottomK: ctx.plan.k,
      dataset: set.name,
      datasetSpec: ctx.data!.spec,
    });
  return ctx.store.cached('scan', scanParts(ctx, slice), async () => {
    const a = await scan(own);
    const b = pre.length ? await scan(pre) : null;
    return {
      data: b ? { ...a, seconds: a.seconds + b.seconds, layers: [...a.layers, ...b.layers] } : a,
    };
  });
}

/** A shard's work: its groups' images (every method of the layer, and the diverse set) and its scan slice. */
export async function computeShard(
  ctx: ReportContext,
): Promise<{ scanSlice: [number, number] | null }> {
  const groups = shardGroups(ctx.plan);
  const total = groups.reduce((a, g) => a + g.units.length, 0);
  let done = 0;
  let scanSlice: [number, number] | null = null;
  if (ctx.data) {
    scanSlice = shardSlice(ctx.data.set.count, ctx.plan.shard);
    ctx.onProgress?.({ done, total, phase: 'scan' });
    await scanArtifact(ctx, scanSlice);
  }
  for (const g of groups) {
    for (const kind of visKinds(ctx.plan, g.layer)) {
      ctx.onProgress?.({ done, total, phase: `${g.layer} ${kind}` });
      await visArtifact(ctx, kind, g);
    }
    done += g.units.length;
    ctx.onProgress?.({ done, total, phase: g.layer });
  }
  return { scanSlice };
}

/** The whole data set's scan, merged from the shards' slices (all cached by then, or computed here). */
export async function fullScan(ctx: ReportContext, shards: number): Promise<TopKIndex> {
  const parts: TopKIndex[] = [];
  for (let k = 1; k <= shards; k++)
    parts.push((await scanArtifact(ctx, shardSlice(ctx.data!.set.count, [k, shards]))).data);
  return mergeScans(parts);
}

export interface SharedArtifacts {
  readonly scan: TopKIndex | null;
  readonly examples: Map<string, Stored<UnitExamples[]>>;
  readonly specificity: Map<string, Stored<SpecificityData>>;
  readonly embedding: Map<string, Stored<EmbeddingData>>;
  readonly accuracy: Stored<{ accuracy: number; count: number } | null> | null;
  /** A first layer's filters as images (no data needed). */
  readonly weights: Map<string, Stored<WeightsData>>;
}

const groupKey = (g: UnitGroup) => `${g.layer}/${g.units[0]}`;
export { groupKey };

export async function computeShared(ctx: ReportContext, shards: number): Promise<SharedArtifacts> {
  const examples = new Map<string, Stored<UnitExamples[]>>();
  const spec = new Map<string, Stored<SpecificityData>>();
  const emb = new Map<string, Stored<EmbeddingData>>();
  const weights = new Map<string, Stored<WeightsData>>();
  for (const layer of ctx.plan.first)
    weights.set(
      layer,
      await ctx.store.cached('weights', { model: ctx.hash, layer }, () =>
        firstLayerWeights(ctx.model, layer),
      ),
    );
  if (!ctx.data)
    return { scan: null, examples, specificity: spec, embedding: emb, accuracy: null, weights };
  const { set, spec: dataSpec } = ctx.data;
  const scan = await fullScan(ctx, shards);
  const total = ctx.plan.groups.reduce((a, g) => a + g.units.length, 0);
  let done = 0;
  for (const g of ctx.plan.groups) {
    ctx.onProgress?.({ done, total, phase: `${g.layer} examples` });
    const layer = ctx.plan.layers.find((l) => l.name === g.layer)!;
    const top = scan.layers.find((l) => l.layer === layer.name)!;
    const bottom = scan.layers.find((l) => l.layer === bottomLayerOf(layer)) ?? null;
    examples.set(
      groupKey(g),
      await ctx.store.cached(
        'examples',
        {
          model: ctx.hash,
          dataset: dataSpec,
          layer: g.layer,
          units: g.units,
          k: ctx.plan.k,
          unpool: 'switches',
        },
        () => computeExamples(ctx.model, set, top, bottom, g.units),
      ),
    );
    done += g.units.length;
  }
  ctx.onProgress?.({ done, total, phase: 'layer statistics' });
  for (const l of ctx.plan.layers) {
    if (set.labels)
      spec.set(
        l.name,
        await ctx.store.cached(
          'specificity',
          { model: ctx.hash, dataset: dataSpec, layer: l.name, threshold: 0.4 },
          () => computeSpecificity(ctx.model, set, l.name),
        ),
      );
    if (l.outputShape.length === 1) {
      emb.set(
        l.name,
        await ctx.store.cached(
          'embedding',
          {
            model: ctx.hash,
            dataset: dataSpec,
            layer: l.name,
            count: ctx.plan.embedCount,
            seed: ctx.plan.seed,
            method: 'tsne',
          },
          () => computeEmbedding(ctx.model, set, l.name, ctx.plan.embedCount, ctx.plan.seed),
        ),
      );
    }
  }
  const acc = await ctx.store.cached('accuracy', { model: ctx.hash, dataset: dataSpec }, () => ({
    data: accuracy(ctx.model, set),
  }));
  return { scan, examples, specificity: spec, embedding: emb, accuracy: acc, weights };
}
