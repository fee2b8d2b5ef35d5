/**
 * deepvis maximize --model M --layer L --units 0-63 --method erhan|yosinski|data-driven|lucid|maco|accentuate --out DIR
 * Synthesizes, for every requested unit at once, the input that maximizes it, and writes a labelled
 * grid PNG and a JSON of the parameters and per-unit results (with the best data-set example).
 */
import * as path from 'node:path';
import { itemOf } from '../../engine/read.js';
import { datasetMax, meanNorm } from '../../analysis/dataset_max.js';
import { boxAt, crop, receptiveFields } from '../../analysis/receptive_field.js';
import { specificity } from '../../analysis/specificity.js';
import { DeepvisError } from '../../errors.js';
import type { OutputSession } from '../../io/output.js';
import type { MethodResult } from '../../methods/recipe.js';
import { compareWithBlank, dataDriven, dataDrivenParams, estimateSteps } from '../../methods/data_driven.js';
import { erhan, erhanParams } from '../../methods/erhan.js';
import { lucid, lucidParams } from '../../methods/lucid.js';
import { accentuateParams } from '../../methods/accentuate.js';
import { macoParams } from '../../methods/maco.js';
import { MODERN_FLAGS, runModern } from './maximize_modern.js';
import { assess } from './maximize_quality.js';
import { COMPARE_FLAGS, compareMethods } from './maximize_compare.js';
import { randomPresets, yosinski, yosinskiParams, YOSINSKI_PRESETS, type YosinskiSet } from '../../methods/yosinski.js';
import { grid } from '../../render/grid.js';
import { restartsGrid } from '../../render/restarts_grid.js';
import { toImage, type RgbaImage } from '../../render/image.js';
import { positive, required, usage, type Flags, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, MODEL_FLAGS, fileStem, openModelCommand, openOutput } from '../command.js';
import { evalSetFor, UNIT_FLAGS, unitsFrom } from '../inputs.js';
import { bytesPerImage, checkBatchMemory, checkGridPixels, gridTile, memoryBudget } from '../limits.js';
import { inUnitChunks, unitsPerChunk } from '../../methods/unit_chunks.js';
import { Progress } from '../progress.js';

/** Most consecutive unit batches maximize runs for one request. */
const MAX_CHUNKS = 4;

const METHODS = ['erhan', 'yosinski', 'data-driven', 'lucid', 'maco', 'accentuate'] as const;
type Method = (typeof METHODS)[number];

