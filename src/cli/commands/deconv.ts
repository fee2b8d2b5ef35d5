/**
 * deepvis deconv --model M --layer L [--units …] --out DIR
 * Zeiler & Fergus's figure 2 for the units of a layer: the top-k activations of each unit over a
 * data set (from --index or a fresh scan of that layer), each projected down to pixels by the
 * deconvnet (seeds 001 §5, 003 §4.1), shown next to the image patches that produced them, both
 * cropped to the neuron's receptive field. --unpool nearest: the variant without switches.
 */
import { checkUnits } from '../../objectives/units.js';
import { itemOf } from '../../engine/read.js';
import * as tf from '@tensorflow/tfjs';
import { deconvnet } from '../../attribution/gradients.js';
import {
  entryCrop,
  layerTopK,
  scanTopK,
  TOPK_DEFAULTS,
  type TopKIndex,
} from '../../analysis/scan.js';
import { grid } from '../../render/grid.js';
import { blank, toImage, type RgbaImage } from '../../render/image.js';
import { positive, required, unitList, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { DATA_FLAGS, dataFrom } from '../inputs.js';
import { checkIndexFits, imageLoader, readIndex } from './topk.js';
import { DeepvisError } from '../../errors.js';
import { checkGridPixels, MAX_TOPK } from '../limits.js';

const SPECS = {
  ...MODEL_FLAGS,
  ...DATA_FLAGS,
  layer: { type: 'string', help: 'layer name or index' },
  units: { type: 'ints', help: 'units (default the first 16)' },
  k: { type: 'int', help: 'top activations per unit (when scanning)', default: TOPK_DEFAULTS.k },
  unpool: {
    type: 'string',
    help: 'max-pool unpooling: through the recorded switches, or nearest (no switches)',
    choices: ['switches', 'nearest'],
    default: 'switches',
  },
  index: { type: 'string', help: 'a topk-index.json to take the top activations from' },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage(
  'deconv',
  '--model M --layer L [--index FILE | --data D] --out DIR',
  SPECS,
);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) =>
    positive(f, 'k'),
  );
  const layer = model.layer(required(flags, 'layer'));
  const units = unitList(flags.units, layer.units, 16);
  checkUnits(layer, units);
  if (!flags.index && flags.k > MAX_TOPK)
    throw new DeepvisError(`--k ${flags.k} is past the limit of ${MAX_TOPK} examples per unit`);
  checkGridPixels(
    2 * flags.k,
    units.length,
    model.input.shape[1] + 56,
    model.input.shape[0] + 56,
    'the deconvnet picture',
  );
  let index: TopKIndex;
  if (flags.index) {
    index = await readIndex(flags.index);
    checkIndexFits(index, model, flags.index);
  } else {
    const { set, spec } = await dataFrom(flags, model);
    index = await scanTopK(model, set, { layers: [layer.name], k: flags.k, datasetSpec: spec });
  }
  const entry = layerTopK(index, layer.name);
  const load = await imageLoader(index, model);
  const shape = model.input.shape;
  const [h, w, c] = shape;
  const [lo, hi] = model.input.range;
  const rf = entry.receptiveField;
  // Unfilled ranks (fewer scanned images than k) are black tiles of the crops' size.
  const tileShape: [number, number] = entry.positions ? [rf.size[0], rf.size[1]] : [h, w];
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  const report = [];
  const k = Math.max(...units.map((u) => entry.indices[u].length));
  for (const u of units) {
    const idx = entry.indices[u];
    const pixels = await Promise.all(idx.map(load));
    const x = tf.tensor4d(Float32Array.from(pixels.flatMap((p) => Array.from(p))), [
      idx.length,
      h,
      w,
      c,
    ]);
    const neurons = entry.positions?.[u];
    const proj = deconvnet(model, x, { layer, units: idx.map(() => u), neurons }, flags.unpool);
    const pv = proj.dataSync();
    tf.dispose([x, proj]);
    const projections: RgbaImage[] = [];
    const patches: RgbaImage[] = [];
    idx.forEach((_, r) => {
      // Projections are signed and their scale is arbitrary: zero is mid-grey, each tile full contrast.
      const projection = entryCrop(entry, u, r, itemOf(pv, r, [h, w, c]), shape, 0);
      projections.push(toImage(projection.values, projection.shape, { mode: 'symmetric' }));
      const patch = entryCrop(entry, u, r, pixels[r], shape, (lo + hi) / 2);
      patches.push(toImage(patch.values, patch.shape, { mode: 'range', range: [lo, hi] }));
    });
    const pad = (list: RgbaImage[]) => [
      ...list,
      ...Array(k - list.length).fill(blank(tileShape[1], tileShape[0], [0, 0, 0])),
    ];
    tiles.push(...pad(projections), ...pad(patches));
    labels.push(
      ...entry.values[u].map((v) => v.toPrecision(3)),
      ...Array(k - idx.length).fill(''),
      ...idx.map((i) => `#${i}`),
      ...Array(k - idx.length).fill(''),
    );
    report.push({ unit: u, indices: idx, values: entry.values[u], positions: neurons ?? null });
  }
  const stem = `${fileStem(layer.name)}-deconv${flags.unpool === 'nearest' ? '-noswitch' : ''}`;
  await output.png(
    `${stem}.png`,
    grid(tiles, {
      cols: 2 * k,
      labels,
      rowLabels: units.map((u) => `unit ${u}`),
      title: `${layer.name}: deconvnet projections (left, ${flags.unpool}) and patches (right)`,
    }),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    layer: layer.name,
    unpool: flags.unpool,
    dataset: index.dataset,
    receptiveField: rf.size,
    backend: engine.backend,
    units: report,
  });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json`);
  model.dispose();
}
