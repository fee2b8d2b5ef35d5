/**
 * The atlas's concept pages (`deepvis report --concepts`), as serre-lab's LENS lays them out
 * (Fel et al. 2023): CRAFT (concepts/craft.ts) on each class at one layer, then
 *
 * - a page per class: its concepts ranked by importance (the total Sobol index), each with its
 *   feature visualization (concept_vis.ts: the cosine to its direction), its best crops, its part
 *   of the class logit in percent (gradient × coefficient, exact where pooling and a dense layer
 *   follow the layer, so the rest is the head's bias and what the concepts do not reconstruct) and
 *   its alignment with the class (cosine with the class's direction at the layer: the class's
 *   weight vector there when pooling and a dense layer follow), and a concept-proximity plot
 *   (classical MDS of the concepts' cosine distances, concepts/proximity.ts);
 * - a page per concept: the same numbers, its attribution maps on class images, the units of the
 *   layer it uses most (linked to their unit pages) and the nearest concepts of the other classes;
 * - on each unit page of the layer, the concepts that use the unit most;
 * - an overview: every class's concepts in one proximity plot, coloured by class.
 *
 * Every class's run is one artifact of the store (its key: model, data set, layer, class and the
 * resolved parameters), so a second report reuses it. Pages are built from the stored data alone.
 */
import { craft, CRAFT_DEFAULTS } from '../concepts/craft.js';
import type { ConceptExample } from '../concepts/concept.js';
import { nearestByCosine, proximityMap } from '../concepts/proximity.js';
import { defaultConceptLayer } from '../concepts/split.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import type { OptionValues } from '../options.js';
import { grid } from '../render/grid.js';
import { heatOverlay } from '../render/heat.js';
import { upscale, type RgbaImage } from '../render/image.js';
import { barChart, thumbnailScatter } from '../render/plots.js';
import type { ReportData } from './compute.js';
import { conceptHeat, directionImages, Examples } from './concept_vis.js';
import type { Figure, Link, Section } from './site.js';
import type { ArtifactStore, Stored } from './store.js';

export const CONCEPT_ATLAS_DEFAULTS = {
  k: 10,
  importanceImages: 16,
  maps: 4,
  maxClasses: 10,
  unitConcepts: 5,
  conceptUnits: 8,
  nearest: 5,
  /** Crops beside each concept on its class page (all of them are on its own page). */
  rowCrops: 5,
} as const;

export interface ConceptAtlasArgs {
  /** The layer (default: CRAFT's, the last spatial layer before the class scores). */
  readonly layer?: string;
  /** Classes with a page (default: every class of the head, the first 10). */
  readonly classes?: readonly number[];
  /** Concepts per class; default 10. */
  readonly k?: number;
  /** Class images the Sobol importance is averaged over; default 16. */
  readonly importanceImages?: number;
  /** Sobol designs; default CRAFT's 32. */
  readonly designs?: number;
  /** Class images whose concept attribution maps are shown; default 4. */
  readonly maps?: number;
  /** The feature visualization of the directions (a registry method and its settings); null: none. */
  readonly vis?: {
    readonly method: string;
    readonly steps: number;
    readonly options?: OptionValues;
  } | null;
  readonly seed?: number;
}

export interface AtlasConcept {
  readonly id: number;
  readonly direction: number[];
  readonly importance: number;
  readonly logitPercent: number;
  readonly logitShare: number;
  readonly alignment: number;
  readonly top: ConceptExample[];
  /** The cosine its feature visualization reached (mean over positions), when there is one. */
  readonly visCosine: number | null;
}

export interface ClassConcepts {
  readonly cls: number;
  readonly label: string;
  readonly layer: string;
  readonly images: number;
  /** Data-set indices of the images whose attribution maps are shown. */
  readonly mapImages: number[];
  readonly params: Record<string, unknown>;
  readonly metrics: Record<string, number | string | null>;
  readonly concepts: AtlasConcept[];
  readonly vis: { method: string; optimized: string; objective: string; steps: unknown } | null;
  readonly seconds: number;
}

export interface ConceptAtlas {
  readonly layer: string;
  readonly classes: readonly Stored<ClassConcepts>[];
  /** Classes left out, with why (too few images). */
  readonly skipped: ReadonlyArray<{
    readonly cls: number;
    readonly label: string;
    readonly why: string;
  }>;
  readonly overview: Stored<{ count: number }> | null;
}

