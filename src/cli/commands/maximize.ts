/**
 * deepvis maximize --model M --layer L --units 0-63 --method NAME --out DIR
 * Synthesizes, for every requested unit at once, the input that maximizes it, with any method of
 * the registry (methods/registry.ts: its flags, its help under `--method NAME --help`, its checks),
 * and writes a labelled grid PNG, the method's own extra files and a JSON of the parameters and
 * per-unit results (with the best data-set example).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { itemOf } from '../../engine/read.js';
import { datasetMax } from '../../analysis/dataset_max.js';
import { boxAt, crop, receptiveFields } from '../../analysis/receptive_field.js';
import { classNameOf } from '../../model/labels.js';
import { QUALITY_MIN_IMAGES, qualityDataTooSmall } from '../../metrics/quality_reference.js';
import { DeepvisError } from '../../errors.js';
import type { VisModel } from '../../model/types.js';
import type { OutputSession } from '../../io/output.js';
import { argsFor, missing, runChunked, withDefaults } from '../../methods/method.js';
import type { MethodResult } from '../../methods/recipe.js';
import { FEATURE_VIS, featureVisMethod } from '../../methods/registry.js';
import { assess } from './maximize_quality.js';
import { COMPARE_FLAGS, compareMethods } from './maximize_compare.js';
import { grid } from '../../render/grid.js';
import { toImage, type RgbaImage } from '../../render/image.js';
import { required, type Flags, type FlagSpecs } from '../args.js';
import {
  ENGINE_FLAGS,
  OUT_FLAGS,
  MODEL_FLAGS,
  fileStem,
  openModelCommand,
  openOutput,
} from '../command.js';
import {
  dataSpecFor,
  evalSetFor,
  imageFrom,
  inputFitJson,
  UNIT_FLAGS,
  unitsFrom,
} from '../inputs.js';
import { checkBatchMemory, checkGridPixels, gridTile, memoryBudget } from '../limits.js';
import {
  checkMethodFlags,
  methodFlags,
  methodHelp,
  methodIn,
  optionsOf,
  type MethodRow,
} from '../method_flags.js';
import { imagesThatFit } from '../../model/memory.js';
import { Progress } from '../progress.js';
import { referencesFrom } from '../reference.js';

/** Most consecutive unit batches maximize runs for one request. */
const MAX_CHUNKS = 4;

const NEED_IMAGE = FEATURE_VIS.filter((m) => m.needs?.image).map((m) => m.name);

