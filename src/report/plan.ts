/**
 * What a report computes, decided once before any work: the layers and their units, the two
 * feature-visualization methods suited to each layer (conv channels: Lucid's Fourier
 * parameterization and Erhan's ascent; dense units: Erhan and Yosinski's regularized ascent), every
 * method's parameters resolved (the object that is both used and written into the JSON and the
 * cache keys), the fixed unit groups that are optimized as one batch, and, for `--shard k/N`, which
 * groups and which slice of the data-set scan are this shard's. Groups are fixed by unit index (not
 * by what is missing from the cache or what a shard holds), and each group's seed comes from its
 * layer and first unit, so an image is the same whether computed in one run, resumed, or sharded.
 */
import { createHash } from 'node:crypto';
import { scannableLayers } from '../analysis/scan.js';
import { isWeighted } from '../analysis/connections.js';
import { DeepvisError } from '../errors.js';
import { memoryBudget } from '../engine/budget.js';
import { expectedResident, imagesThatFit } from '../model/memory.js';
import type { LayerInfo, VisModel } from '../model/types.js';

export type VisMethod = 'erhan' | 'lucid' | 'yosinski' | 'maco';

export interface MethodSettings {
  readonly erhan: { readonly steps: number; readonly restarts: number };
  readonly lucid: { readonly steps: number };
  readonly yosinski: { readonly steps: number };
  /** MaCo (Fel et al. 2023) beside Lucid on a colour model's conv layers; the page shows whichever looks more natural to the network. */
  readonly maco: { readonly steps: number; readonly crops: number };
  /** Lucid with a diversity term: `perUnit` images per unit. */
  readonly diverse: { readonly steps: number; readonly perUnit: number };
}

/** Report defaults: fewer steps than the single-method commands, so a whole model fits in minutes. */
export const DEFAULT_METHODS: MethodSettings = {
  erhan: { steps: 150, restarts: 2 },
  lucid: { steps: 160 },
  yosinski: { steps: 150 },
  // Far fewer than `maximize --method maco` (256 steps, 32 crops): a whole layer's units at a time.
  maco: { steps: 48, crops: 4 },
  diverse: { steps: 96, perUnit: 4 },
};

/** The plan's sizes when not told (the CLI shows these too). */
export const REPORT_DEFAULTS = { groupSize: 32, k: 9, embedCount: 500 } as const;

export interface ReportPlanArgs {
  /** Layer names; default every weighted (dense/conv) layer. */
  readonly layers?: readonly string[];
  readonly methods?: Partial<{ [K in keyof MethodSettings]: Partial<MethodSettings[K]> }>;
  /** Units optimized as one batch; default 32. */
  readonly groupSize?: number;
  /** Top and bottom examples per unit; default 9. */
  readonly k?: number;
  readonly seed?: number;
  /** [k, N]: this is shard k of N (1-based); default [1, 1]. */
  readonly shard?: readonly [number, number];
  /** Images in each dense layer's embedding; default 500. */
  readonly embedCount?: number;
  /** MaCo on conv layers; default on for colour models (its magnitude is natural photographs'). */
  readonly maco?: boolean;
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
  if (n < 1 || k < 1 || k > n) throw new DeepvisError(`--shard ${text}: K must be between 1 and N (${n})`);
  return [k, n];
}

const seedOf = (seed: number, layer: string, unit: number): number =>
  createHash('sha256').update(`${seed}/${layer}/${unit}`).digest().readUInt32LE(0) % 2147483647;

export function planReport(model: VisModel, args: ReportPlanArgs = {}): ReportPlan {
  const layers = args.layers?.length ? args.layers.map((l) => model.layer(l)) : scannableLayers(model).filter((l) => isWeighted(model, l));
  if (layers.length === 0) throw new DeepvisError('the model has no dense or conv layer to report on; name layers with --layers');
  const groupSize = args.groupSize ?? REPORT_DEFAULTS.groupSize;
  if (!(groupSize >= 1)) throw new DeepvisError(`group size must be at least 1; got ${groupSize}`);
  const k = args.k ?? REPORT_DEFAULTS.k;
  if (!(k >= 1 && k <= 100)) throw new DeepvisError(`--k must be between 1 and 100; got ${k}`);
  const seed = args.seed ?? 0;
  const shard = args.shard ?? [1, 1];
  const m = args.methods ?? {};
  const methods: MethodSettings = {
    erhan: { ...DEFAULT_METHODS.erhan, ...m.erhan },
    lucid: { ...DEFAULT_METHODS.lucid, ...m.lucid },
    yosinski: { ...DEFAULT_METHODS.yosinski, ...m.yosinski },
    maco: { ...DEFAULT_METHODS.maco, ...m.maco },
    diverse: { ...DEFAULT_METHODS.diverse, ...m.diverse },
  };
  for (const [name, s] of Object.entries(methods)) {
    for (const [key, v] of Object.entries(s as Record<string, number>)) {
      if (!(Number.isInteger(v) && v >= 1)) throw new DeepvisError(`--${name}-${key} must be a positive integer; got ${v}`);
    }
  }
  const methodsOf: Record<string, VisMethod[]> = {};
  const withMaco = args.maco ?? model.input.shape[2] === 3;
  const groups: UnitGroup[] = [];
  // A group is one batch of every method: its units × the most images a method makes per unit must
  // fit the budget. Sized from the model alone (expectedResident), so every shard plans alike.
  const copies = Math.max(methods.erhan.restarts, methods.diverse.perUnit, withMaco ? methods.maco.crops + 4 : 1, 1);
  for (const l of layers) {
    methodsOf[l.name] = l.outputShape.length === 3 ? ['lucid', 'erhan', ...(withMaco ? (['maco'] as const) : [])] : ['erhan', 'yosinski'];
    const size = Math.max(1, Math.min(groupSize, imagesThatFit(model, memoryBudget(), { layer: l.name, copies, resident: expectedResident(model) })));
    for (let from = 0; from < l.units; from += size) {
      const units = Array.from({ length: Math.min(size, l.units - from) }, (_, i) => from + i);
      groups.push({ layer: l.name, units, seed: seedOf(seed, l.name, from), ordinal: groups.length });
    }
  }
  return { layers, methodsOf, methods, groups, k, seed, shard, embedCount: args.embedCount ?? REPORT_DEFAULTS.embedCount };
}

/** This shard's groups: every N-th, starting at k−1 (disjoint, and together all of them). */
export const shardGroups = (plan: ReportPlan): UnitGroup[] => plan.groups.filter((g) => g.ordinal % plan.shard[1] === plan.shard[0] - 1);

/** This shard's slice [from, to) of a data set of `count` images (contiguous, disjoint, covering). */
export function shardSlice(count: number, shard: readonly [number, number]): [number, number] {
  const [k, n] = shard;
  return [Math.floor(((k - 1) * count) / n), Math.floor((k * count) / n)];
}