const labelOf = (model: VisModel, data: ReportData, cls: number) =>
  model.labels?.[cls] ?? data.set.classNames?.[cls] ?? `class ${cls}`;

/** Concept order on a page: by importance, then id. */
const ranked = (c: ClassConcepts): AtlasConcept[] =>
  [...c.concepts].sort((a, b) => b.importance - a.importance || a.id - b.id);

/** The classes a report explains: those asked for, else the head's first ten. */
function classesOf(model: VisModel, args: ConceptAtlasArgs): number[] {
  const head = model.layer(model.logitsLayer ?? model.layers[model.layers.length - 1].name);
  if (args.classes?.length) {
    for (const c of args.classes)
      if (!(Number.isInteger(c) && c >= 0 && c < head.units))
        throw new DeepvisError(
          `--concept-classes: ${c} is not a class of '${head.name}' (0–${head.units - 1})`,
        );
    return [...args.classes];
  }
  return Array.from(
    { length: Math.min(head.units, CONCEPT_ATLAS_DEFAULTS.maxClasses) },
    (_, i) => i,
  );
}

/** One class's CRAFT run with its pictures: crops, feature visualizations, maps, charts. */
function computeClass(
  model: VisModel,
  data: ReportData,
  layer: string,
  cls: number,
  args: ConceptAtlasArgs,
): { data: ClassConcepts; images: Record<string, RgbaImage> } {
  const r = craft(model, data.set, {
    layer,
    classIndex: cls,
    k: args.k,
    importanceImages: args.importanceImages ?? CONCEPT_ATLAS_DEFAULTS.importanceImages,
    designs: args.designs,
    maps: args.maps ?? CONCEPT_ATLAS_DEFAULTS.maps,
    seed: args.seed,
  });
  const label = labelOf(model, data, cls);
  const ex = new Examples(model, data.set);
  const images: Record<string, RgbaImage> = {};
  const vis = args.vis
    ? directionImages(
        model,
        r.layer,
        r.concepts.map((c) => c.direction),
        { ...args.vis, seed: args.seed },
      )
    : null;
  const [h, w] = model.input.shape;
  const k = r.concepts.length;
  for (const c of r.concepts) {
    const tiles = c.top.map((e) => ex.tile(e, r.layer));
    tiles
      .slice(0, CONCEPT_ATLAS_DEFAULTS.rowCrops)
      .forEach((t, i) => (images[`c${c.id}-crop${i}`] = t));
    images[`c${c.id}-crops`] = grid(tiles, {
      cols: Math.min(5, tiles.length),
      labels: c.top.map((e) => `#${e.index}`),
      minTile: 56,
    });
    if (vis) images[`c${c.id}-vis`] = vis.images[c.id];
    const mapTiles: RgbaImage[] = [];
    for (const m of r.maps) {
      const base = ex.whole(m.index);
      mapTiles.push(
        base,
        heatOverlay(base, conceptHeat(m, c.id, k, [h, w], 90), { percentile: 100 }),
      );
    }
    if (mapTiles.length)
      images[`c${c.id}-maps`] = grid(mapTiles, {
        cols: Math.min(4, mapTiles.length),
        labels: r.maps.flatMap((m) => [`#${m.index}`, `c${c.id}`]),
        minTile: 84,
      });
  }
  const concepts: AtlasConcept[] = r.concepts.map((c) => ({
    id: c.id,
    direction: c.direction.map((v) => +v.toPrecision(6)),
    importance: c.importance ?? 0,
    logitPercent: c.logitPercent ?? 0,
    logitShare: c.logitShare ?? 0,
    alignment: c.alignment ?? 0,
    top: [...c.top],
    visCosine: vis ? vis.data.cosines[c.id] : null,
  }));
  const out: ClassConcepts = {
    cls,
    label,
    layer: r.layer,
    images: r.images.length,
    mapImages: r.maps.map((m) => m.index),
    params: r.params,
    metrics: r.metrics,
    concepts,
    vis: vis
      ? {
          method: vis.data.method,
          optimized: vis.data.optimized,
          objective: vis.data.objective,
          steps: vis.data.params.steps,
        }
      : null,
    seconds: r.seconds + (vis?.data.seconds ?? 0),
  };
  const order = ranked(out);
  images.importance = barChart({
    title: `${label}: concept importance (total Sobol index)`,
    groups: order.map((c) => `c${c.id}`),
    series: [{ label: 'Sobol total index', values: order.map((c) => c.importance) }],
  });
  images.logit = barChart({
    title: `${label}: each concept's part of the class logit (%)`,
    groups: order.map((c) => `c${c.id}`),
    series: [{ label: '% of the logit', values: order.map((c) => c.logitPercent) }],
  });
  // Each concept's best crop, at least 48 px wide so the plot reads.
  const thumbs = order.map((c) => {
    const t = ex.tile(c.top[0], r.layer);
    return upscale(t, Math.max(1, Math.ceil(48 / t.width)));
  });
  if (order.length >= 2 && thumbs.every((t) => t.width === thumbs[0].width))
    images.proximity = thumbnailScatter(
      proximityMap(order.map((c) => c.direction)),
      thumbs,
      order.map((c) => c.id),
      {
        title: `${label}: concept proximity (MDS of cosine distances)`,
        size: 420,
        tint: false,
        classNames: order.reduce<string[]>((names, c) => {
          names[c.id] = `c${c.id} ${c.logitPercent.toFixed(0)}%`;
          return names;
        }, []),
      },
    );
  return { data: out, images };
}

