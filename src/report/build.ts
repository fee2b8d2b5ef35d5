/**
 * `deepvis report` as one library call: compute (through the artifact store), build the site model,
 * write it. Pages, stylesheet, script and JSON go through the caller's `write` (the CLI stages them
 * and renames them into place together); the index is returned separately so the caller writes it
 * last — a site without index.html is an unfinished one. A shard run (plan.shard N > 1) computes
 * its part only and returns no pages.
 */
import { attentionLack } from '../attribution/transformer_maps.js';
import type { VisModel } from '../model/types.js';
import {
  checkReportData,
  computeShard,
  computeShared,
  groupKey,
  visArtifact,
  visKinds,
  type Progress,
  type ReportData,
} from './compute.js';
import {
  computeConceptAtlas,
  conceptPages,
  type ConceptAtlasArgs,
  type ConceptPage,
} from './concepts.js';
import { historySections, type Checkpoint, type HistoryUnit } from './history.js';
import { pageHtml, SITE_CSS, SITE_JS } from './html.js';
import { buildSite, unitPath } from './pages.js';
import type { ReportPlan } from './plan.js';
import type { Section } from './site.js';
import type { ArtifactStore, Stored } from './store.js';
import { computeTransformerAtlas, type TransformerAtlas } from './transformer.js';
import type { VisData, VisKind } from './vis.js';

export interface ReportInput {
  readonly model: VisModel;
  readonly modelPath: string;
  readonly hash: string;
  readonly plan: ReportPlan;
  readonly store: ArtifactStore;
  readonly data: ReportData | null;
  /** Shards whose scan slices are in the store (a merge); default the plan's N (1 for a single run). */
  readonly scanShards?: number;
  readonly history?: {
    readonly checkpoints: readonly Checkpoint[];
    readonly units: readonly HistoryUnit[];
  };
  readonly serveUrl?: string;
  readonly modelExtras?: readonly Section[];
  /** Concept pages (`--concepts`): CRAFT per class at one layer (concepts.ts); needs labelled data. */
  readonly concepts?: ConceptAtlasArgs;
  readonly onProgress?: (p: Progress) => void;
}

export interface BuiltSite {
  /** Site-relative path → contents, everything but the index. */
  readonly files: Map<string, string>;
  readonly index: string;
  readonly pages: number;
}

export async function computeReport(input: ReportInput): Promise<BuiltSite | null> {
  const ctx = {
    model: input.model,
    hash: input.hash,
    plan: input.plan,
    store: input.store,
    data: input.data,
    onProgress: input.onProgress,
  };
  const merging = input.scanShards != null;
  checkReportData(input.plan, input.data);
  if (!merging) await computeShard(ctx);
  if (input.plan.shard[1] > 1) return null;
  // Every group's images: cached by the shards (or just now); a missing one is computed here.
  const vis = new Map<string, Partial<Record<VisKind, Stored<VisData>>>>();
  for (const g of input.plan.groups) {
    const byKind: Partial<Record<VisKind, Stored<VisData>>> = {};
    for (const kind of visKinds(input.plan, g.layer)) {
      byKind[kind] = await visArtifact(ctx, kind, g);
    }
    vis.set(groupKey(g), byKind);
  }
  const shared = await computeShared(ctx, input.scanShards ?? input.plan.shard[1]);
  // A vision transformer's block and class pages (its attention, rollout and Chefer maps).
  let transformer: Stored<TransformerAtlas> | null = null;
  if (input.data && attentionLack(input.model) == null) {
    input.onProgress?.({ done: 0, total: 1, phase: 'transformer blocks and classes' });
    transformer = await input.store.cached(
      'transformer',
      { model: input.hash, dataset: input.data.spec, version: 2 },
      () => computeTransformerAtlas(input.model, input.data!.set),
    );
  }
  let unitExtras: Map<string, Section[]> | undefined;
  const files = new Map<string, string>();
  if (input.history && input.history.checkpoints.length) {
    const h = await historySections(
      input.store,
      input.plan,
      input.history.checkpoints,
      input.history.units,
      input.data,
      (i) =>
        input.onProgress?.({ done: i, total: input.history!.checkpoints.length, phase: 'history' }),
    );
    unitExtras = h.sections;
    files.set('history.json', JSON.stringify(h.json, null, 1) + '\n');
  }
  let concepts: ReturnType<typeof conceptPages> | null = null;
  if (input.concepts && input.data) {
    const atlas = await computeConceptAtlas(
      { ...ctx, data: input.data, onProgress: input.onProgress },
      input.concepts,
    );
    const reported = new Map(input.plan.layers.map((l) => [l.name, l.units]));
    concepts = conceptPages(atlas, (layer, unit) =>
      unit < (reported.get(layer) ?? 0) ? unitPath(layer, unit) : null,
    );
    unitExtras = mergeExtras(unitExtras, concepts.unitExtras);
  }
  const pages = buildSite({
    model: input.model,
    modelPath: input.modelPath,
    hash: input.hash,
    plan: input.plan,
    vis,
    shared,
    dataSpec: input.data?.spec ?? null,
    unitExtras,
    transformer,
    serveUrl: input.serveUrl,
    modelExtras: [...(input.modelExtras ?? []), ...(concepts?.model ?? [])],
    historyLink: input.history?.checkpoints.length
      ? {
          text: `${input.history!.units.map((u) => `${u.layer} ${u.unit}`).join(', ')} over ${input.history!.checkpoints.length} checkpoints`,
          href: unitPathOf(input.history!.units[0]),
        }
      : undefined,
  });
  let index = '';
  for (const { page, json } of [...pages, ...(concepts?.pages ?? []).map(sitePageOf)]) {
    const html = pageHtml(page);
    if (page.path === 'index.html') index = html;
    else files.set(page.path, html);
    if (page.json) files.set(page.json, JSON.stringify(json, null, 1) + '\n');
  }
  files.set('site.css', SITE_CSS);
  files.set('site.js', SITE_JS);
  return { files, index, pages: pages.length + (concepts?.pages.length ?? 0) };
}

const unitPathOf = (u: HistoryUnit) => `${unitPath(u.layer, u.unit)}#history`;

/** Both sets of extra unit-page sections, a unit's in the order given. */
function mergeExtras(
  a: Map<string, Section[]> | undefined,
  b: Map<string, Section[]>,
): Map<string, Section[]> {
  const out = new Map(a ?? []);
  for (const [key, sections] of b) out.set(key, [...(out.get(key) ?? []), ...sections]);
  return out;
}

const sitePageOf = (p: ConceptPage) => ({
  page: {
    path: p.path,
    title: p.title,
    crumbs: p.crumbs,
    nav: { prev: p.prev, next: p.next },
    sections: p.sections,
    json: p.path.replace(/\.html$/, '.json'),
  },
  json: p.json,
});
