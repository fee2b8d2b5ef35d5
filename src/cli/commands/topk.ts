/**
 * deepvis topk --model M [--data D] --out DIR
 * One streaming scan of a data set keeping, for every unit of every layer, the k inputs that excite
 * it most (conv channels: at their strongest position), saved as DIR/topk-index.json; then per
 * layer a PNG with one row per unit of the receptive-field crops of its top-k inputs. With
 * --index FILE the pictures are drawn from an earlier scan without rescanning.
 * A folder with --split all is streamed (memory: one batch plus the tables).
 */
import { checkUnits } from '../../objectives/units.js';
import { itemOf } from '../../engine/read.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  entryCrop,
  layerTopK,
  scanTopK,
  scannableLayers,
  TOPK_DEFAULTS,
  type Batch,
  type LayerTopK,
  type TopKIndex,
} from '../../analysis/scan.js';
import { folderBatches, indexFolder } from '../../data/folder.js';
import { DeepvisError } from '../../errors.js';
import { decodeImage } from '../../io/image.js';
import type { VisModel } from '../../model/types.js';
import { grid } from '../../render/grid.js';
import { blank, toImage, type RgbaImage } from '../../render/image.js';
import { positive, unitList, usage, type Flags, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { DATA_FLAGS, dataFrom, dataFromSpec } from '../inputs.js';
import { checkBatchMemory, checkGridPixels, MAX_TOPK } from '../limits.js';
import { Progress } from '../progress.js';

const SPECS = {
  ...MODEL_FLAGS,
  ...DATA_FLAGS,
  layers: {
    type: 'string',
    help: "comma-separated layers, or 'all' (every layer that is not a reshape/copy)",
    default: 'all',
  },
  k: { type: 'int', help: 'examples kept per unit', default: TOPK_DEFAULTS.k },
  'batch-size': { type: 'int', help: 'images per forward pass', default: TOPK_DEFAULTS.batchSize },
  units: {
    type: 'ints',
    help: 'units drawn per layer (default the first 32; the index keeps all)',
  },
  index: { type: 'string', help: 'draw from this topk-index.json instead of scanning' },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage(
  'topk',
  '--model M [--data D] --out DIR  |  --model M --index FILE --out DIR',
  SPECS,
);

export async function readIndex(file: string): Promise<TopKIndex> {
  let json: TopKIndex;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as TopKIndex;
  } catch {
    throw new DeepvisError(`cannot read top-k index ${file} (missing or not JSON)`);
  }
  if (json.version !== 1 || !Array.isArray(json.layers))
    throw new DeepvisError(`${file} is not a deepvis top-k index`);
  return json;
}

export function checkIndexFits(index: TopKIndex, model: VisModel, file: string): void {
  for (const l of index.layers) {
    const layer = model.layers.find((x) => x.name === l.layer);
    if (!layer || layer.units !== l.units)
      throw new DeepvisError(
        `${file} was made for another model: layer '${l.layer}' (${l.units} units) is not in this one`,
      );
  }
}

/** Loads images by data-set index, for an index made from a data set or a streamed folder. */
export async function imageLoader(
  index: TopKIndex,
  model: VisModel,
): Promise<(i: number) => Promise<Float32Array>> {
  const spec = index.dataset.spec ?? '';
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  if (spec.startsWith('folder:')) {
    const files = (await indexFolder(spec.slice('folder:'.length))).files;
    return async (i) =>
      (await decodeImage(files[i], { height: h, width: w, channels: c })).data.map(
        (v) => lo + v * (hi - lo),
      );
  }
  const set = await dataFromSpec(spec, model);
  return async (i) => itemOf(set.images, i, set.shape);
}

export async function topkTiles(
  entry: LayerTopK,
  unit: number,
  model: VisModel,
  load: (i: number) => Promise<Float32Array>,
): Promise<RgbaImage[]> {
  const [lo, hi] = model.input.range;
  const tiles: RgbaImage[] = [];
  for (const [r, i] of entry.indices[unit].entries()) {
    const crop = entryCrop(entry, unit, r, await load(i), model.input.shape, (lo + hi) / 2);
    tiles.push(toImage(crop.values, crop.shape, { mode: 'range', range: [lo, hi] }));
  }
  return tiles;
}

/**
 * What would fail after a long scan, checked before it: units out of range, --k past the limit, a
 * picture too big to encode (k columns × units rows of receptive-field crops, at most the input's
 * size each, upscaled to ≥ 56 px), a batch that does not fit in memory.
 */
function checkBeforeScan(
  model: VisModel,
  layers: readonly string[],
  flags: Flags<typeof SPECS>,
): void {
  const k = flags.k;
  if (k > MAX_TOPK)
    throw new DeepvisError(`--k ${k} is past the limit of ${MAX_TOPK} examples per unit`);
  const [h, w] = model.input.shape;
  for (const name of layers) {
    const layer = model.layer(name);
    const units = unitList(flags.units, layer.units, 32);
    checkUnits(layer, units);
    checkGridPixels(k, units.length, w + 56, h + 56, `topk-${layer.name}.png`);
  }
  if (!flags.index)
    checkBatchMemory(model, flags['batch-size'], {
      what: `--batch-size ${flags['batch-size']}`,
      hint: 'a smaller --batch-size',
      gradients: false,
    });
}

export async function run(argv: string[]): Promise<void> {
  const { flags, out, output, engine, model } = await openModelCommand(argv, SPECS, (f) =>
    positive(f, 'k', 'batch-size'),
  );
  const k = flags.k;
  const layers =
    flags.layers === 'all' ? undefined : flags.layers.split(',').map((l) => model.layer(l).name);
  checkBeforeScan(model, layers ?? scannableLayers(model).map((l) => l.name), flags);
  let index: TopKIndex;
  if (flags.index) {
    index = await readIndex(flags.index);
    checkIndexFits(index, model, flags.index);
  } else {
    const dataPath = flags.data;
    const isDir = dataPath ? (await fs.stat(dataPath).catch(() => null))?.isDirectory() : false;
    const bar = new Progress('scan', 1, Boolean(flags.quiet));
    if (isDir && flags.split === 'all') {
      const [lo, hi] = model.input.range;
      const stream = async function* (): AsyncGenerator<Batch> {
        for await (const b of folderBatches(dataPath!, model.input.shape, flags['batch-size'])) {
          yield {
            images: b.images.map((v) => lo + v * (hi - lo)),
            count: b.count,
            offset: b.offset,
          };
        }
      };
      index = await scanTopK(model, stream(), {
        layers,
        k,
        dataset: dataPath,
        datasetSpec: `folder:${path.resolve(dataPath!)}`,
        modelPath: flags.model,
      });
    } else {
      const { set, spec } = await dataFrom(flags, model);
      const total = set.count;
      index = await scanTopK(model, set, {
        layers,
        k,
        batchSize: flags['batch-size'],
        datasetSpec: spec,
        modelPath: flags.model,
        onBatch: (done) => bar.update(done / total),
      });
    }
    bar.done();
    await output.json('topk-index.json', { ...index, backend: engine.backend });
  }
  const load = await imageLoader(index, model);
  for (const entry of layers ? layers.map((l) => layerTopK(index, l)) : index.layers) {
    const units = unitList(flags.units, entry.units, 32);
    checkUnits(model.layer(entry.layer), units);
    const tiles: RgbaImage[] = [];
    const labels: string[] = [];
    for (const u of units) {
      const t = await topkTiles(entry, u, model, load);
      tiles.push(
        ...t,
        ...Array(index.k - t.length).fill(
          blank(t[0]?.width ?? 1, t[0]?.height ?? 1, [128, 128, 128]),
        ),
      );
      labels.push(
        ...entry.values[u].map((v) => v.toPrecision(3)),
        ...Array(index.k - t.length).fill(''),
      );
    }
    const eff = entry.receptiveField.effective;
    const crop = entry.positions
      ? `, ${eff ? 'effective ' : ''}receptive field ${entry.receptiveField.size.join('x')}`
      : '';
    // After attention every token sees the whole image: the crops are its effective field (Luo et al. 2016).
    if (entry.positions && eff)
      console.log(
        `${entry.layer}: a token's receptive field is the whole image after attention; the crops show its effective receptive field (${Math.round(100 * eff.mass)}% of the gradient's magnitude, up to ${entry.receptiveField.size.join('×')} px)`,
      );
    await output.png(
      `topk-${fileStem(entry.layer)}.png`,
      grid(tiles, {
        cols: index.k,
        labels,
        rowLabels: units.map((u) => (entry.values[u][0] > 0 ? `unit ${u}` : `unit ${u} dead`)),
        title: `${entry.layer}: top-${index.k} of ${index.dataset.count} images${crop}`,
      }),
    );
  }
  await output.commit();
  // Only now is the index in place: a run that failed before commit never claims it.
  if (!flags.index)
    console.log(
      `scanned ${index.dataset.count} images in ${index.seconds.toFixed(1)}s (index: ${output.final('topk-index.json')})`,
    );
  console.log(
    `wrote top-${index.k} pictures for ${layers?.length ?? index.layers.length} layers to ${out}`,
  );
  model.dispose();
}