export interface ConceptAtlasContext {
  readonly model: VisModel;
  readonly hash: string;
  readonly store: ArtifactStore;
  readonly data: ReportData;
  readonly onProgress?: (p: { done: number; total: number; phase: string }) => void;
}

/** Every class's concepts (cached per class) and the overview plot. */
export async function computeConceptAtlas(
  ctx: ConceptAtlasContext,
  args: ConceptAtlasArgs = {},
): Promise<ConceptAtlas> {
  const { model, data } = ctx;
  if (!data.set.labels)
    throw new DeepvisError(
      `--concepts explains classes by their images: data set '${data.spec}' has no labels`,
    );
  const layer = (args.layer ? model.layer(args.layer) : defaultConceptLayer(model, 'CRAFT')).name;
  const classes = classesOf(model, args);
  const width = model.layer(layer).units;
  if (args.k != null && args.k > width)
    throw new DeepvisError(
      `--concept-k ${args.k} is larger than the width of layer '${layer}' (${width} channels)`,
    );
  const settings = {
    k: args.k ?? Math.min(CONCEPT_ATLAS_DEFAULTS.k, width),
    importanceImages: args.importanceImages ?? CONCEPT_ATLAS_DEFAULTS.importanceImages,
    designs: args.designs ?? CRAFT_DEFAULTS.designs,
    maps: args.maps ?? CONCEPT_ATLAS_DEFAULTS.maps,
    vis: args.vis ?? null,
    seed: args.seed ?? 0,
  };
  const stored: Stored<ClassConcepts>[] = [];
  const skipped: Array<{ cls: number; label: string; why: string }> = [];
  for (const [i, cls] of classes.entries()) {
    ctx.onProgress?.({ done: i, total: classes.length, phase: `concepts of class ${cls}` });
    const count = data.set.labels.reduce((a, l) => a + (l === cls ? 1 : 0), 0);
    if (count < CRAFT_DEFAULTS.minImages) {
      skipped.push({
        cls,
        label: labelOf(model, data, cls),
        why: `${count} images in '${data.spec}'; CRAFT needs at least ${CRAFT_DEFAULTS.minImages}`,
      });
      continue;
    }
    stored.push(
      await ctx.store.cached(
        'concepts-class',
        { model: ctx.hash, dataset: data.spec, layer, cls, ...settings, version: 1 },
        () => computeClass(model, data, layer, cls, { ...args, ...settings, layer }),
      ),
    );
  }
  ctx.onProgress?.({ done: classes.length, total: classes.length, phase: 'concepts' });
  const all = stored.flatMap((s) => ranked(s.data).map((c) => ({ s, c })));
  let overview: Stored<{ count: number }> | null = null;
  if (all.length >= 2) {
    overview = await ctx.store.cached(
      'concepts-overview',
      { classes: stored.map((s) => s.key), version: 1 },
      () => {
        const ex = new Examples(model, data.set);
        const thumbs = all.map(({ c }) => ex.tile(c.top[0], layer));
        const names: string[] = [];
        for (const s of stored) names[s.data.cls] = s.data.label;
        return {
          data: { count: all.length },
          images: {
            proximity: thumbnailScatter(
              proximityMap(all.map(({ c }) => c.direction)),
              thumbs,
              all.map(({ s }) => s.data.cls),
              {
                title: `every class's concepts at ${layer} (MDS of cosine distances)`,
                size: 640,
                tint: false,
                classNames: names,
              },
            ),
          },
        };
      },
    );
  }
  return { layer, classes: stored, skipped, overview };
}

