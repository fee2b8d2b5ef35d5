/**
 * Artifacts → the site model: the model page, a page per layer (sortable unit tiles, specificity
 * fractions, activation statistics, the embedding of a dense layer) and a page per unit (two
 * methods' feature visualizations, 4 diverse images, top-k crops with their deconvnet projections,
 * the most negative examples, the class profile, the strongest units below and above, links), each
 * with the JSON of its numbers. Pure: data in, pages and JSON out.
 */
import {
  connectionMatrix,
  isWeighted,
  strongestInputs,
  strongestOutputs,
  weightedBelow,
} from '../analysis/connections.js';
import { weightCount } from '../model/weight_facts.js';
import type { VisModel } from '../model/types.js';
import { fileStem } from '../render/names.js';
import { groupKey, type SharedArtifacts } from './compute.js';
import type { UnitExamples } from './examples.js';
import { CENTRE_METHOD, challengersOf, type ReportPlan, type UnitGroup } from './plan.js';
import type { WeightsData } from './weights.js';
import type { Figure, Link, Page, Section, Tile } from './site.js';
import type { Stored } from './store.js';
import { transformerPages, type TransformerAtlas } from './transformer.js';
import type { VisData, VisKind } from './vis.js';

export interface SiteInput {
  readonly model: VisModel;
  readonly modelPath: string;
  readonly hash: string;
  readonly plan: ReportPlan;
  readonly vis: Map<string, Partial<Record<VisKind, Stored<VisData>>>>;
  readonly shared: SharedArtifacts;
  readonly dataSpec: string | null;
  /** Extra sections per unit page ('layer/unit' → sections), e.g. the training history. */
  readonly unitExtras?: Map<string, Section[]>;
  readonly historyLink?: Link;
  readonly serveUrl?: string;
  /** Extra sections of the model page (the attribution evaluation). */
  readonly modelExtras?: readonly Section[];
  /** A vision transformer's block and class pages (transformer.ts). */
  readonly transformer?: Stored<TransformerAtlas> | null;
}

export interface SitePage {
  readonly page: Page;
  readonly json: unknown;
}

/** Parameters left out of the numbers beside a figure (they are in the JSON): the method is the caption, the seed a long integer. */
/** Where an input fact came from, as the model page says it: 'from metadata', 'assumed'. */
const fromWhere = (p: string) => (p === 'assumed' ? 'assumed' : `from ${p}`);
const SILENT = new Set(['method', 'seed', 'diversityWeight', 'diversityScale', 'perUnit']);
const fmt = (v: number | null | undefined) =>
  v == null || !Number.isFinite(v)
    ? '–'
    : Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0)
      ? v.toExponential(2)
      : +v.toPrecision(3);
export const layerPath = (layer: string) => `layers/${fileStem(layer)}.html`;
export const unitPath = (layer: string, unit: number) => `units/${fileStem(layer)}/${unit}.html`;

/** A figure's caption from its non-empty parts, or none. */
const captionOf = (parts: readonly string[]) => {
  const text = parts.filter(Boolean).join('; ');
  return text ? { caption: text } : {};
};

export function groupOf(plan: ReportPlan, layer: string, unit: number): UnitGroup | undefined {
  return plan.groups.find((g) => g.layer === layer && g.units.includes(unit));
}

/** A unit's quality scores under one method, when the report scored that method's images. */
function qualityOf(s: SiteInput, layer: string, unit: number, kind: VisKind) {
  const g = groupOf(s.plan, layer, unit);
  return (g && s.vis.get(groupKey(g))?.[kind]?.data.quality?.find((q) => q.unit === unit)) ?? null;
}

/**
 * The image a tile shows: the layer's first method, or a challenger (MaCo) where the network
 * processes its image more like the unit's natural top examples (lower plausibility distance;
 * issue 17, item 5).
 */
