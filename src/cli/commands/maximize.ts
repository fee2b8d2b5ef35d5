/**
 * deepvis maximize --model M --layer L --units 0-63 --out DIR
 * Synthesizes, for every requested unit at once, the input that maximizes it (Erhan et al. 2009),
 * and writes a labelled grid PNG and a JSON of per-unit results next to the best data-set example.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { datasetMax, meanNorm } from '../../analysis/dataset_max.js';
import { cropValues, measuredReceptiveField } from '../../analysis/receptive_field.js';
import { loadEvalSet } from '../../data/load.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { writePng } from '../../io/png.js';
import { erhan } from '../../methods/erhan.js';
import { checkUnits } from '../../objectives/units.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { DeepvisError } from '../../errors.js';
import { parseArgs, required, usage, type FlagSpecs } from '../args.js';
import { engineFrom, ENGINE_FLAGS, MODEL_FLAGS, modelFrom } from '../common.js';
import { Progress } from '../progress.js';

const SPECS: FlagSpecs = {
  ...MODEL_FLAGS,
  layer: { type: 'string', help: 'layer name or index' },
  units: { type: 'ints', help: "units/channels, e.g. 0-63 or 1,5,9, or 'all'", default: 'all' },
  neuron: { type: 'string', help: "one spatial neuron x,y (or 'center') of a conv channel instead of its mean" },
  crop: { type: 'string', help: "crop tiles to the neuron's receptive field (auto: when --neuron is given)", choices: ['auto', 'rf', 'none'], default: 'auto' },
  pre: {
    type: 'string',
    help: 'maximize the pre-activation of a layer with a fused monotonic activation (auto: yes for relu, elu, sigmoid, tanh, …)',
    choices: ['auto', 'yes', 'no'],
    default: 'auto',
  },
  method: { type: 'string', help: 'optimization method', choices: ['erhan'], default: 'erhan' },
  restarts: { type: 'int', help: 'random starts per unit (best kept)', default: 4 },
  steps: { type: 'int', help: 'step limit', default: 300 },
  lr: { type: 'number', help: 'step size, as a fraction of the input range', default: 0.03 },
  rho: { type: 'number', help: 'norm of the images (default: mean norm of --data, else 0.35·range·√D)' },
  data: { type: 'string', help: "data set for the best-example comparison and ρ (default: the model's own, if known)" },
  out: { type: 'string', help: 'output directory' },
  ...ENGINE_FLAGS,
};
export const help = usage('maximize', '--model M --layer L [--units 0-63] --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, SPECS);
  const out = required<string>(flags, 'out');
  const layerRef = required<string>(flags, 'layer');
  const neuronFlag = flags.neuron as string | undefined;
  if (neuronFlag && neuronFlag !== 'center' && !/^\d+,\d+$/.test(neuronFlag)) {
    throw new DeepvisError(`--neuron must be x,y or 'center'; got '${neuronFlag}'`);
  }
  for (const k of ['restarts', 'steps'] as const) {
    if ((flags[k] as number) < 1) throw new DeepvisError(`--${k} must be at least 1`);
  }
  const engine = await engineFrom(flags);
  const model = await modelFrom(flags);
  const base = model.layer(layerRef);
  // Same maximizer (the activation is monotonic), but no dead ReLU at the start and no saturated
  // sigmoid at the end, where the gradient vanishes and the image stops improving.
  const pre = flags.pre === 'yes' || (flags.pre === 'auto' && /relu|elu|selu|sigmoid|tanh|softplus|swish/.test(base.activation ?? ''));
  const layer = pre ? model.layer(`${base.name}:pre`) : base;
  let neuron: [number, number] | undefined;
  if (neuronFlag === 'center') {
    if (layer.outputShape.length !== 3) throw new DeepvisError(`--neuron needs a convolutional layer; '${base.name}' is flat`);
    neuron = [Math.floor(layer.outputShape[1] / 2), Math.floor(layer.outputShape[0] / 2)];
  } else if (neuronFlag) neuron = neuronFlag.split(',').map(Number) as [number, number];
  const units = flags.units === 'all' ? Array.from({ length: layer.units }, (_, i) => i) : (flags.units as number[]);
  checkUnits(layer, units, { neuron });
  const dataSpec = (flags.data as string | undefined) ?? (model.metadata.dataset as string | undefined);
  const data = dataSpec ? await loadEvalSet(dataSpec, model.input.shape, 0) : null;
  const quiet = Boolean(flags.quiet);

  const steps = flags.steps as number;
  const bar = new Progress(`maximize ${layer.name}`, steps, quiet);
  const result = erhan(model, {
    layer: layer.name,
    units,
    neuron,
    restarts: flags.restarts as number,
    steps,
    lr: flags.lr as number,
    rho: (flags.rho as number | undefined) ?? (data ? meanNorm(data) : undefined),
    seed: flags.seed as number,
    onStep: ({ step, active }) => bar.update(step + 1, `${active} running`),
  });
  bar.done();
  const best = data ? datasetMax(model, data, layer.name, units, { neuron }) : null;

  const [h, w, c] = model.input.shape;
  const values = result.images.dataSync();
  result.images.dispose();
  const cropToRf = neuron && flags.crop !== 'none';
  const box = cropToRf ? measuredReceptiveField(model, layer.name, neuron!) : null;
  const tiles = units.map((_, i) => {
    const img = values.subarray(i * h * w * c, (i + 1) * h * w * c);
    if (!box) return toImage(img, [h, w, c]);
    return toImage(cropValues(img, [h, w, c], box), [box.y1 - box.y0, box.x1 - box.x0, c]);
  });
  // A unit no data-set image turns on is dead; its "optimum" is whatever noise it started from.
  const labels = result.units.map((r, i) => (best && best.values[i] <= 0 && r.activation <= 0 ? `${r.unit} dead` : `${r.unit} ${r.activation.toPrecision(3)}`));
  const title = `${layer.name} (${layer.kind}) - Erhan activation maximization${neuron ? ` at ${neuron.join(',')}` : ''}`;
  const stem = `${layer.name.replace(/[^\w.-]+/g, '_')}-erhan`;
  const png = path.join(out, `${stem}.png`);
  const json = path.join(out, `${stem}.json`);
  await writePng(png, grid(tiles, { labels, title }));
  await writeJsonAtomic(json, {
    method: 'erhan',
    model: flags.model,
    layer: layer.name,
    kind: layer.kind,
    objective: result.objective,
    neuron: neuron ?? null,
    receptiveField: box,
    params: { restarts: flags.restarts, steps, lr: flags.lr, rho: result.rho, seed: flags.seed },
    backend: engine.backend,
    seconds: result.seconds,
    dataset: dataSpec ?? null,
    units: result.units.map((r, i) => ({
      ...r,
      bestDatasetActivation: best ? best.values[i] : null,
      bestDatasetIndex: best ? best.indices[i] : null,
    })),
  });
  console.log(`wrote ${png} and ${json} (${result.seconds.toFixed(1)}s)`);
  model.dispose();
}
