/**
 * The atlas of a vision transformer: a page per block and a page per class, beside the layer and
 * unit pages (whose default layers on a transformer are the blocks' MLP units, Ghiasi et al. 2022).
 *
 * - A block page shows every head's attention from the class token to the patches on sample images
 *   of the data set, with two numbers per head: the mean attention distance (the image distance
 *   spanned by attention, weighted by it, over the patch queries: Dosovitskiy et al. 2021, fig. 7)
 *   and the class token's attention entropy (a share of log T: 1 is uniform, near 0 one token).
 * - A class page shows, on the class's correctly classified images, the registry's transformer-native
 *   maps (rows flagged `transformer`: the last block's attention, attention rollout, Abnar &
 *   Zuidema 2020, and gradient-weighted attention, Chefer et al. 2021) for that class, with each
 *   map's concentration (the share of its mass in its top 10% pixels) and the model's probability,
 *   so the reader sees how far the maps agree before trusting one.
 */
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../attribution/attribute.js';
import type { AnyAttribution } from '../attribution/method.js';
import { ATTRIBUTIONS } from '../attribution/registry.js';
import { attentionBlocks, blockAttentions, headMap } from '../attribution/transformer_maps.js';
import { imagesTensor, type ImageSet } from '../data/dataset.js';
import { itemOf } from '../engine/read.js';
import {
  classTokenEntropy,
  concentration,
  meanAttentionDistance,
} from '../analysis/attention_stats.js';
import type { VisModel } from '../model/types.js';
import { grid } from '../render/grid.js';
import { heatOverlay } from '../render/heat.js';
import { toImage, type RgbaImage } from '../render/image.js';
import type { Figure, Link, Section } from './site.js';
import type { Stored } from './store.js';

export interface BlockAtlas {
  readonly name: string;
  readonly attention: string;
  readonly heads: number;
  /** The block's MLP unit layer (its unit pages, when reported). */
  readonly mlp: string | null;
  /** Per head: mean attention distance in input pixels over the patch queries of the samples. */
  readonly distance: number[];
  /** Per head: entropy of the class token's attention over all tokens, as a share of log T. */
  readonly entropy: number[];
}

export interface ClassAtlas {
  readonly cls: number;
  readonly label: string;
  /** Data-set indices of the images shown (correctly classified). */
  readonly images: number[];
  readonly probability: number[];
  /** Per map: the mean over the images of the share of the map's mass in its top 10% pixels. */
  readonly concentration: Record<string, number>;
}

/** The class pages' maps: the registry's transformer-native rows (attention, rollout, Chefer, …). */
const mapsOf = (): AnyAttribution[] => ATTRIBUTIONS.filter((m) => m.transformer);

export interface TransformerAtlas {
  readonly prefix: number;
  readonly grid: [number, number];
  /** Data-set indices of the block pages' sample images. */
  readonly samples: number[];
  readonly blocks: BlockAtlas[];
  readonly classes: ClassAtlas[];
  /** Images scanned to find each class's correctly classified ones. */
  readonly scanned: number;
  /** The maps of the class pages: registry rows, by name and grid label. */
  readonly maps: Array<{ name: string; short: string; title: string; paper: string }>;
}

export interface TransformerAtlasArgs {
  /** Sample images of a block page (default 6). */
  readonly samples?: number;
  /** Images per class page (default 4). */
  readonly perClass?: number;
  /** Classes with a page (default 20, the first ones). */
  readonly classes?: number;
  /** Images scanned for the class pages (default 500). */
  readonly scan?: number;
}