export function headlineKind(s: SiteInput, layer: string, unit: number): VisKind {
  // A first layer's channel mean is near flat (plan.ts isFirstLayer): its centre neuron heads it.
  const g = groupOf(s.plan, layer, unit);
  if (s.plan.centre.includes(layer) && g && s.vis.get(groupKey(g))?.center) return 'center';
  let best = s.plan.methodsOf[layer][0];
  let score = qualityOf(s, layer, unit, best)?.plausibility;
  for (const kind of challengersOf(s.plan, layer)) {
    const p = qualityOf(s, layer, unit, kind)?.plausibility;
    if (score != null && p != null && p < score) [best, score] = [kind, p];
  }
  return best;
}

function visOf(
  s: SiteInput,
  layer: string,
  unit: number,
  kind?: VisKind,
): { stored: Stored<VisData>; entry: VisData['images'][number] } | null {
  const g = groupOf(s.plan, layer, unit);
  if (!g) return null;
  const k = kind ?? headlineKind(s, layer, unit);
  const stored = s.vis.get(groupKey(g))?.[k];
  const entry = stored?.data.images.find((e) => e.unit === unit && e.copy === 0);
  return stored && entry ? { stored, entry } : null;
}

function examplesOf(
  s: SiteInput,
  layer: string,
  unit: number,
): { stored: Stored<UnitExamples[]>; ex: UnitExamples } | null {
  const g = groupOf(s.plan, layer, unit);
  const stored = g && s.shared.examples.get(groupKey(g));
  const ex = stored?.data.find((e) => e.unit === unit);
  return stored && ex ? { stored, ex } : null;
}

function unitFigure(
  s: SiteInput,
  layer: string,
  unit: number,
  numbers: Record<string, string | number> = {},
): Figure | null {
  const v = visOf(s, layer, unit);
  if (!v) return null;
  return {
    src: v.stored.images[v.entry.name],
    alt: `${layer} unit ${unit}, ${v.stored.data.method}`,
    caption: `${layer} ${unit}`,
    numbers,
    href: unitPath(layer, unit),
  };
}

