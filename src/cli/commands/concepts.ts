/**
 * deepvis concepts --method craft|dff|tcav|sae --model M [--layer L] [--class C] [--data D] [--k K] --out DIR
 * Concepts of a layer by any method of the registry (concepts/registry.ts: its flags, its help
 * under `--method NAME --help`), written as concepts.json (every concept's direction, importance,
 * the data-set indices and boxes of its top examples, the run's numbers), one PNG per concept
 * (its best crops: CRAFT's patches, the receptive field of DFF's strongest position, TCAV's
 * images furthest along the CAV, and the most negative ones), concepts.png (all of them, by
 * importance), importance.png (CRAFT's Sobol indices, TCAV's scores against the random runs'),
 * maps.png (CRAFT's concept attribution maps, filtered at the 90th percentile as Xplique's; DFF's
 * per-image heat maps), each concept's feature visualization (concept-N-vis.png and vis.png: the
 * image maximizing the cosine to its direction, report/concept_vis.ts; an SAE atom is shown as a
 * unit is: this image, its top and its most negative examples), directions.json (for
 * `maximize --target cosine:directions.json`) and an index.html page over them.
 */
import * as path from 'node:path';
import type { Concept, ConceptSet } from '../../concepts/concept.js';
import type { AnyConceptMethod, ImageGroup } from '../../concepts/method.js';
import { runConcepts } from '../../concepts/method.js';
import { CONCEPT_METHODS, conceptMethod } from '../../concepts/registry.js';
import type { ImageSet } from '../../data/dataset.js';
import { loadFolder } from '../../data/folder.js';
import { DeepvisError } from '../../errors.js';
import type { VisModel } from '../../model/types.js';
import { grid } from '../../render/grid.js';
import { heatOverlay } from '../../render/heat.js';
import { toImage, type RgbaImage } from '../../render/image.js';
import { barChart } from '../../render/plots.js';
import {
  CONCEPT_VIS_DEFAULTS,
  conceptHeat,
  directionImages,
  Examples,
} from '../../report/concept_vis.js';
import { pageHtml, SITE_CSS, SITE_JS } from '../../report/html.js';
import type { Section } from '../../report/site.js';
import { type Flags, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, MODEL_FLAGS, openModelCommand } from '../command.js';
import { DATA_FLAGS, dataFrom } from '../inputs.js';
import {
  checkMethodFlags,
  methodFlags,
  methodHelp,
  methodIn,
  optionsOf,
  type MethodRow,
} from '../method_flags.js';
import { Progress } from '../progress.js';