export const conceptIndexPath = 'concepts/index.html';
export const classConceptsPath = (cls: number) => `concepts/class-${cls}.html`;
export const conceptPath = (cls: number, id: number) => `concepts/class-${cls}/concept-${id}.html`;

const fmt = (v: number | null | undefined, digits = 3) =>
  v == null || !Number.isFinite(v) ? '–' : +v.toPrecision(digits);
const pct = (v: number) => `${v.toFixed(1)}%`;

export interface ConceptPage {
  readonly path: string;
  readonly title: string;
  readonly sections: Section[];
  readonly json: unknown;
  readonly crumbs: Link[];
  readonly prev?: Link;
  readonly next?: Link;
}

/**
 * The concept pages, the sections they add to unit pages ('layer/unit' → sections) and to the
 * model page. `unitPage` gives a unit's page when the report has one (its layer is reported).
 */
export function conceptPages(
  atlas: ConceptAtlas,
  unitPage: (layer: string, unit: number) => string | null,
): { pages: ConceptPage[]; unitExtras: Map<string, Section[]>; model: Section[] } {
  const pages: ConceptPage[] = [];
  const home: Link = { text: 'model', href: 'index.html' };
  const index: Link = { text: 'concepts', href: conceptIndexPath };
  const every = atlas.classes.flatMap((s) => s.data.concepts.map((c) => ({ s, c })));
  const figureOf = (
    s: Stored<ClassConcepts>,
    c: AtlasConcept,
    name: 'vis' | 'crops',
  ): Figure | null => {
    const src = s.images[`c${c.id}-${name}`];
    return src
      ? {
          src,
          alt: `${s.data.label} concept ${c.id}: ${name === 'vis' ? `feature visualization (cosine ${fmt(c.visCosine)})` : 'best crops'}`,
          href: conceptPath(s.data.cls, c.id),
        }
      : null;
  };
  const conceptNumbers = (c: AtlasConcept): Record<string, string | number> => ({
    importance: fmt(c.importance),
    '% of class logit': pct(c.logitPercent),
    'alignment (cosine with class)': fmt(c.alignment),
    ...(c.visCosine != null ? { 'cosine reached by its image': fmt(c.visCosine) } : {}),
  });
  atlas.classes.forEach((s, si) => {
    const d = s.data;
    const order = ranked(d);
    const explained = d.concepts.reduce((a, c) => a + c.logitPercent, 0);
    const classLink: Link = { text: `class ${d.label}`, href: classConceptsPath(d.cls) };
    const facts: Array<readonly [string, string | number]> = [
      ['class', `${d.label} (unit ${d.cls})`],
      ['layer', d.layer],
      ['class images', d.images],
      ['concepts (CRAFT, NMF of patch activations)', d.concepts.length],
      ['mean class logit', fmt(Number(d.metrics.meanClassScore))],
      ['the concepts, in % of the logit', pct(explained)],
      ['the rest (head bias, unreconstructed part)', pct(100 - explained)],
      ['NMF relative error (patches)', fmt(Number(d.metrics.nmfRelativeError))],
      ['images the importance is averaged over', String(d.metrics.importanceImages)],
      ['seconds', fmt(d.seconds)],
    ];
    const charts: Figure[] = ['importance', 'logit', 'proximity']
      .filter((n) => s.images[n])
      .map((n) => ({
        src: s.images[n],
        alt:
          n === 'proximity'
            ? `concept proximity of ${d.label}: each concept's best crop placed by MDS of cosine distances`
            : `${n === 'logit' ? "each concept's part of the logit" : 'concept importance'} for ${d.label}`,
      }));
    pages.push({
      path: classConceptsPath(d.cls),
      title: `Concepts of ${d.label}`,
      crumbs: [home, index],
      sections: [
        { kind: 'facts', title: 'Class', items: facts },
        {
          kind: 'figures',
          title: 'Importance, part of the logit, proximity',
          note: 'Importance is the total Sobol index of the concept on the class logit (how much of its variance the concept accounts for, interactions included). The part of the logit is gradient × coefficient (exact where pooling and a dense layer follow the layer). Proximity: concepts near each other have similar directions.',
          size: 'large',
          figures: charts,
        },
        {
          kind: 'rows',
          title: `${order.length} concepts, most important first`,
          note: d.vis
            ? `First: the image that maximizes the cosine with the concept's direction at ${d.vis.optimized} (${d.vis.method}, ${String(d.vis.steps)} steps); then its best crops in the data (all ${CRAFT_DEFAULTS.crops} on its page).`
            : `The best crops of each concept in the data (all ${CRAFT_DEFAULTS.crops} on its page).`,
          rows: order.map((c, rank) => ({
            label: `#${rank + 1}: concept ${c.id}`,
            numbers: conceptNumbers(c),
            figures: [
              figureOf(s, c, 'vis'),
              ...c.top.slice(0, CONCEPT_ATLAS_DEFAULTS.rowCrops).map((e, i): Figure | null =>
                s.images[`c${c.id}-crop${i}`]
                  ? {
                      src: s.images[`c${c.id}-crop${i}`],
                      alt: `${d.label} concept ${c.id}: crop ${i + 1} of its best, image ${e.index}`,
                      href: conceptPath(d.cls, c.id),
                      numbers: { image: `#${e.index}`, value: fmt(e.value) },
                    }
                  : null,
              ),
            ].filter((f): f is Figure => f != null),
          })),
        },
      ],
      json: d,
      prev:
        si > 0
          ? {
              text: `class ${atlas.classes[si - 1].data.label}`,
              href: classConceptsPath(atlas.classes[si - 1].data.cls),
            }
          : undefined,
      next:
        si < atlas.classes.length - 1
          ? {
              text: `class ${atlas.classes[si + 1].data.label}`,
              href: classConceptsPath(atlas.classes[si + 1].data.cls),
            }
          : undefined,
    });
    order.forEach((c, rank) => {
      const units = c.direction
        .map((v, u) => ({ u, v }))
        .sort((a, b) => b.v - a.v || a.u - b.u)
        .slice(0, CONCEPT_ATLAS_DEFAULTS.conceptUnits);
      const others = every.filter((o) => o.s !== s);
      const near = nearestByCosine(
        c.direction,
        others.map((o) => o.c.direction),
        CONCEPT_ATLAS_DEFAULTS.nearest,
      ).map((n) => ({ ...others[n.index], cosine: n.cosine }));
      const sections: Section[] = [
        {
          kind: 'facts',
          title: 'Concept',
          items: [
            ['class', d.label],
            ['rank by importance', `${rank + 1} of ${order.length}`],
            ...Object.entries(conceptNumbers(c)),
          ],
        },
        {
          kind: 'figures',
          title: 'Feature visualization and best crops',
          size: 'large',
          figures: [figureOf(s, c, 'vis'), figureOf(s, c, 'crops')]
            .filter((f): f is Figure => f != null)
            .map((f) => ({ ...f, href: undefined })),
        },
      ];
      if (s.images[`c${c.id}-maps`])
        sections.push({
          kind: 'figures',
          title: 'Where it is in class images (coefficients above their 90th percentile)',
          size: 'large',
          figures: [
            {
              src: s.images[`c${c.id}-maps`],
              alt: `attribution maps of concept ${c.id} on ${d.mapImages.length} images of ${d.label}`,
            },
          ],
        });
      sections.push({
        kind: 'table',
        title: `Units of ${d.layer} it uses most`,
        head: ['unit', 'weight in the direction', 'share of the direction'],
        rows: units.map(({ u, v }) => {
          const href = unitPage(d.layer, u);
          return [href ? { text: `unit ${u}`, href } : `unit ${u}`, fmt(v), pct(100 * v * v)];
        }),
      });
      if (near.length)
        sections.push({
          kind: 'table',
          title: 'Nearest concepts of other classes',
          head: ['class', 'concept', 'cosine', 'its importance there'],
          rows: near.map((n) => [
            { text: n.s.data.label, href: classConceptsPath(n.s.data.cls) },
            { text: `concept ${n.c.id}`, href: conceptPath(n.s.data.cls, n.c.id) },
            fmt(n.cosine),
            fmt(n.c.importance),
          ]),
        });
      pages.push({
        path: conceptPath(d.cls, c.id),
        title: `${d.label}: concept ${c.id}`,
        crumbs: [home, index, classLink],
        sections,
        json: {
          class: d.cls,
          label: d.label,
          layer: d.layer,
          ...c,
          nearest: near.map((n) => ({ class: n.s.data.cls, concept: n.c.id, cosine: n.cosine })),
        },
        prev:
          rank > 0
            ? {
                text: `concept ${order[rank - 1].id}`,
                href: conceptPath(d.cls, order[rank - 1].id),
              }
            : undefined,
        next:
          rank < order.length - 1
            ? {
                text: `concept ${order[rank + 1].id}`,
                href: conceptPath(d.cls, order[rank + 1].id),
              }
            : undefined,
      });
    });
  });
  // Unit pages: the concepts (of every class) whose directions weigh the unit most.
  const unitExtras = new Map<string, Section[]>();
  const width = every[0]?.c.direction.length ?? 0;
  for (let u = 0; u < width && unitPage(atlas.layer, u); u++) {
    const best = every
      .filter(({ c }) => c.direction[u] > 0)
      .sort((a, b) => b.c.direction[u] - a.c.direction[u])
      .slice(0, CONCEPT_ATLAS_DEFAULTS.unitConcepts);
    if (!best.length) continue;
    unitExtras.set(`${atlas.layer}/${u}`, [
      {
        kind: 'figures',
        id: 'concepts',
        title: 'Concepts that use this unit most',
        note: "CRAFT's concepts of each class at this layer, by this unit's weight in the concept's direction (unit length).",
        figures: best.map(({ s, c }) => ({
          ...(figureOf(s, c, 'vis') ?? figureOf(s, c, 'crops')!),
          caption: `${s.data.label}: concept ${c.id}`,
          // Two digits: the numbers sit under a 96-px picture.
          numbers: {
            weight: fmt(c.direction[u], 2),
            importance: fmt(c.importance, 2),
            '% of logit': `${c.logitPercent.toFixed(0)}%`,
          },
        })),
      },
    ]);
  }
  const table: Section = {
    kind: 'table',
    title: `Concepts of each class (CRAFT at ${atlas.layer})`,
    head: [
      'class',
      'images',
      'concepts',
      'most important',
      'its importance',
      'concepts, % of logit',
    ],
    rows: atlas.classes.map((s) => {
      const top = ranked(s.data)[0];
      return [
        { text: s.data.label, href: classConceptsPath(s.data.cls) },
        s.data.images,
        s.data.concepts.length,
        top ? { text: `concept ${top.id}`, href: conceptPath(s.data.cls, top.id) } : '–',
        fmt(top?.importance),
        pct(s.data.concepts.reduce((a, c) => a + c.logitPercent, 0)),
      ];
    }),
  };
  const skipped: Section[] = atlas.skipped.length
    ? [
        {
          kind: 'facts',
          title: 'Classes without concepts',
          items: atlas.skipped.map((k) => [k.label, k.why] as const),
        },
      ]
    : [];
  pages.push({
    path: conceptIndexPath,
    title: `Concepts at ${atlas.layer}`,
    crumbs: [home],
    sections: [
      table,
      ...(atlas.overview?.images.proximity
        ? [
            {
              kind: 'figures' as const,
              title: 'Concept proximity across classes',
              note: "Each concept's best crop, placed by MDS of the cosine distances between all concepts' directions, framed in its class's colour.",
              size: 'full' as const,
              figures: [
                {
                  src: atlas.overview.images.proximity,
                  alt: `every class's concepts at ${atlas.layer}, placed by their directions' similarity`,
                },
              ],
            },
          ]
        : []),
      ...skipped,
    ],
    json: {
      layer: atlas.layer,
      classes: atlas.classes.map((s) => ({
        cls: s.data.cls,
        label: s.data.label,
        concepts: s.data.concepts.length,
      })),
      skipped: atlas.skipped,
    },
  });
  const model: Section[] = [
    table,
    {
      kind: 'facts',
      title: 'Concept atlas',
      items: [['all classes', { text: `concepts at ${atlas.layer}`, href: conceptIndexPath }]],
    },
  ];
  return { pages, unitExtras, model };
}