export function buildSite(s: SiteInput): SitePage[] {
  const pages: SitePage[] = [];
  const { plan, model } = s;
  const layers = plan.layers;
  const home: Link = { text: 'model', href: 'index.html' };
  layers.forEach((l, li) => {
    const prevLayer = layers[li - 1];
    const nextLayer = layers[li + 1];
    const spec = s.shared.specificity.get(l.name)?.data;
    const top = s.shared.scan?.layers.find((x) => x.layer === l.name);
    const tiles: Tile[] = [];
    const conn =
      isWeighted(model, l) && weightedBelow(model, l)
        ? safe(() => connectionMatrix(model, l.name))
        : null;
    const above = layers
      .slice(li + 1)
      .find((x) => isWeighted(model, x) && weightedBelow(model, x)?.name === l.name);
    const connAbove = above ? safe(() => connectionMatrix(model, above.name)) : null;
    for (let u = 0; u < l.units; u++) {
      const activation = top?.values[u][0] ?? NaN;
      const us = spec?.units[u];
      const ratio = us && us.overallMean > 0 ? Math.max(...us.classMeans) / us.overallMean - 1 : 0;
      const dead = top ? !(activation > 0) : false;
      const v = visOf(s, l.name, u);
      if (v)
        tiles.push({
          src: v.stored.images[v.entry.name],
          alt: `${l.name} unit ${u} (${v.stored.data.method})`,
          caption: `${u}${dead ? ' dead' : ''}${v.stored.data.method !== plan.methodsOf[l.name][0] && v.stored.data.method !== 'center' ? ` · ${v.stored.data.method}` : ''}`,
          href: unitPath(l.name, u),
          unit: u,
          activation: Number.isFinite(activation) ? activation : 0,
          specificity: +ratio.toFixed(4),
          modality: us?.modality ?? 'unknown',
          dead,
          numbers: { max: fmt(activation), ...(us ? { spec: `${us.modality}` } : {}) },
        });
      pages.push(
        unitPage(s, l.name, u, {
          prevLayer,
          nextLayer,
          conn,
          connAbove,
          aboveName: above?.name ?? null,
          home,
        }),
      );
    }
    const challengers = challengersOf(plan, l.name);
    const centre = tiles.length ? visOf(s, l.name, tiles[0].unit)?.stored.data : undefined;
    const headline =
      centre?.method === 'center' && centre.crop
        ? `each unit's centre neuron: ${CENTRE_METHOD}'s ascent on neuron ${centre.neuron!.join(',')}, cropped to its ${centre.crop.y1 - centre.crop.y0}×${centre.crop.x1 - centre.crop.x0} receptive field; a first layer's channel mean is a near-flat image`
        : challengers.length
          ? `${plan.methodsOf[l.name][0]}, or ${challengers.join(' or ')} where the network finds its image more natural`
          : plan.methodsOf[l.name][0];
    const sections: Section[] = [{ kind: 'tiles', title: `${l.units} units (${headline})`, tiles }];
    const weights = s.shared.weights.get(l.name);
    if (weights) sections.push(weightsSection(weights, l.name));
    const facts: Array<readonly [string, string | number]> = [
      ['op', l.kind],
      ['output shape', l.outputShape.join(' × ')],
      ['units', l.units],
      ['activation', l.activation ?? 'linear'],
    ];
    if (top) {
      const maxes = top.values.map((v) => v[0] ?? 0);
      facts.push(
        ['dead units (never positive on the data)', maxes.filter((v) => !(v > 0)).length],
        [
          'max activation (median over units)',
          fmt([...maxes].sort((a, b) => a - b)[Math.floor(maxes.length / 2)]),
        ],
      );
    }
    if (spec) {
      const means = spec.units.map((u) => u.overallMean);
      facts.push([
        'mean activation (mean over units)',
        fmt(means.reduce((a, b) => a + b, 0) / means.length),
      ]);
      for (const [m, f] of Object.entries(spec.fractions))
        facts.push([`${m} units (40% rule)`, `${(100 * f).toFixed(1)}%`]);
    }
    sections.unshift({ kind: 'facts', title: 'Layer statistics', items: facts });
    const emb = s.shared.embedding.get(l.name);
    if (emb)
      sections.push({
        kind: 'figures',
        title: 'Embedding of the data set',
        size: 'full',
        json: emb.images.tsne.replace(/-tsne\.(png|svg)$/, '.json'),
        figures: [
          {
            src: emb.images.tsne,
            alt: `t-SNE of ${emb.data.count} images at ${l.name}, thumbnails coloured by label`,
            numbers: {
              method: emb.data.method,
              images: emb.data.count,
              dims: emb.data.dims,
              '5-NN agreement':
                emb.data.knnAccuracy == null ? '–' : `${(100 * emb.data.knnAccuracy).toFixed(1)}%`,
            },
          },
        ],
      });
    const json = {
      layer: l.name,
      kind: l.kind,
      outputShape: l.outputShape,
      units: l.units,
      methods: plan.methodsOf[l.name],
      specificity: spec ? { threshold: spec.threshold, fractions: spec.fractions } : null,
      tiles: tiles.map(({ unit, activation, specificity, modality, dead }) => ({
        unit,
        activation,
        specificity,
        modality,
        dead,
      })),
    };
    const path = layerPath(l.name);
    pages.push({
      page: {
        path,
        title: `Layer ${l.name}`,
        crumbs: [home],
        nav: {
          next: { text: 'unit 0', href: unitPath(l.name, 0) },
          prevLayer: prevLayer && {
            text: `layer ${prevLayer.name}`,
            href: layerPath(prevLayer.name),
          },
          nextLayer: nextLayer && {
            text: `layer ${nextLayer.name}`,
            href: layerPath(nextLayer.name),
          },
        },
        sections,
        json: path.replace(/\.html$/, '.json'),
      },
      json,
    });
  });
  const tx = s.transformer
    ? transformerPages(s.transformer, (layer) =>
        layers.some((l) => l.name === layer) ? layerPath(layer) : null,
      )
    : null;
  for (const p of tx?.pages ?? []) {
    pages.push({
      page: {
        path: p.path,
        title: p.title,
        crumbs: [home],
        nav: { prev: p.prev, next: p.next },
        sections: p.sections,
        json: p.path.replace(/\.html$/, '.json'),
      },
      json: p.json,
    });
  }
  pages.push(modelPage(s, tx?.model ?? []));
  return pages;
}

