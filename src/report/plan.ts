/**
 * What a report computes, decided once before any work: the layers and their units, the
 * feature-visualization methods suited to each layer (the registry's atlas uses: conv channels
 * Lucid's Fourier parameterization, Erhan's ascent and, on colour models, MaCo; dense units Erhan
 * and Yosinski's regularized ascent), every method's parameters resolved (the object that is both used and written into the JSON and the
 * cache keys), the fixed unit groups that are optimized as one batch, and, for `--shard k/N`, which
 * groups and which slice of the data-set scan are this shard's. Groups are fixed by unit index (not
 * by what is missing from the cache or what a shard holds), and each group's seed comes from its
 * layer and first unit, so an image is the same whether computed in one run, resumed, or sharded.
 */
import { createHash } from 'node:crypto';
import { scannableLayers } from '../analysis/scan.js';
import { isWeighted, weightedBelow } from '../analysis/connections.js';
import { DeepvisError } from '../errors.js';
import { memoryBudget } from '../engine/memory.js';
import { withDefaults, type AnyFeatureVis } from '../methods/method.js';
import { FEATURE_VIS } from '../methods/registry.js';
import { expectedResident, imagesThatFit } from '../model/memory.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { weightShapes } from '../model/weight_facts.js';

/** A registry method the atlas uses (its name). */
export type VisMethod = string;

/** The registry's methods with an atlas use, in registry order. */
export const ATLAS_METHODS: readonly (AnyFeatureVis & {
  atlas: NonNullable<AnyFeatureVis['atlas']>;
})[] = FEATURE_VIS.filter((m) => m.atlas != null) as never;

/**
 * Per method, its settings (steps and options, by option name), and `diverse`: Lucid with a
 * diversity term, `perUnit` images per unit.
 */
export type MethodSettings = Readonly<Record<string, Readonly<Record<string, number>>>>;

/**
 * The method of a first layer's centre-neuron images: Erhan et al. 2009's norm-bounded ascent,
 * whose optimum for one neuron of a linear filter is the filter itself (within its receptive field).
 */
export const CENTRE_METHOD = 'erhan';

/** Report defaults: fewer steps than the single-method commands (each method's atlas settings), so a whole model fits in minutes. */
export const DEFAULT_METHODS: MethodSettings = {
  ...Object.fromEntries(ATLAS_METHODS.map((m) => [m.name, m.atlas.settings])),
  diverse: { steps: 96, perUnit: 4 },
  // The centre method's own atlas settings (a linear filter's neuron needs few restarts).
  center: {
    ...(FEATURE_VIS.find((m) => m.name === CENTRE_METHOD)?.atlas?.settings ?? { steps: 150 }),
  },
};

/**
 * A first layer: weighted, on the input image itself (no weighted layer below): a convolution with
 * a kernel [kh, kw, C, units] over the image's C channels, or a dense layer with a row per pixel of
 * the flattened image. Its weights are pictures (the atlas shows them). A first convolution's
 * channel mean is the mean of one linear filter over the image, whose optimum is close to a flat
 * image (the mean of w * x over positions is about sum(w) · mean(x)): its tiles show the centre
 * neuron's image instead (`isCentreLayer`).
 */
export function isFirstLayer(model: VisModel, l: LayerInfo): boolean {
  if (!isWeighted(model, l) || weightedBelow(model, l)) return false;
  const [kernel] = weightShapes(model, l.name);
  const [h, w, c] = model.input.shape;
  if (l.outputShape.length === 3) return kernel?.length === 4 && kernel[2] === c;
  return kernel?.length === 2 && kernel[0] === h * w * c;
}

/** A first layer that is a convolution: its tiles are the centre neuron's images. */
export const isCentreLayer = (model: VisModel, l: LayerInfo): boolean =>
  l.outputShape.length === 3 && isFirstLayer(model, l);

/** The plan's sizes when not told (the CLI shows these too). */
export const REPORT_DEFAULTS = { groupSize: 32, k: 9, embedCount: 500 } as const;

export interface ReportPlanArgs {
  /** Layer names; default every weighted (dense/conv) layer. */
  readonly layers?: readonly string[];
  readonly methods?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Units optimized as one batch; default 32. */
  readonly groupSize?: number;
  /** Top and bottom examples per unit; default 9. */
  readonly k?: number;
  readonly seed?: number;
  /** [k, N]: this is shard k of N (1-based); default [1, 1]. */
  readonly shard?: readonly [number, number];
  /** Images in each dense layer's embedding; default 500. */
  readonly embedCount?: number;
  /** Methods on or off, for those the atlas uses only on some models (MaCo: colour models, whose magnitude is natural photographs'). */
  readonly include?: Readonly<Record<string, boolean>>;
}

export interface UnitGroup {
  readonly layer: string;
  readonly units: readonly number[];
  readonly seed: number;
  /** Position in the report's list of groups (what shards split). */
  readonly ordinal: number;
}

export interface ReportPlan {
  readonly layers: readonly LayerInfo[];
  /** Per layer, the methods computed; the first is the headline unless MaCo scores better (pages.ts). */
  readonly methodsOf: Readonly<Record<string, readonly VisMethod[]>>;
  /** First layers (isFirstLayer): their pages show the weights. */
  readonly first: readonly string[];
  /** First convolutions (isCentreLayer): their tiles show the centre neuron's image. */
  readonly centre: readonly string[];
  readonly methods: MethodSettings;
  readonly groups: readonly UnitGroup[];
  readonly k: number;
  readonly seed: number;
  readonly shard: readonly [number, number];
  readonly embedCount: number;
}