const COMMON = {
  method: {
    type: 'string',
    help: `concept method: ${CONCEPT_METHODS.map((m) => m.name).join(', ')} (its options: --method NAME --help)`,
  },
  ...MODEL_FLAGS,
  ...DATA_FLAGS,
  layer: {
    type: 'string',
    help: 'the layer (default for craft and dff: the last convolutional layer before the class scores; tcav: required)',
  },
  class: {
    type: 'string',
    help: 'the class explained: an index or a label (craft, tcav; dff: only its images)',
  },
  concepts: {
    type: 'string',
    help: 'tcav: concept folders of images, comma-separated (a folder is a concept, named by the folder)',
  },
  random: {
    type: 'string',
    help: "tcav: a folder of random images the random sets are drawn from (default: the data set's images)",
  },
  'vis-steps': {
    type: 'int',
    min: 0,
    help: "steps of each concept's feature visualization (Lucid, the cosine to its direction as Xplique's; 0: none)",
    default: CONCEPT_VIS_DEFAULTS.steps,
  },
  'vis-count': {
    type: 'int',
    min: 0,
    help: 'concepts with a feature visualization, in the order shown (by importance, else by frequency)',
    default: 32,
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;

const rowOf = (m: AnyConceptMethod): MethodRow => ({
  name: m.name,
  options: m.options,
  about: `${m.summary} (${m.paper})`,
});
const ROWS = CONCEPT_METHODS.map(rowOf);
const SPECS: FlagSpecs = { ...COMMON, ...methodFlags(ROWS, COMMON) };
export const help = (argv: string[] = []) =>
  methodHelp(
    'concepts',
    `--method ${CONCEPT_METHODS.map((m) => m.name).join('|')} --model M [--layer L] [--class C] [--data D] [--k K] --out DIR`,
    COMMON,
    ROWS,
    methodIn(argv),
  );

/** --class as an index: a number, or a label of the model or the data set. */
export function classFrom(
  value: string | undefined,
  model: VisModel,
  data: ImageSet,
): number | undefined {
  if (value == null) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const names = model.labels ?? data.classNames ?? [];
  const i = names.indexOf(value);
  if (i < 0)
    throw new DeepvisError(
      `--class '${value}' is neither an index nor a label (labels: ${names.slice(0, 20).join(', ') || 'none'})`,
    );
  return i;
}

async function folderGroup(dir: string, model: VisModel): Promise<ImageGroup> {
  const set = await loadFolder(dir, model.input.shape);
  const [lo, hi] = model.input.range;
  return {
    name: path.basename(path.resolve(dir)),
    images: set.images.map((v) => lo + v * (hi - lo)),
    count: set.count,
  };
}

const fmt = (v: number | undefined) =>
  v == null || !Number.isFinite(v) ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);

/** A concept's label: its name or id, and the numbers that rank it. */
function labelOf(c: Concept): string {
  const head = c.name ? `${c.id} ${c.name}` : `concept ${c.id}`;
  const imp = c.importance != null ? ` imp ${fmt(c.importance)}` : '';
  const share = c.logitShare != null ? ` ${c.logitShare.toFixed(0)}%` : '';
  return `${head}${imp}${share}`;
}

/** Concepts in the order they are shown: by importance where there is one, else by frequency (SAE atoms). */
const frequency = (c: Concept) => Number(c.numbers?.frequency ?? 0);
const ordered = (set: ConceptSet): Concept[] =>
  [...set.concepts].sort(
    (a, b) =>
      (b.importance ?? 0) - (a.importance ?? 0) || frequency(b) - frequency(a) || a.id - b.id,
  );

/** maps.png: per image, the image and the maps of the (up to 6) concepts shown. */
function mapsPicture(
  set: ConceptSet,
  ex: Examples,
  model: VisModel,
  percentile: number,
): RgbaImage | null {
  if (!set.maps?.length) return null;
  const shown = ordered(set).slice(0, 6);
  const k = set.concepts.length;
  const [h, w] = model.input.shape;
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  for (const m of set.maps) {
    const base = ex.whole(m.index);
    tiles.push(base);
    labels.push(`image ${m.index}`);
    for (const c of shown) {
      tiles.push(
        heatOverlay(base, conceptHeat(m, c.id, k, [h, w], percentile), { percentile: 100 }),
      );
      labels.push(c.name ? c.name.split(' ')[0] : `c${c.id}`);
    }
  }
  const filter =
    percentile > 0 ? `, filtered at the ${percentile}th percentile` : ', scaled per image';
  return grid(tiles, {
    cols: shown.length + 1,
    labels,
    minTile: 84,
    title: `concept maps at ${set.layer}${filter}`,
  });
}

function importancePicture(set: ConceptSet): RgbaImage | null {
  const shown = ordered(set).filter((c) => c.importance != null);
  if (!shown.length) return null;
  if (set.method === 'tcav') {
    return barChart({
      title: `TCAV scores for ${set.className ?? `class ${set.classIndex}`} at ${set.layer} (* p < 0.05)`,
      groups: shown.map((c) => `${c.name}${c.numbers?.significant ? '*' : ''}`),
      series: [
        { label: 'concept (mean of runs)', values: shown.map((c) => c.importance!) },
        { label: 'random (mean)', values: shown.map((c) => Number(c.numbers?.randomMean ?? 0)) },
      ],
      lines: [{ label: '0.5', value: 0.5 }],
    });
  }
  return barChart({
    title: `${set.method} importance (total Sobol index) for ${set.className ?? `class ${set.classIndex}`} at ${set.layer}`,
    groups: shown.map((c) => `c${c.id}`),
    series: [{ label: 'Sobol total index', values: shown.map((c) => c.importance!) }],
  });
}

/** The JSON: everything but the bulky maps' raw arrays, which go in rounded. */
function jsonOf(set: ConceptSet, extra: Record<string, unknown>): unknown {
  const round = (v: number) => +v.toPrecision(5);
  return {
    ...extra,
    ...set,
    concepts: set.concepts.map((c) => ({ ...c, direction: c.direction.map(round) })),
    maps: set.maps?.map((m) => ({
      index: m.index,
      h: m.h,
      w: m.w,
      values: Array.from(m.values, round),
    })),
  };
}

export async function run(argv: string[]): Promise<void> {
  const method = conceptMethod(
    methodIn(argv) ??
      (() => {
        throw new DeepvisError(
          `--method is required: ${CONCEPT_METHODS.map((m) => m.name).join(', ')}`,
        );
      })(),
  );
  const opened = await openModelCommand(argv, SPECS, (f, given) => {
    checkMethodFlags(given, [rowOf(method)], ROWS);
    // What the method needs, before the model loads.
    if (method.needsClass === 'required' && f.class == null)
      throw new DeepvisError(`${method.name} explains a class: give --class`);
    if (method.folders && !f.concepts)
      throw new DeepvisError(`${method.name} needs concept folders: give --concepts DIR[,DIR…]`);
  });
  const { output, engine, model } = opened;
  const flags = opened.flags as unknown as Flags<typeof COMMON>;
  const { set: data, spec } = await dataFrom(flags, model);
  const classIndex = classFrom(flags.class, model, data);
  const groups = method.folders
    ? {
        concepts: await Promise.all(
          (flags.concepts ?? '')
            .split(',')
            .filter(Boolean)
            .map((d) => folderGroup(d, model)),
        ),
        random: flags.random ? await folderGroup(flags.random, model) : undefined,
      }
    : undefined;
  const bar = new Progress(method.name, 1, Boolean(flags.quiet));
  const result = runConcepts(method, model, data, {
    layer: flags.layer,
    classIndex,
    groups,
    options: optionsOf(method, opened.flags),
    seed: flags.seed,
    onProgress: (p) => bar.update(p.total ? p.done / p.total : 0),
  });
  bar.done();
  const ex = new Examples(model, data);
  const written: string[] = [];
  const png = async (name: string, img: RgbaImage | null) => {
    if (!img) return;
    await output.png(name, img);
    written.push(name);
  };
  // Feature visualizations of the first --vis-count concepts shown: one batch, the cosine to each direction.
  const shown = ordered(result).slice(0, flags['vis-steps'] > 0 ? flags['vis-count'] : 0);
  const vis = shown.length
    ? directionImages(
        model,
        result.layer,
        shown.map((c) => c.direction),
        { steps: flags['vis-steps'], seed: flags.seed },
      )
    : null;
  const visOf = new Map(shown.map((c, i) => [c.id, i]));
  if (vis)
    await png(
      'vis.png',
      grid(vis.images, {
        labels: shown.map((c, i) => `c${c.id} cos ${vis.data.cosines[i].toFixed(2)}`),
        minTile: 96,
        title: `${method.title} at ${result.layer}: cosine to each direction (${vis.data.method}, ${vis.data.optimized})`,
      }),
    );
  const rows: Array<{
    label: string;
    numbers: Record<string, string | number>;
    figures: Array<{ src: string; alt: string }>;
  }> = [];
  const allTiles: RgbaImage[] = [];
  const allLabels: string[] = [];
  const rowLabels: string[] = [];
  const cols = Math.max(...result.concepts.map((c) => c.top.length), 1);
  for (const c of ordered(result)) {
    const top = c.top.map((e) => ex.tile(e, c.layer));
    const bottom = (c.bottom ?? []).map((e) => ex.tile(e, c.layer));
    const tiles = [...top, ...bottom];
    const labels = [
      ...c.top.map((e) => `#${e.index}`),
      ...(c.bottom ?? []).map((e) => `-#${e.index}`),
    ];
    const name = `concept-${c.id}.png`;
    await png(
      name,
      grid(tiles, {
        cols: Math.max(top.length, 1),
        labels,
        minTile: 64,
        title: `${labelOf(c)}${bottom.length ? ' (row 2: most negative)' : ''}`,
      }),
    );
    top.forEach((t, i) => {
      allTiles.push(t);
      allLabels.push(i === 0 ? `c${c.id}` : '');
    });
    for (let i = top.length; i < cols; i++) {
      allTiles.push(
        toImage(
          new Float32Array(top[0]?.width ? top[0].width * top[0].height : 1).fill(1),
          [top[0]?.height ?? 1, top[0]?.width ?? 1, 1],
          { mode: 'range', range: [0, 1] },
        ),
      );
      allLabels.push('');
    }
    rowLabels.push(labelOf(c));
    const numbers: Record<string, string | number> = {};
    if (vis && visOf.has(c.id)) {
      await png(`concept-${c.id}-vis.png`, vis.images[visOf.get(c.id)!]);
      numbers['cosine of its image'] = fmt(vis.data.cosines[visOf.get(c.id)!]);
    }
    if (c.importance != null) numbers.importance = fmt(c.importance);
    if (c.logitShare != null) numbers['share of class score'] = `${c.logitShare.toFixed(1)}%`;
    if (c.alignment != null) numbers['cosine with class direction'] = fmt(c.alignment);
    for (const [key, v] of Object.entries(c.numbers ?? {}))
      numbers[key] = typeof v === 'number' ? fmt(v) : String(v);
    rows.push({
      label: c.name ? `${c.id}: ${c.name}` : `concept ${c.id}`,
      numbers,
      figures: [
        ...(visOf.has(c.id)
          ? [
              {
                src: `concept-${c.id}-vis.png`,
                alt: `feature visualization of ${c.name ?? `concept ${c.id}`}: the cosine to its direction reached ${fmt(vis!.data.cosines[visOf.get(c.id)!])}`,
              },
            ]
          : []),
        { src: name, alt: `best examples of ${c.name ?? `concept ${c.id}`}` },
      ],
    });
  }
  const sameSize = allTiles.every(
    (t) => t.width === allTiles[0].width && t.height === allTiles[0].height,
  );
  if (sameSize)
    await png(
      'concepts.png',
      grid(allTiles, {
        cols,
        rowLabels,
        minTile: 48,
        title: `${method.title} at ${result.layer}${result.className != null ? `, class ${result.className}` : ''}`,
      }),
    );
  await png('importance.png', importancePicture(result));
  await png('maps.png', mapsPicture(result, ex, model, method.name === 'craft' ? 90 : 0));
  await output.json(
    'concepts.json',
    jsonOf(result, {
      model: flags.model,
      data: spec,
      backend: engine.backend,
      featureVisualization: vis
        ? {
            method: vis.data.method,
            layer: vis.data.optimized,
            objective: vis.data.objective,
            steps: vis.data.params.steps,
            cosines: Object.fromEntries(shown.map((c, i) => [c.id, vis.data.cosines[i]])),
          }
        : null,
    }),
  );
  // Every concept's direction, in the order of concepts.json: `deepvis maximize --layer L --target cosine:directions.json` visualizes them.
  await output.json(
    'directions.json',
    result.concepts.map((c) => c.direction),
  );
  const title = `${method.title}: ${result.layer}${result.className != null ? `, class ${result.className}` : result.classIndex != null ? `, class ${result.classIndex}` : ''}`;
  const sections: Section[] = [
    {
      kind: 'facts',
      title: 'run',
      items: [
        ['method', `${method.title} (${method.paper})`],
        ['model', String(flags.model)],
        ['data', spec],
        ['seconds', result.seconds.toFixed(1)],
        ...Object.entries(result.metrics).map(
          ([k, v]) => [k, typeof v === 'number' ? fmt(v) : String(v)] as [string, string],
        ),
      ],
    },
    {
      kind: 'figures',
      title: 'overview',
      figures: ['concepts.png', 'vis.png', 'importance.png', 'maps.png']
        .filter((f) => written.includes(f))
        .map((f) => ({ src: f, alt: f.replace('.png', '') })),
      size: 'full',
    },
    { kind: 'rows', title: 'concepts', rows },
  ];
  await output.write(
    'index.html',
    pageHtml({ path: 'index.html', title, crumbs: [], nav: {}, sections, json: 'concepts.json' }),
  );
  await output.write('site.css', SITE_CSS);
  await output.write('site.js', SITE_JS);
  await output.commit();
  console.log(
    `${method.name}: ${result.concepts.length} concepts at ${result.layer} in ${result.seconds.toFixed(1)}s; wrote concepts.json, ${written.length} PNGs and index.html to ${opened.out}`,
  );
  model.dispose();
}