/** The caption of a centre-neuron image; null for the other kinds. */
function centreCaption(d: VisData): string | null {
  if (d.method !== 'center' || !d.crop || !d.neuron) return null;
  return `centre neuron ${d.neuron.join(',')} (${CENTRE_METHOD} on ${d.optimized}), its ${d.crop.y1 - d.crop.y0}×${d.crop.x1 - d.crop.x0} receptive field — shown on the layer page`;
}

/** A first layer's filters (all, or one unit's), each scaled on its own. */
function weightsSection(w: Stored<WeightsData>, layer: string, unit?: number): Section {
  const [kh, kw, c] = w.data.shape;
  const units = unit == null ? w.data.names.map((_, u) => u) : [unit];
  return {
    kind: 'figures',
    id: 'weights',
    title:
      unit == null
        ? `Weights: the ${units.length} filters (${kh}×${kw}×${c}), each scaled on its own, zero weight grey`
        : `Weights: the filter (${kh}×${kw}×${c}), zero weight grey`,
    figures: units.map((u) => ({
      src: w.images[w.data.names[u]],
      alt: `${layer} unit ${u}: its ${kh}×${kw} filter`,
      ...(unit == null ? { caption: `${u}`, href: unitPath(layer, u) } : {}),
      numbers: { norm: fmt(w.data.norms[u]) },
    })),
  };
}

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

interface UnitContext {
  prevLayer?: { name: string; units: number };
  nextLayer?: { name: string; units: number };
  conn: ReturnType<typeof connectionMatrix> | null;
  connAbove: ReturnType<typeof connectionMatrix> | null;
  aboveName: string | null;
  home: Link;
}