/** Picks each class's first correctly classified images among the first `scan` of the set. */
function classImages(
  model: VisModel,
  set: ImageSet,
  classes: number,
  perClass: number,
  scan: number,
): { picks: Map<number, Array<{ index: number; p: number }>>; scanned: number } {
  const picks = new Map<number, Array<{ index: number; p: number }>>();
  const count = Math.min(scan, set.count);
  const batch = 50;
  let scanned = 0;
  for (let from = 0; from < count; from += batch) {
    const idx = Array.from({ length: Math.min(batch, count - from) }, (_, i) => from + i);
    const x = imagesTensor(set, idx);
    const probs = tf.tidy(
      () => tf.softmax(model.predict(x).reshape([idx.length, -1])).dataSync() as Float32Array,
    );
    x.dispose();
    const k = probs.length / idx.length;
    idx.forEach((index, i) => {
      const row = probs.subarray(i * k, (i + 1) * k);
      let best = 0;
      for (let c = 1; c < k; c++) if (row[c] > row[best]) best = c;
      const label = set.labels?.[index] ?? best;
      if (label === best && best < classes) {
        const list = picks.get(best) ?? [];
        if (list.length < perClass) picks.set(best, [...list, { index, p: row[best] }]);
      }
    });
    scanned += idx.length;
    if (picks.size >= classes && [...picks.values()].every((l) => l.length >= perClass)) break;
  }
  return { picks, scanned };
}

const baseImage = (set: ImageSet, index: number, range: readonly [number, number]): RgbaImage =>
  toImage(itemOf(set.images, index, set.shape), set.shape as [number, number, number], {
    mode: 'range',
    range: [range[0], range[1]],
  });

/** Every number and picture of the transformer pages (needs a data set and global attention). */
export function computeTransformerAtlas(
  model: VisModel,
  set: ImageSet,
  args: TransformerAtlasArgs = {},
): { data: TransformerAtlas; images: Record<string, RgbaImage> } {
  const { blocks, tokens } = attentionBlocks(model, 'the transformer pages');
  const [h, w] = set.shape;
  const patch: [number, number] = [h / tokens.grid[0], w / tokens.grid[1]];
  const images: Record<string, RgbaImage> = {};
  const range = model.input.range;
  // Block pages: one image of each of the first classes (or the first images).
  const nSamples = Math.min(args.samples ?? 6, set.count);
  const firstOf = new Map<number, number>();
  set.labels?.forEach((l, i) => {
    if (!firstOf.has(l)) firstOf.set(l, i);
  });
  const samples = [...firstOf]
    .sort((a, b) => a[0] - b[0])
    .map(([, i]) => i)
    .slice(0, nSamples);
  for (let i = 0; samples.length < nSamples; i++) if (!samples.includes(i)) samples.push(i);
  const x = imagesTensor(set, samples);
  const bases = samples.map((i) => baseImage(set, i, range));
  const blockData: BlockAtlas[] = [];
  try {
    const atts = blockAttentions(model, x, blocks);
    try {
      for (const [b, a] of atts.entries()) {
        const heads = a.shape[3];
        const values = a.dataSync() as Float32Array;
        const distance = meanAttentionDistance(values, a.shape, tokens.prefix, tokens.grid, patch);
        const entropy = classTokenEntropy(values, a.shape);
        const tiles: RgbaImage[] = [];
        const labels: string[] = [];
        const perHead = Array.from({ length: heads + 1 }, (_, head) =>
          tf.tidy(
            () => headMap(a, head < heads ? head : 'mean', tokens, x).dataSync() as Float32Array,
          ),
        );
        samples.forEach((index, i) => {
          tiles.push(bases[i]);
          labels.push(set.classNames?.[set.labels?.[index] ?? -1] ?? `#${index}`);
          for (let head = 0; head <= heads; head++) {
            tiles.push(heatOverlay(bases[i], perHead[head].subarray(i * h * w, (i + 1) * h * w)));
            labels.push(head < heads ? `head ${head}` : 'mean');
          }
        });
        images[`block${b}`] = grid(tiles, {
          cols: heads + 2,
          labels,
          minTile: 84,
          title: `${blocks[b].name}: class token → patches, per head`,
        });
        blockData.push({
          name: blocks[b].name,
          attention: blocks[b].attention,
          heads,
          mlp: blocks[b].mlp ?? null,
          distance,
          entropy,
        });
      }
    } finally {
      tf.dispose(atts);
    }
  } finally {
    x.dispose();
  }
  // Class pages.
  const classes: ClassAtlas[] = [];
  const rows = mapsOf();
  let scanned = 0;
  if (set.labels) {
    const nClasses = Math.min(
      args.classes ?? 20,
      model.layer(model.logitsLayer ?? model.layers[model.layers.length - 1].name).units,
    );
    const found = classImages(model, set, nClasses, args.perClass ?? 4, args.scan ?? 500);
    scanned = found.scanned;
    for (const [cls, list] of [...found.picks].sort((a, b) => a[0] - b[0])) {
      const idx = list.map((l) => l.index);
      const xc = imagesTensor(set, idx);
      try {
        // Each map with its own defaults (the last block's mean attention; rollout at discard 0.9), for this class.
        const maps = Object.fromEntries(
          rows.map((m) => [
            m.name,
            attribute(model, xc, { method: m, units: idx.map(() => cls) }).heat,
          ]),
        );
        const conc = Object.fromEntries(
          rows.map((m) => {
            const c = concentration(maps[m.name], idx.length);
            return [m.name, +(c.reduce((a, b) => a + b, 0) / c.length).toFixed(4)];
          }),
        );
        const tiles: RgbaImage[] = [];
        const labels: string[] = [];
        idx.forEach((index, i) => {
          const base = baseImage(set, index, range);
          tiles.push(base);
          labels.push(`p ${list[i].p.toFixed(2)}`);
          for (const m of rows) {
            tiles.push(heatOverlay(base, maps[m.name].subarray(i * h * w, (i + 1) * h * w)));
            labels.push(m.short);
          }
        });
        const label = set.classNames?.[cls] ?? model.labels?.[cls] ?? String(cls);
        images[`class${cls}`] = grid(tiles, {
          cols: rows.length + 1,
          labels,
          minTile: 96,
          title: `class ${label}: what the model reads`,
        });
        classes.push({
          cls,
          label,
          images: idx,
          probability: list.map((l) => +l.p.toFixed(4)),
          concentration: conc,
        });
      } finally {
        xc.dispose();
      }
    }
  }
  return {
    data: {
      prefix: tokens.prefix,
      grid: [tokens.grid[0], tokens.grid[1]],
      samples,
      blocks: blockData,
      classes,
      scanned,
      maps: rows.map(({ name, short, title, paper }) => ({ name, short, title, paper })),
    },
    images,
  };
}