export function parseShard(text: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new DeepvisError(`--shard must be K/N, e.g. 1/4; got '${text}'`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n)
    throw new DeepvisError(`--shard ${text}: K must be between 1 and N (${n})`);
  return [k, n];
}

const seedOf = (seed: number, layer: string, unit: number): number =>
  createHash('sha256').update(`${seed}/${layer}/${unit}`).digest().readUInt32LE(0) % 2147483647;

/**
 * Every dense and conv layer; on a transformer, each block's weighted layers give way to its MLP
 * units (the expanded GELU layer, Ghiasi et al. 2022's unit of a ViT block).
 */
function defaultLayers(model: VisModel): LayerInfo[] {
  const weighted = scannableLayers(model).filter((l) => isWeighted(model, l));
  const blocks = (model.transformer?.blocks ?? []).filter((b) => b.mlp != null);
  if (!blocks.length) return weighted;
  const inBlock = (name: string) =>
    blocks.some((b) => name.startsWith(`${b.name}.`) || name.startsWith(`${b.name}/`));
  const keep = new Set([
    ...weighted.filter((l) => !inBlock(l.name)).map((l) => l.name),
    ...blocks.map((b) => b.mlp!),
  ]);
  return model.layers.filter((l) => keep.has(l.name));
}

export function planReport(model: VisModel, args: ReportPlanArgs = {}): ReportPlan {
  const layers = args.layers?.length
    ? args.layers.map((l) => model.layer(l))
    : defaultLayers(model);
  if (layers.length === 0)
    throw new DeepvisError(
      'the model has no dense or conv layer to report on; name layers with --layers',
    );
  const groupSize = args.groupSize ?? REPORT_DEFAULTS.groupSize;
  if (!(groupSize >= 1)) throw new DeepvisError(`group size must be at least 1; got ${groupSize}`);
  const k = args.k ?? REPORT_DEFAULTS.k;
  if (!(k >= 1 && k <= 100)) throw new DeepvisError(`--k must be between 1 and 100; got ${k}`);
  const seed = args.seed ?? 0;
  const shard = args.shard ?? [1, 1];
  const m = args.methods ?? {};
  const methods: MethodSettings = Object.fromEntries(
    Object.entries(DEFAULT_METHODS).map(([name, d]) => [name, { ...d, ...m[name] }]),
  );
  for (const [name, s] of Object.entries(methods)) {
    for (const [key, v] of Object.entries(s as Record<string, number>)) {
      if (!(Number.isInteger(v) && v >= 1))
        throw new DeepvisError(`--${name}-${key} must be a positive integer; got ${v}`);
    }
  }
  const methodsOf: Record<string, VisMethod[]> = {};
  const on = ATLAS_METHODS.filter((x) =>
    x.atlas.auto ? (args.include?.[x.name] ?? x.atlas.auto.when(model)) : true,
  );
  const ranked = (where: 'conv' | 'dense') =>
    on
      .filter((x) => x.atlas[where] != null)
      .sort((a, b) => a.atlas[where]! - b.atlas[where]!)
      .map((x) => x.name);
  const [conv, dense] = [ranked('conv'), ranked('dense')];
  const groups: UnitGroup[] = [];
  // A group is one batch of every method: its units × the most images a method makes per unit must
  // fit the budget. Sized from the model alone (expectedResident), so every shard plans alike.
  const copiesOf = (x: AnyFeatureVis, layer: string) =>
    x.batch(model, { layer, units: [0] }, withDefaults(x, methods[x.name])).copies;
  for (const l of layers) {
    methodsOf[l.name] = l.outputShape.length === 3 ? conv : dense;
    const copies = Math.max(
      methods.diverse.perUnit,
      ...on.filter((x) => methodsOf[l.name].includes(x.name)).map((x) => copiesOf(x, l.name)),
      1,
    );
    const size = Math.max(
      1,
      Math.min(
        groupSize,
        imagesThatFit(model, memoryBudget(), {
          layer: l.name,
          copies,
          resident: expectedResident(model),
        }),
      ),
    );
    for (let from = 0; from < l.units; from += size) {
      const units = Array.from({ length: Math.min(size, l.units - from) }, (_, i) => from + i);
      groups.push({
        layer: l.name,
        units,
        seed: seedOf(seed, l.name, from),
        ordinal: groups.length,
      });
    }
  }
  return {
    layers,
    methodsOf,
    first: layers.filter((l) => isFirstLayer(model, l)).map((l) => l.name),
    centre: layers.filter((l) => isCentreLayer(model, l)).map((l) => l.name),
    methods,
    groups,
    k,
    seed,
    shard,
    embedCount: args.embedCount ?? REPORT_DEFAULTS.embedCount,
  };
}

/** The layer's methods that challenge its first for the tiles (registry: atlas.challenger). */
export const challengersOf = (plan: Pick<ReportPlan, 'methodsOf'>, layer: string): VisMethod[] =>
  plan.methodsOf[layer].filter(
    (name) => ATLAS_METHODS.find((m) => m.name === name)?.atlas.challenger,
  );

/** This shard's groups: every N-th, starting at k−1 (disjoint, and together all of them). */
export const shardGroups = (plan: ReportPlan): UnitGroup[] =>
  plan.groups.filter((g) => g.ordinal % plan.shard[1] === plan.shard[0] - 1);

/** This shard's slice [from, to) of a data set of `count` images (contiguous, disjoint, covering). */
export function shardSlice(count: number, shard: readonly [number, number]): [number, number] {
  const [k, n] = shard;
  return [Math.floor(((k - 1) * count) / n), Math.floor((k * count) / n)];
}