function unitPage(s: SiteInput, layer: string, unit: number, c: UnitContext): SitePage {
  const info = s.model.layer(layer);
  const path = unitPath(layer, unit);
  const sections: Section[] = [];
  const json: Record<string, unknown> = { layer, unit, model: s.hash, dataset: s.dataSpec };
  const methods: Figure[] = [];
  const methodJson: unknown[] = [];
  const centre = s.plan.centre.includes(layer);
  for (const kind of [...(centre ? ['center'] : []), ...s.plan.methodsOf[layer]]) {
    const v = visOf(s, layer, unit, kind);
    if (!v) continue;
    const p = v.stored.data.params;
    const shown = Object.entries(p).filter(
      ([k, x]) => (typeof x === 'number' || typeof x === 'string') && !SILENT.has(k),
    );
    const q = qualityOf(s, layer, unit, kind);
    const scores: Record<string, string | number> = q
      ? {
          'relative activation': fmt(q.relativeActivation),
          plausibility: fmt(q.plausibility),
          'path check': fmt(q.pathScore),
        }
      : {};
    methods.push({
      src: v.stored.images[v.entry.name],
      alt: `${layer} unit ${unit}: ${kind} feature visualization`,
      caption:
        centreCaption(v.stored.data) ??
        `${kind} (${v.stored.data.optimized})${q && headlineKind(s, layer, unit) === kind ? ' — shown on the layer page' : ''}`,
      numbers: {
        activation: fmt(v.entry.activation),
        'steps taken': v.entry.steps,
        ...scores,
        ...Object.fromEntries(shown.map(([k, x]) => [k, typeof x === 'number' ? fmt(x) : x])),
      },
    });
    methodJson.push({
      method: kind,
      image: v.stored.images[v.entry.name],
      activation: v.entry.activation,
      steps: v.entry.steps,
      objective: v.stored.data.objective,
      optimized: v.stored.data.optimized,
      params: p,
      ...(v.stored.data.crop ? { neuron: v.stored.data.neuron, crop: v.stored.data.crop } : {}),
    });
  }
  sections.push({
    kind: 'figures',
    id: 'methods',
    title: 'Feature visualizations',
    figures: methods,
    size: 'wide',
  });
  json.methods = methodJson;
  const weights = s.shared.weights.get(layer);
  if (weights) {
    sections.push(weightsSection(weights, layer, unit));
    json.weights = {
      image: weights.images[weights.data.names[unit]],
      shape: weights.data.shape,
      norm: weights.data.norms[unit],
    };
  }
  const g = groupOf(s.plan, layer, unit);
  const diverse = g && s.vis.get(groupKey(g))?.diverse;
  if (diverse) {
    const mine = diverse.data.images.filter((e) => e.unit === unit);
    // An image at or below zero does not show the unit (vis.ts retried it at lower diversity weights and more steps).
    const lost = mine.filter((e) => !(e.activation > 0)).length;
    sections.push({
      kind: 'figures',
      id: 'diverse',
      title: `${mine.length} diverse images (Lucid with a diversity term)${lost ? `: ${lost} did not reach a positive activation, even at lower diversity weights and more steps, and do not show the unit` : ''}`,
      figures: mine.map((e) => ({
        src: diverse.images[e.name],
        alt: `${layer} unit ${unit}: diverse image ${e.copy + 1}${e.activation > 0 ? '' : ' (does not show the unit)'}`,
        // The label as the examples' ('act'), and a retry's weight in the caption: a tile is narrow.
        ...captionOf([
          e.activation > 0 ? '' : 'not the unit: activation ≤ 0',
          e.diversity != null && e.diversity !== 1 ? `diversity weight ${e.diversity}` : '',
        ]),
        numbers: { act: fmt(e.activation), steps: e.steps },
      })),
    });
    json.diverse = {
      params: diverse.data.params,
      images: mine.map((e) => ({
        image: diverse.images[e.name],
        activation: e.activation,
        steps: e.steps,
        diversity: e.diversity ?? null,
        showsUnit: e.activation > 0,
      })),
    };
  }
  const ex = examplesOf(s, layer, unit);
  if (ex) {
    const { stored, ex: e } = ex;
    const names = (i: number | null) =>
      i == null ? '' : (s.shared.specificity.get(layer)?.data.classNames[i] ?? String(i));
    const tops = e.top.indices.map((idx, r): Figure => ({
      src: stored.images[`u${unit}-top${r}`],
      alt: `example ${r + 1}: data-set image ${idx}, activation ${fmt(e.top.values[r])}`,
      numbers: {
        act: fmt(e.top.values[r]),
        image: `#${idx}`,
        label: names(e.top.labels[r]),
        ...(e.top.positions ? { at: e.top.positions[r].join(',') } : {}),
      },
    }));
    sections.push({
      kind: 'figures',
      id: 'top',
      title: `Top ${tops.length} data-set examples (receptive-field crops)`,
      figures: tops,
    });
    sections.push({
      kind: 'figures',
      id: 'deconv',
      title: 'Deconvnet projections of the top examples (Zeiler & Fergus)',
      figures: e.top.indices.map((idx, r) => ({
        src: stored.images[`u${unit}-deconv${r}`],
        alt: `deconvnet projection of example ${r + 1} (image ${idx})`,
        numbers: { act: fmt(e.top.values[r]) },
      })),
    });
    if (e.bottom) {
      sections.push({
        kind: 'figures',
        id: 'negative',
        title: `The ${e.bottom.indices.length} most negative examples${e.bottomLayer !== layer ? ' (pre-activation)' : ''}`,
        figures: e.bottom.indices.map((idx, r) => ({
          src: stored.images[`u${unit}-neg${r}`],
          alt: `most negative example ${r + 1}: image ${idx}, value ${fmt(e.bottom!.values[r])}`,
          numbers: {
            value: fmt(e.bottom!.values[r]),
            image: `#${idx}`,
            label: names(e.bottom!.labels[r]),
          },
        })),
      });
    }
    json.examples = {
      ...e,
      crops: e.top.indices.map((_, r) => stored.images[`u${unit}-top${r}`]),
      deconv: e.top.indices.map((_, r) => stored.images[`u${unit}-deconv${r}`]),
    };
  }
  const spec = s.shared.specificity.get(layer);
  const us = spec?.data.units[unit];
  if (spec && us) {
    sections.push({
      kind: 'figures',
      id: 'specificity',
      title: 'Class-specificity profile',
      size: 'full',
      figures: [
        {
          src: spec.images[`u${unit}`],
          alt: `mean activation of ${layer} unit ${unit} per class`,
          numbers: {
            modality: us.modality,
            'specific to': us.specificTo.map((i) => spec.data.classNames[i]).join(', ') || 'none',
            'overall mean': fmt(us.overallMean),
          },
        },
      ],
    });
    json.specificity = us;
  }
  const feeds: Figure[] = [];
  const feedJson: unknown[] = [];
  const feed = (l: string, u: number, weight: number, dir: string) => {
    const f = unitFigure(s, l, u, { weight: fmt(weight), [dir]: `${l} ${u}` });
    feedJson.push({ direction: dir, layer: l, unit: u, weight });
    if (f)
      feeds.push({
        ...f,
        alt: `${dir} unit: ${l} ${u}, weight ${fmt(weight)}`,
        caption: `${dir} ${l} ${u}`,
      });
  };
  if (c.conn)
    for (const x of strongestInputs(c.conn, unit, 4))
      feed(c.conn.below.name, x.unit, x.weight, 'below');
  if (c.connAbove && c.aboveName)
    for (const x of strongestOutputs(c.connAbove, unit, 4))
      feed(c.aboveName, x.unit, x.weight, 'above');
  if (feedJson.length) {
    sections.push({
      kind: 'figures',
      id: 'feeds',
      title: 'Strongest connections: what feeds this unit, and what it feeds',
      note: 'Summed kernel weights between channels (positive excites, negative inhibits); units whose layer is not in this report have no picture.',
      figures: feeds,
    });
    json.connections = feedJson;
  }
  for (const extra of s.unitExtras?.get(`${layer}/${unit}`) ?? []) sections.push(extra);
  const links: Array<readonly [string, Link | string]> = [
    ['layer', { text: layer, href: layerPath(layer) }],
  ];
  if (s.serveUrl)
    links.push(
      [
        'live',
        {
          text: 'open this unit in deepvis serve',
          href: `${s.serveUrl}#model=${encodeURIComponent(servedName(s.modelPath))}&layer=${encodeURIComponent(layer)}&unit=${unit}`,
        },
      ],
      ['serve command', `deepvis serve --model ${s.modelPath}`],
    );
  sections.push({ kind: 'facts', title: 'Links', items: links });
  const near = (l: { name: string; units: number } | undefined, text: string): Link | undefined =>
    l && { text: `${text} ${l.name}`, href: unitPath(l.name, Math.min(unit, l.units - 1)) };
  return {
    page: {
      path,
      title: `${layer} unit ${unit}`,
      crumbs: [c.home, { text: layer, href: layerPath(layer) }],
      nav: {
        prev: unit > 0 ? { text: `unit ${unit - 1}`, href: unitPath(layer, unit - 1) } : undefined,
        next:
          unit < info.units - 1
            ? { text: `unit ${unit + 1}`, href: unitPath(layer, unit + 1) }
            : undefined,
        prevLayer: near(c.prevLayer, 'layer'),
        nextLayer: near(c.nextLayer, 'layer'),
      },
      sections,
      json: path.replace(/\.html$/, '.json'),
    },
    json,
  };
}