export const blockPath = (b: number) => `blocks/${b}.html`;
export const classPath = (c: number) => `classes/${c}.html`;

export interface TransformerPages {
  readonly pages: Array<{
    path: string;
    title: string;
    sections: Section[];
    json: unknown;
    prev?: Link;
    next?: Link;
  }>;
  /** Sections of the model page: the token layout, the blocks and the classes with links. */
  readonly model: Section[];
}

const range = (v: readonly number[]) => `${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)}`;

/** The block and class pages, and the model page's transformer sections; `mlpPage` links a reported MLP layer. */
export function transformerPages(
  t: Stored<TransformerAtlas>,
  mlpPage: (layer: string) => string | null,
): TransformerPages {
  const d = t.data;
  const pages: TransformerPages['pages'] = [];
  d.blocks.forEach((b, i) => {
    const mlp = b.mlp ? mlpPage(b.mlp) : null;
    const facts: Array<readonly [string, string | number | Link]> = [
      ['attention layer', b.attention],
      ['heads', b.heads],
      ['mean attention distance (px), per head', b.distance.join(', ')],
      ['class-token attention entropy (share of log T), per head', b.entropy.join(', ')],
    ];
    if (b.mlp)
      facts.push([
        'MLP units',
        mlp ? { text: b.mlp, href: mlp } : `${b.mlp} (not reported: add it to --layers)`,
      ]);
    const figure: Figure = {
      src: t.images[`block${i}`],
      alt: `attention of ${b.name} from the class token, per head, on ${d.samples.length} images`,
      numbers: { heads: b.heads, 'distance (px)': range(b.distance), entropy: range(b.entropy) },
    };
    pages.push({
      path: blockPath(i),
      title: `Block ${i}: ${b.name}`,
      sections: [
        { kind: 'facts', title: 'Block', items: facts },
        {
          kind: 'figures',
          title: 'Attention from the class token, per head',
          note: 'Columns: the image, each head, their mean. Heads with a short mean distance look locally; near-uniform entropy means a head that does not select.',
          size: 'full',
          figures: [figure],
        },
      ],
      json: { block: b, samples: d.samples, tokens: { prefix: d.prefix, grid: d.grid } },
      prev: i > 0 ? { text: `block ${i - 1}`, href: blockPath(i - 1) } : undefined,
      next:
        i < d.blocks.length - 1 ? { text: `block ${i + 1}`, href: blockPath(i + 1) } : undefined,
    });
  });
  d.classes.forEach((c, i) => {
    const prev = d.classes[i - 1];
    const next = d.classes[i + 1];
    pages.push({
      path: classPath(c.cls),
      title: `Class ${c.label}`,
      sections: [
        {
          kind: 'facts',
          title: 'Class',
          items: [
            ['class', `${c.label} (unit ${c.cls})`],
            ['images (correctly classified)', c.images.join(', ')],
            ['probability', c.probability.join(', ')],
            ...d.maps.map(
              (m) =>
                [
                  `${m.title}: share of the map in its top 10% pixels`,
                  c.concentration[m.name],
                ] as const,
            ),
          ],
        },
        {
          kind: 'figures',
          title: d.maps.map((m) => m.title).join(', '),
          note: `Columns: the image, then ${d.maps.map((m) => `${m.short}: ${m.title} (${m.paper})`).join('; ')}, each with its defaults. Maps that read no target (attention, rollout) are the same for every class; where they and a class-specific map disagree, trust neither more than its sharpness suggests.`,
          size: 'full',
          figures: [
            {
              src: t.images[`class${c.cls}`],
              alt: `${d.maps.map((m) => m.title).join(', ')} of class ${c.label}`,
              numbers: c.concentration,
            },
          ],
        },
      ],
      json: c,
      prev: prev && { text: `class ${prev.label}`, href: classPath(prev.cls) },
      next: next && { text: `class ${next.label}`, href: classPath(next.cls) },
    });
  });
  const model: Section[] = [
    {
      kind: 'table',
      title: `Transformer blocks (${d.prefix} prefix token${d.prefix === 1 ? '' : 's'} + a ${d.grid.join('×')} patch grid)`,
      head: ['block', 'heads', 'mean attention distance (px)', 'class-token entropy', 'MLP units'],
      rows: d.blocks.map((b, i) => [
        { text: b.name, href: blockPath(i) },
        b.heads,
        range(b.distance),
        range(b.entropy),
        b.mlp && mlpPage(b.mlp) ? { text: b.mlp, href: mlpPage(b.mlp)! } : (b.mlp ?? '–'),
      ]),
    },
  ];
  if (d.classes.length) {
    model.push({
      kind: 'table',
      title: `Classes: ${d.maps.map((m) => m.title).join(', ')} (correct images among the first ${d.scanned})`,
      head: [
        'class',
        'images',
        'mean probability',
        ...d.maps.map((m) => `${m.short} top-10% share`),
      ],
      rows: d.classes.map((c) => [
        { text: c.label, href: classPath(c.cls) },
        c.images.length,
        +(c.probability.reduce((a, b) => a + b, 0) / c.probability.length).toFixed(3),
        ...d.maps.map((m) => c.concentration[m.name]),
      ]),
    });
  }
  return { pages, model };
}