// Method defaults are not restated here: the library's *Params resolve them, and the JSON reports them.
const SPECS = {
  ...MODEL_FLAGS,
  ...UNIT_FLAGS,
  method: { type: 'string', help: 'erhan (norm-constrained ascent), yosinski (regularized), data-driven (seed 000), lucid (Fourier + robustness), maco (phase only, Fel 2023), accentuate (from --input, Hamblin 2024)', choices: METHODS, default: 'erhan' },
  crop: { type: 'string', help: "crop tiles to the neuron's receptive field (auto: when --neuron is given)", choices: ['auto', 'rf', 'none'], default: 'auto' },
  steps: { type: 'int', help: "step limit (default per method: erhan 300, yosinski each set's own 500–1000, lucid 256 for ≤32 px else 384–512, data-driven 60 or --estimate-steps)" },
  lr: { type: 'number', help: "step size as a fraction of the input range (default per method); yosinski: a factor on every set's own rate (default 1)" },
  restarts: { type: 'int', help: 'erhan: random starts per unit (best kept; library default 9, seed 002 §6.1)' },
  'show-restarts': { type: 'bool', help: "erhan: also write LAYER-erhan-restarts.png, every unit's restarts in a row with their mean pairwise correlation (seed 002 figs. 1–2, right)" },
  rho: { type: 'number', help: 'erhan: norm of the images (default: mean norm of --data, else 0.35·range·√D)' },
  preset: { type: 'string', help: "yosinski: the paper's hyperparameter set 1–4 (Table 1's rows), or 'all' (library default 3, the paper's best)" },
  rates: { type: 'string', help: "yosinski: the toolbox's CaffeNet pixel rates calibrated to this model (default), or taken literally", choices: ['calibrated', 'toolbox'], default: 'calibrated' },
  search: { type: 'int', help: 'yosinski: render N random hyperparameter sets side by side (the paper\'s random search)' },
  param: { type: 'string', help: 'lucid: parameterization (library default fourier)', choices: ['fourier', 'pixels'] },
  'per-unit': { type: 'int', help: 'lucid: images per unit, kept apart by a diversity term (library default 1)' },
  diversity: { type: 'number', help: "lucid: weight of the diversity term, relative to the units' typical activation (library default 1)" },
  'no-decorrelate': { type: 'bool', help: 'lucid: no colour decorrelation' },
  'no-transforms': { type: 'bool', help: 'lucid: no pad/jitter/scale/rotate' },
  'estimate-steps': { type: 'bool', help: "data-driven: set the step count from the layer's unimodal units (seed 000 §3–4)" },
  compare: { type: 'bool', help: 'data-driven: also measure steps/time to 90% of the final activation from a blank image' },
  threshold: { type: 'number', help: 'data-driven: step-filter threshold, fraction of the range (library default 0.9)' },
  data: { type: 'string', help: "data set for best examples, ρ and data-driven starts (default: the model's own, if known)" },
  out: { type: 'string', help: 'output directory' },
  'unit-files': { type: 'string', help: "also write each unit's image as DIR/LAYER-METHOD/unit-N.png (a model's report/ folder is what deepvis serve shows in its unit panel)" },
  ...MODERN_FLAGS,
  ...COMPARE_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('maximize', '--model M --layer L [--units 0-63] [--method erhan|yosinski|data-driven|lucid|maco|accentuate] [--compare-methods] --out DIR', SPECS);


/** The sets --search or --preset name; undefined (the library's default set) when neither is given. */
function presetSets(flags: Pick<Flags<typeof SPECS>, 'search' | 'preset'>, seed: number): YosinskiSet[] | undefined {
  if (flags.search != null) return randomPresets(flags.search, seed);
  const p = flags.preset;
  if (p == null) return undefined;
  if (p === 'all') return [...YOSINSKI_PRESETS];
  const k = Number(p);
  if (!Number.isInteger(k) || k < 1 || k > 4) throw new DeepvisError(`--preset must be 1, 2, 3, 4 or 'all'; got '${p}'`);
  return [YOSINSKI_PRESETS[k - 1]];
}

const setLabel = (s: YosinskiSet) =>
  `d${s.decay} b${s.blurRadius}/${s.blurEvery} n${s.normPct} c${s.contributionPct} ${s.steps}× ${s.lr.policy === 'constant' ? `lr ${s.lr.lr}` : `prog ${s.lr.progress}≤${s.lr.maxLr.toExponential(0)}`}`;

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    required(f, 'layer');
    positive(f, 'restarts', 'steps', 'search', 'per-unit', 'crops');
  });
  const unitOutput = flags['unit-files'] != null ? await openOutput(flags['unit-files'], '--unit-files') : null;
  const { method, seed } = flags;
  const { layer, base, neuron, units } = unitsFrom(flags, model, required(flags, 'layer'));
  const req = { layer: layer.name, units, neuron, seed, steps: flags.steps, lr: flags.lr };
  const sets = presetSets(flags, seed);
  const lucidArgs = { ...req, param: flags.param, perUnit: flags['per-unit'], diversityWeight: flags.diversity, decorrelate: !flags['no-decorrelate'], transforms: flags['no-transforms'] ? [] : undefined };
  // Every unit × copy is one image of a single batch: refuse what cannot fit before starting.
  const copies: Record<Method, () => [number, string]> = {
    erhan: () => [erhanParams(model, { ...req, restarts: flags.restarts }).restarts, 'restarts'], yosinski: () => [yosinskiParams({ ...req, sets }).sets.length, 'hyperparameter sets'],
    lucid: () => [lucidParams(model, lucidArgs).perUnit, 'images per unit'], 'data-driven': () => [1, 'start'],
    maco: () => [macoParams(model, { units, crops: flags.crops }).crops + 4, 'crops and a canvas'], accentuate: () => [accentuateParams({ crops: flags.crops }).crops, 'crops'],
  };
  const [k, per] = copies[method]();
  // Erhan and single-image Lucid run in consecutive batches of units when all do not fit at once;
  // the others (sets, diversity, crops couple a unit's rows) must fit in one batch.
  // Up to MAX_CHUNKS batches (more would be hours of work, not a memory problem): past that, the request is refused as one batch would be.
  const chunkable = method === 'erhan' || (method === 'lucid' && k === 1);
  const fit = unitsPerChunk(bytesPerImage(model, layer.name), k, memoryBudget());
  const chunk = chunkable && Math.ceil(units.length / fit) <= MAX_CHUNKS ? fit : units.length;
  const perBatch = Math.min(units.length, chunk);
  checkBatchMemory(model, perBatch * k, { layer: layer.name, what: `${perBatch} units × ${k} ${per}`, hint: `fewer --units${method === 'erhan' ? ' or --restarts' : ''}` });
  // The grid (one tile per unit, a row per set or image when there are several): encodable?
  const [gh, gw] = model.input.shape;
  const [gridCols, gridRows] = method === 'erhan' || k === 1 ? [Math.ceil(Math.sqrt(units.length)), Math.ceil(units.length / Math.ceil(Math.sqrt(units.length)))] : [units.length, k];
  checkGridPixels(gridCols, gridRows, gridTile(gw), gridTile(gh), `${layer.name}-${method}.png`);
  const data = await evalSetFor(model, flags.data);
  if (method === 'data-driven' && !data) throw new DeepvisError('--method data-driven starts from data-set images: give --data (mnist, fashion-mnist, a folder)');
  const quiet = Boolean(flags.quiet);
  if (flags['compare-methods']) {
    await compareMethods(model, { layer: layer.name, units, neuron, seed, steps: flags.steps }, { output, data, quiet, modelName: flags.model });
    await output.commit();
    model.dispose();
    return;
  }
  const stepsOf: Record<Method, () => number> = {
    erhan: () => erhanParams(model, req).steps, yosinski: () => yosinskiParams(req).steps, lucid: () => lucidParams(model, req).steps, 'data-driven': () => dataDrivenParams(req).steps,
    maco: () => macoParams(model, req).steps, accentuate: () => accentuateParams(req).steps,
  };
  const bar = new Progress(`${method} ${layer.name}`, stepsOf[method](), quiet);
  const onStep = ({ step, active }: { step: number; active: number }) => bar.update(step + 1, `${active} running`);
  const extra: Record<string, unknown> = {};
  let result: MethodResult;
  let rows: string[] | null = null;
  let writeExtra: ((o: OutputSession, stem: string) => Promise<void>) | null = null;
  switch (method) {
    case 'maco':
    case 'accentuate': {
      const r = await runModern(method, model, { ...req, onStep }, flags, data);
      result = r.result;
      writeExtra = r.write;
      break;
    }
    case 'erhan': {
      const rho = flags.rho ?? (data ? meanNorm(data) : undefined);
      const r = inUnitChunks(units, chunk, seed, (u, s) => erhan(model, { ...req, units: u, seed: s, restarts: flags.restarts, rho, keepRestarts: flags['show-restarts'], onStep }));
      result = r;
      if (r.restartImages) {
        const all = r.restartImages.dataSync();
        r.restartImages.dispose();
        const title = `${layer.name}: ${r.params.restarts} random restarts per unit (* kept), r = mean pairwise correlation`;
        writeExtra = async (o, stem) => void (await o.png(`${stem}-restarts.png`, restartsGrid(all, model.input.shape, r.units, title)));
      }
      break;
    }
    case 'yosinski': {
      const r = yosinski(model, { ...req, sets, rates: flags.rates as 'calibrated' | 'toolbox', onStep });
      result = r;
      rows = r.sets.map(setLabel);
      break;
    }
    case 'lucid':
      result = inUnitChunks(units, chunk, seed, (u, s) => lucid(model, { ...lucidArgs, units: u, seed: s, onStep }));
      if (k > 1) rows = Array.from({ length: k }, (_, i) => `image ${i + 1}`);
      break;
    case 'data-driven': {
      let steps = req.steps;
      if (flags['estimate-steps']) {
        // Specificity is a property of the unit's output (seed 000 §3), not of its pre-activation.
        const uni = specificity(model, data!, base.name).units.filter((u) => u.modality === 'unimodal').map((u) => u.unit);
        const est = estimateSteps(model, { ...req, units: uni, data: data!, threshold: flags.threshold, stepFraction: req.lr });
        steps = est.steps;
        extra.stepEstimate = est;
      }
      const r = dataDriven(model, { ...req, steps, data: data!, threshold: flags.threshold, stepFraction: req.lr, onStep });
      r.unfiltered.dispose();
      result = r;
      extra.starts = r.starts;
      extra.startActivations = r.startActivations;
      extra.ascentActivations = r.ascentActivations;
      if (flags.compare) extra.comparison = compareWithBlank(model, { ...req, steps, data: data!, threshold: flags.threshold, stepFraction: req.lr });
      break;
    }
  }
  bar.done();
  const best = data ? datasetMax(model, data, layer.name, units, { neuron }) : null;
  const assessment = assess(model, result, { layer: layer.name, neuron, data, quiet });
  await writeOutputs(model, result, { output, unitOutput, method, layer: layer.name, neuron, crop: flags.crop, rows, best, quality: assessment.labels });
  const stem = `${fileStem(layer.name)}-${method}`;
  await writeExtra?.(output, stem);
  await output.json(`${stem}.json`, {
    model: flags.model,
    layer: layer.name,
    kind: layer.kind,
    objective: result.objective,
    neuron: neuron ?? null,
    params: result.params,
    backend: engine.backend,
    seconds: result.seconds,
    dataset: data?.name ?? null,
    quality: assessment.reference?.params ?? null,
    ...extra,
    units: result.units.map((r, i) => ({
      ...r,
      bestDatasetActivation: best ? best.values[i % units.length] : null,
      bestDatasetIndex: best ? best.indices[i % units.length] : null,
      quality: assessment.quality?.[i] ?? null,
      blank: assessment.blank[i].causes.length ? assessment.blank[i] : null,
    })),
  });
  await unitOutput?.commit();
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json (${result.seconds.toFixed(1)}s)`);
  model.dispose();
}

async function writeOutputs(
  model: Parameters<typeof receptiveFields>[0],
  result: MethodResult,
  o: { output: OutputSession; unitOutput: OutputSession | null; method: Method; layer: string; neuron?: [number, number]; crop: string; rows: string[] | null; best: { values: Float32Array } | null; quality?: string[] },
): Promise<void> {
  const [h, w, c] = model.input.shape;
  const values = result.images.dataSync();
  result.images.dispose();
  const box = o.neuron && o.crop !== 'none' ? boxAt(receptiveFields(model, o.layer), o.neuron[0], o.neuron[1]) : null;
  const u = o.best?.values.length ?? result.units.length;
  const tiles: RgbaImage[] = result.units.map((_, i) => {
    const img = itemOf(values, i, [h, w, c]);
    if (!box) return toImage(img, [h, w, c]);
    const cut = crop(img, [h, w, c], box);
    return toImage(cut.values, cut.shape);
  });
  // A unit no data-set image turns on is dead; its "optimum" is whatever it started from.
  const labels = result.units.map((r, i) =>
    (o.best && o.best.values[i % u] <= 0 && r.activation <= 0 ? `${r.unit} dead` : `${r.unit} ${r.activation.toPrecision(3)}`) + (o.quality?.[i] ? ` ${o.quality[i]}` : ''),
  );
  const title = `${o.layer} - ${o.method}${o.neuron ? ` at ${o.neuron.join(',')}` : ''}`;
  const cols = o.rows ? result.units.length / o.rows.length : undefined;
  await o.output.png(`${fileStem(o.layer)}-${o.method}.png`, grid(tiles, { labels, title, cols, rowLabels: o.rows ?? undefined, minTile: o.quality?.some(Boolean) ? 168 : undefined }));
  if (o.unitOutput && !o.rows) {
    // The folder is replaced as a whole: no unit images left from an earlier, bigger run.
    const dir = `${fileStem(o.layer)}-${o.method}`;
    o.unitOutput.replaceFolder(dir);
    for (const [i, r] of result.units.entries()) await o.unitOutput.png(path.join(dir, `unit-${r.unit}.png`), tiles[i]);
  }
}