function modelPage(s: SiteInput, transformer: readonly Section[]): SitePage {
  const m = s.model;
  const inp = m.input;
  const reported = new Set(s.plan.layers.map((l) => l.name));
  const params = (name: string) => weightCount(m, name);
  const facts: Array<readonly [string, string | number | Link]> = [
    ['model', s.modelPath],
    ['format', m.format],
    ['content hash', s.hash],
    ['input shape', `${inp.shape.join(' × ')} (${fromWhere(inp.provenance.shape)})`],
    ['value range', `${inp.range.join(' … ')} (${fromWhere(inp.provenance.range)})`],
    ['channel order', `${inp.channelOrder} (${fromWhere(inp.provenance.channelOrder)})`],
    [
      'normalization',
      `${inp.normalize ? `mean ${inp.normalize.mean.join(',')}, std ${inp.normalize.std.join(',')}` : 'none'} (${fromWhere(inp.provenance.normalize)})`,
    ],
    [
      'class names',
      m.labels
        ? `${m.labels.join(', ')}${typeof m.metadata.labelsFrom === 'string' ? ` (${m.metadata.labelsFrom})` : ''}`
        : 'not known (give --labels FILE, or labels in a deepvis.json next to the model)',
    ],
    ...(m.transformer?.tokens
      ? [
          [
            'tokens',
            `${m.transformer.tokens.prefix} prefix + a ${m.transformer.tokens.grid.join('×')} patch grid (from ${m.transformer.tokens.source}); ${m.transformer.blocks.length} blocks`,
          ] as const,
        ]
      : []),
    ['data set', s.dataSpec ?? 'none (no data-set views)'],
  ];
  const acc = s.shared.accuracy?.data;
  if (acc)
    facts.push([
      'accuracy on the data set',
      `${(100 * acc.accuracy).toFixed(2)}% of ${acc.count} images`,
    ]);
  if (s.historyLink) facts.push(['training history', s.historyLink]);
  const rows = m.layers.map(
    (l) =>
      [
        reported.has(l.name) ? { text: l.name, href: layerPath(l.name) } : l.name,
        l.kind,
        l.outputShape.join(' × '),
        l.activation ?? '',
        params(l.name),
      ] as Array<string | number | Link>,
  );
  const json = {
    model: s.modelPath,
    hash: s.hash,
    format: m.format,
    input: inp,
    labels: m.labels,
    dataset: s.dataSpec,
    accuracy: acc ?? null,
    plan: {
      layers: s.plan.layers.map((l) => l.name),
      methodsOf: s.plan.methodsOf,
      methods: s.plan.methods,
      k: s.plan.k,
      seed: s.plan.seed,
    },
    layers: m.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      outputShape: l.outputShape,
      activation: l.activation ?? null,
      parameters: params(l.name),
    })),
  };
  const first = s.plan.layers[0];
  return {
    page: {
      path: 'index.html',
      title: `deepvis atlas: ${s.modelPath}`,
      crumbs: [],
      nav: { nextLayer: { text: `layer ${first.name}`, href: layerPath(first.name) } },
      sections: [
        { kind: 'facts', title: 'Model', items: facts },
        {
          kind: 'table',
          title: 'Layers',
          head: ['layer', 'op', 'output shape', 'activation', 'parameters'],
          rows,
        },
        ...transformer,
        ...(s.modelExtras ?? []),
      ],
      json: 'index.json',
    },
    json,
  };
}

/** The name `deepvis serve` gives a model: its folder's (the file's folder for a model file). */
function servedName(modelPath: string): string {
  const parts = modelPath.replace(/[\\/]+$/, '').split(/[\\/]/);
  const last = parts[parts.length - 1] ?? modelPath;
  return /\.(json|onnx|h5|hdf5|keras)$/i.test(last) ? (parts[parts.length - 2] ?? last) : last;
}
