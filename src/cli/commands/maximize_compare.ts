/**
 * deepvis maximize --compare-methods: the same units of one layer through every method of the
 * registry that takes part (each method's `compare` variants: Yosinski's four sets, the others
 * with their defaults; methods that need a start image sit out), run as `maximize --method` runs
 * them, each image scored against one quality reference (metrics/quality.ts), and one table of
 * methods × scores (means over the units): LAYER-compare.md and .json, and LAYER-compare.png with
 * a row of images per method.
 */
import type { ImageSet } from '../../data/dataset.js';
import { itemOf } from '../../engine/read.js';
import { DeepvisError } from '../../errors.js';
import type { OutputSession } from '../../io/output.js';
import { argsFor, missing, runChunked, type AnyFeatureVis } from '../../methods/method.js';
import type { UnitRequest } from '../../methods/recipe.js';
import { FEATURE_VIS } from '../../methods/registry.js';
import type { OptionValues } from '../../options.js';
import { meanQuality } from '../../metrics/quality.js';
import { qualityReference } from '../../metrics/quality_reference.js';
import type { VisModel } from '../../model/types.js';
import { fileStem } from '../../render/names.js';
import { grid } from '../../render/grid.js';
import { toImage, type RgbaImage } from '../../render/image.js';
import { assess } from './maximize_quality.js';

export const COMPARE_FLAGS = {
  'compare-methods': {
    type: 'bool',
    help: `run ${FEATURE_VIS.filter((m) => m.compare !== false)
      .map((m) => m.name)
      .join(
        ', ',
      )} (each as maximize runs it; yosinski's four sets) on the units and write one table of methods × quality scores`,
  },
} as const;

const fmt = (v: number | null, d = 2) => (v == null ? '–' : v.toFixed(d));

/** The runs: every method's variants (by default the method itself), methods with `compare: false` left out. */
export function compared(): Array<[string, AnyFeatureVis, OptionValues]> {
  return FEATURE_VIS.flatMap((m) =>
    m.compare === false
      ? []
      : (m.compare ?? [{ label: m.name, options: {} }]).map(
          (v): [string, AnyFeatureVis, OptionValues] => [v.label, m, v.options],
        ),
  );
}

export async function compareMethods(
  model: VisModel,
  req: UnitRequest,
  o: { output: OutputSession; data: ImageSet | null; quiet: boolean; modelName?: string },
): Promise<void> {
  if (!o.data)
    throw new DeepvisError(
      '--compare-methods scores images against natural data: give --data (mnist, fashion-mnist, a folder)',
    );
  const data = o.data;
  const reference = qualityReference(model, data, req.layer, req.units, { neuron: req.neuron });
  const ctx = { model, data };
  const runs = compared().filter(
    ([, m]) => missing(m, model, { data: true, image: false }) == null,
  );
  const [h, w, c] = model.input.shape;
  const rows: Array<
    ReturnType<typeof meanQuality> & { method: string; seconds: number; blank: string[] } & Record<
        string,
        unknown
      >
  > = [];
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  for (const [name, method, options] of runs) {
    if (!o.quiet) console.log(`compare: ${name}…`);
    const r = runChunked(method, model, argsFor(method, req, options, ctx));
    const a = assess(model, r, {
      layer: req.layer,
      neuron: req.neuron,
      data,
      quiet: true,
      reference,
    });
    const px = r.images.dataSync() as Float32Array;
    r.dispose();
    r.units.forEach((u, i) => {
      tiles.push(
        toImage(itemOf(px, i, [h, w, c]), [h, w, c], { mode: 'range', range: model.input.range }),
      );
      labels.push(`${u.unit} ${a.labels[i]}`);
    });
    const m = meanQuality(a.quality!);
    const blank = a.blank
      .filter((d) => d.causes.length)
      .map((d) => `${d.unit}: ${d.causes.join('+')}`);
    rows.push({
      method: name,
      ...m,
      activation: r.units.reduce((s, u) => s + u.activation, 0) / r.units.length,
      seconds: r.seconds,
      msPerStep: (1000 * r.seconds) / Math.max(1, Number(r.params.steps ?? 1)),
      blank,
      perUnit: a.quality,
    });
  }
  const stem = `${fileStem(req.layer)}-compare`;
  const md = [
    `Methods × quality scores on ${req.layer} (${o.modelName ?? 'model'}), units ${req.units.join(',')}, data ${data.name}; means over the units.`,
    "relative activation: activation / best data-set example (higher is better); plausibility: 9-NN feature distance to the top examples / the data set's typical distance (lower); path: Geirhos path check, 0 = random images, 1 = top examples (higher).",
    '',
    '| method | relative activation | plausibility | path | s | blank |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.method} | ${fmt(r.relativeActivation)} | ${fmt(r.plausibility)} | ${fmt(r.pathScore)} | ${r.seconds.toFixed(1)} | ${r.blank.join(', ') || '–'} |`,
    ),
    '',
  ].join('\n');
  await o.output.write(`${stem}.md`, md);
  await o.output.json(`${stem}.json`, {
    layer: req.layer,
    units: req.units,
    neuron: req.neuron ?? null,
    quality: reference.params,
    methods: rows,
  });
  await o.output.png(
    `${stem}.png`,
    grid(tiles, {
      cols: req.units.length,
      labels,
      rowLabels: runs.map(([n]) => n),
      title: `${req.layer}: methods x quality`,
      minTile: 168,
    }),
  );
  if (!o.quiet) console.log(md);
}