// Method defaults are not restated here: each method resolves its own, and the JSON reports them.
const COMMON = {
  ...MODEL_FLAGS,
  ...UNIT_FLAGS,
  method: {
    type: 'string',
    help: 'the feature-visualization method (its options: --method NAME --help)',
    choices: FEATURE_VIS.map((m) => m.name),
    default: 'erhan',
  },
  crop: {
    type: 'string',
    help: "crop tiles to the neuron's receptive field (auto: when --neuron is given)",
    choices: ['auto', 'rf', 'none'],
    default: 'auto',
  },
  steps: { type: 'int', min: 1, help: "step limit (default: the method's own, below)" },
  lr: {
    type: 'number',
    help: "step size (default: the method's own); a fraction of the input range, for yosinski a factor on every set's own rate",
  },
  target: {
    type: 'string',
    help: "what each image maximizes: unit (each of --units) or cosine:REF, the cosine similarity of the layer's activations (each position's, for a spatial layer) to reference embeddings, one image per reference (REF: a .npy or .json of one vector or K vectors, e.g. CLIP text embeddings, or an image)",
    default: 'unit',
  },
  input: {
    type: 'string',
    help: `the start image of ${NEED_IMAGE.join(', ')} (a file or DATASET:N)`,
  },
  data: {
    type: 'string',
    help: "data set for best examples, quality scores and the methods that read data (default: the model's own, if known)",
  },
  ...OUT_FLAGS,
  'unit-files': {
    type: 'string',
    help: "also write each unit's image as DIR/LAYER-METHOD/unit-N.png (a model's report/ folder is what deepvis serve shows in its unit panel)",
  },
  ...COMPARE_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;

const ROWS: MethodRow[] = FEATURE_VIS.map((m) => ({
  name: m.name,
  options: m.options,
  about: `${m.title} (${m.tagline}; ${m.paper}). Defaults: ${m.defaults}${m.cost ? `. Cost: ${m.cost}` : ''}`,
}));
const SPECS: FlagSpecs = { ...COMMON, ...methodFlags(ROWS, COMMON) };
const SYNOPSIS = `--model M --layer L [--units 0-63] [--method ${FEATURE_VIS.map((m) => m.name).join('|')}] [--compare-methods] --out DIR`;
export const help = (argv: string[] = []) =>
  methodHelp('maximize', SYNOPSIS, COMMON, ROWS, methodIn(argv));

export async function run(argv: string[]): Promise<void> {
  const opened = await openModelCommand(argv, SPECS, (f, given) => {
    required(f, 'layer');
    if (f.target !== 'unit' && !/^cosine:.+/.test(String(f.target)))
      throw new DeepvisError(
        `--target takes unit or cosine:REF (a .npy, .json or image); got '${f.target}'`,
      );
    if (f.target !== 'unit' && f['compare-methods'])
      throw new DeepvisError(
        '--compare-methods compares units; drop --target or run the methods one by one',
      );
    if (f.target !== 'unit' && (given.has('units') || given.has('neuron')))
      throw new DeepvisError(
        '--target cosine:REF makes one image per reference: drop --units and --neuron',
      );
    checkMethodFlags(
      given,
      ROWS.filter((m) => m.name === f.method),
      ROWS,
    );
  });
  const { output, engine, model } = opened;
  // Parsed with every method's options; typed by the common flags (a method's own go to optionsOf).
  const flags = opened.flags as unknown as Flags<typeof COMMON>;
  const unitOutput =
    flags['unit-files'] != null ? await openOutput(flags['unit-files'], '--unit-files') : null;
  const method = featureVisMethod(flags.method);
  const seed = flags.seed;
  const picked = unitsFrom(flags, model, required(flags, 'layer'));
  const { layer, neuron } = picked;
  // cosine:REF: the images maximize the cosine to each reference; "units" index the references.
  const vectors =
    flags.target === 'unit'
      ? null
      : await referencesFrom(flags.target.slice('cosine:'.length), model, layer);
  const directions = vectors ? { vectors, cosine: true } : undefined;
  const units = vectors ? vectors.map((_, i) => i) : picked.units;
  const req = {
    layer: layer.name,
    units,
    neuron,
    seed,
    steps: flags.steps,
    lr: flags.lr,
    directions,
  };
  const options = optionsOf(method, opened.flags);
  const quiet = Boolean(flags.quiet);
  if (flags['compare-methods']) {
    const data = await evalSetFor(model, flags.data);
    if (data && data.count < QUALITY_MIN_IMAGES) throw qualityDataTooSmall(data);
    await compareMethods(
      model,
      { layer: layer.name, units, neuron, seed, steps: req.steps },
      { output, data, quiet, modelName: flags.model },
    );
    await output.commit();
    model.dispose();
    return;
  }
  // Every unit × copy is one image of a single batch: refuse what cannot fit before starting.
  // Methods whose copies are independent run in consecutive batches of units when all do not fit,
  // up to MAX_CHUNKS (more would be hours of work, not a memory problem); past that, or for the
  // others (sets, diversity, crops couple a unit's rows), the request is refused as one batch.
  const plan = method.batch(model, req, withDefaults(method, options));
  const fit = imagesThatFit(model, memoryBudget(), { layer: layer.name, copies: plan.copies });
  const chunk = plan.chunkable && Math.ceil(units.length / fit) <= MAX_CHUNKS ? fit : units.length;
  const perBatch = Math.min(units.length, chunk);
  checkBatchMemory(model, perBatch * plan.copies, {
    layer: layer.name,
    what: `${perBatch} units × ${plan.copies} ${plan.what}`,
    hint: `fewer --units${plan.lower ? ` or ${plan.lower}` : ''}`,
  });
  // The grid (one tile per unit, a row per image when there are several): encodable?
  const [gh, gw] = model.input.shape;
  const [gridCols, gridRows] =
    plan.rows === 1
      ? [
          Math.ceil(Math.sqrt(units.length)),
          Math.ceil(units.length / Math.ceil(Math.sqrt(units.length))),
        ]
      : [units.length, plan.rows];
  checkGridPixels(
    gridCols,
    gridRows,
    gridTile(gw),
    gridTile(gh),
    `${layer.name}-${method.name}.png`,
  );
  const lack = missing(method, model, {
    data: dataSpecFor(model, flags.data) != null,
    image: flags.input != null,
  });
  if (lack) throw new DeepvisError(lack);
  const data = await evalSetFor(model, flags.data);
  // Quality scores read the data set after the optimization: too few images is said before it.
  if (data && data.count < QUALITY_MIN_IMAGES) throw qualityDataTooSmall(data);
  const input = flags.input;
  const image = method.needs?.image && input != null ? await startImage(input, model) : null;
  let result: MethodResult;
  let args;
  // Where a run that diverged stopped (its images are the best from the steps before).
  let stopped: { step: number; reason: string } | null;
  const ctx = { model, data, image, imageName: input };
  try {
    args = argsFor(method, req, options, ctx);
    const bar = new Progress(
      `${method.name} ${layer.name}`,
      method.params(model, args).steps,
      quiet,
    );
    const onStep = (info: {
      step: number;
      active: number;
      stopped?: { step: number; reason: string };
    }) => {
      bar.update(info.step + 1, `${info.active} running`);
      bar.note(info);
    };
    result = runChunked(method, model, { ...args, onStep }, chunk);
    bar.done();
    stopped = bar.stopped;
  } finally {
    image?.dispose();
  }
  const stem = `${fileStem(layer.name)}-${method.name}`;
  try {
    // Best examples and quality scores read units; a reference's have no such unit to read.
    const best =
      data && !directions ? datasetMax(model, data, layer.name, units, { neuron }) : null;
    const assessment = directions
      ? {
          quality: null,
          reference: null,
          labels: result.units.map(() => ''),
          blank: result.units.map(() => ({ causes: [] as string[] })),
        }
      : assess(model, result, { layer: layer.name, neuron, data, quiet });
    const rows = method.rows?.(result) ?? null;
    const extras = method.extras?.(result, args, { ...ctx, stem }) ?? {};
    await writeOutputs(model, result, {
      output,
      unitOutput,
      method: method.name,
      layer: layer.name,
      neuron,
      crop: flags.crop,
      rows,
      best,
      quality: assessment.labels,
      blank: assessment.blank,
    });
    for (const f of extras.figures ?? []) await output.png(`${stem}${f.suffix}.png`, f.image);
    await output.json(`${stem}.json`, {
      model: flags.model,
      layer: layer.name,
      kind: layer.kind,
      objective: result.objective,
      target: flags.target,
      neuron: neuron ?? null,
      params: result.params,
      backend: engine.backend,
      seconds: result.seconds,
      dataset: data?.name ?? null,
      quality: assessment.reference?.params ?? null,
      ...inputFitJson(),
      ...(stopped ? { stopped } : {}),
      ...extras.json,
      units: result.units.map((r, i) => ({
        ...r,
        class: classNameOf(model, layer.name, r.unit),
        bestDatasetActivation: best ? best.values[i % units.length] : null,
        bestDatasetIndex: best ? best.indices[i % units.length] : null,
        quality: assessment.quality?.[i] ?? null,
        blank: assessment.blank[i].causes.length ? assessment.blank[i] : null,
      })),
    });
  } finally {
    result.dispose();
  }
  await unitOutput?.commit();
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json (${result.seconds.toFixed(1)}s)`);
  model.dispose();
}

/** The start image [1, H, W, C] of a method that needs one. */
async function startImage(
  spec: string,
  model: Parameters<typeof imageFrom>[1],
): Promise<tf.Tensor4D> {
  const x = await imageFrom(spec, model);
  const x4 = tf.tidy(() => x.expandDims(0) as tf.Tensor4D);
  x.dispose();
  return x4;
}

async function writeOutputs(
  model: Parameters<typeof receptiveFields>[0],
  result: MethodResult,
  o: {
    output: OutputSession;
    unitOutput: OutputSession | null;
    method: string;
    layer: string;
    neuron?: [number, number];
    crop: string;
    rows: string[] | null;
    best: { values: Float32Array } | null;
    quality?: string[];
    blank?: readonly { causes: readonly string[] }[];
  },
): Promise<void> {
  const [h, w, c] = model.input.shape;
  const values = result.images.dataSync();
  const box =
    o.neuron && o.crop !== 'none'
      ? boxAt(receptiveFields(model, o.layer), o.neuron[0], o.neuron[1])
      : null;
  const tiles: RgbaImage[] = result.units.map((_, i) => {
    const img = itemOf(values, i, [h, w, c]);
    if (!box) return toImage(img, [h, w, c]);
    const cut = crop(img, [h, w, c], box);
    return toImage(cut.values, cut.shape);
  });
  const labels = result.units.map(
    (r, i) =>
      tileLabel(model, o.layer, r, o.blank?.[i]?.causes ?? []) +
      (o.quality?.[i] ? ` ${o.quality[i]}` : ''),
  );
  const title = `${o.layer} - ${o.method}${o.neuron ? ` at ${o.neuron.join(',')}` : ''}`;
  const cols = o.rows ? result.units.length / o.rows.length : undefined;
  await o.output.png(
    `${fileStem(o.layer)}-${o.method}.png`,
    grid(tiles, {
      labels,
      title,
      cols,
      rowLabels: o.rows ?? undefined,
      minTile: o.quality?.some(Boolean) ? 168 : undefined,
    }),
  );
  if (o.unitOutput && !o.rows) {
    // The folder is replaced as a whole: no unit images left from an earlier, bigger run.
    const dir = `${fileStem(o.layer)}-${o.method}`;
    o.unitOutput.replaceFolder(dir);
    for (const [i, r] of result.units.entries())
      await o.unitOutput.png(path.join(dir, `unit-${r.unit}.png`), tiles[i]);
  }
}

/** "4 Coat" for a class unit with a known name, else "4". */
const unitLabel = (model: VisModel, layer: string, unit: number): string => {
  const name = classNameOf(model, layer, unit);
  return name ? `${unit} ${name}` : String(unit);
};

/**
 * A tile's label says what the printed diagnosis says (metrics/blank.ts): a unit no data-set image
 * turns on is "dead" (its "optimum" is whatever it started from); one whose map mean never turns
 * on but whose peak does fires only in places, "local" (try --neuron center).
 */
export function tileLabel(
  model: VisModel,
  layer: string,
  r: { unit: number; activation: number },
  causes: readonly string[],
): string {
  if (causes.includes('dead')) return `${r.unit} dead`;
  if (causes.includes('local')) return `${r.unit} local`;
  return `${unitLabel(model, layer, r.unit)} ${r.activation.toPrecision(3)}`;
}
