/**
 * deepvis activations --model M --input IMAGE --out DIR
 * Every layer's response to one input (Yosinski et al. 2015's live activations, as files): one PNG per layer
 * (a tile per channel, one scale per layer), an overview of all layers with the input and the top
 * predictions, and JSON with the predictions and each channel's max and mean.
 */
import { activationsOf, topPredictions } from '../../analysis/activations.js';
import { scannableLayers } from '../../analysis/scan.js';
import { activationGrid } from '../../render/activation_grid.js';
import { stack } from '../../render/grid.js';
import { toImage, upscale } from '../../render/image.js';
import { required, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { imageFrom, inputFitJson } from '../inputs.js';

const SPECS = {
  ...MODEL_FLAGS,
  input: { type: 'string', help: 'image: a file or DATASET:INDEX (e.g. mnist:7)' },
  layers: {
    type: 'string',
    help: "comma-separated layers, or 'all' (every layer that is not a reshape/copy)",
    default: 'all',
  },
  top: { type: 'int', help: 'predictions listed', default: 5 },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('activations', '--model M --input IMAGE --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) =>
    required(f, 'input'),
  );
  const input = required(flags, 'input');
  const layers =
    flags.layers === 'all' ? scannableLayers(model).map((l) => l.name) : flags.layers.split(',');
  const image = await imageFrom(input, model);
  const acts = activationsOf(model, image, layers);
  const top = topPredictions(model, image, flags.top);
  const [h, w, c] = model.input.shape;
  const inputTile = upscale(
    toImage(image.dataSync(), [h, w, c], { mode: 'range', range: model.input.range }),
    Math.max(1, Math.ceil(112 / w)),
  );
  image.dispose();
  const parts = [
    {
      title: `input ${input} - top: ${top
        .slice(0, 3)
        .map((p) => `${p.label} ${(100 * p.probability).toFixed(1)}%`)
        .join(', ')}`,
      image: inputTile,
    },
  ];
  const files: string[] = [];
  for (const a of acts) {
    const img = activationGrid(a);
    files.push(await output.png(`activations-${fileStem(a.layer)}.png`, img));
    parts.push({ title: `${a.layer} ${a.kind} [${a.shape.join('x')}]`, image: img });
  }
  await output.png('activations.png', stack(parts));
  const summary = acts.map((a) => {
    const channels = a.shape.length === 3 ? a.shape[2] : 1;
    const per = a.values.length / channels;
    const max = Array.from({ length: channels }, (_, k) => {
      let m = -Infinity;
      for (let i = 0; i < per; i++) m = Math.max(m, a.values[i * channels + k]);
      return m;
    });
    const mean = Array.from({ length: channels }, (_, k) => {
      let s = 0;
      for (let i = 0; i < per; i++) s += a.values[i * channels + k];
      return s / per;
    });
    const order = (a.shape.length === 3 ? max : Array.from(a.values))
      .map((v, i) => [v, i])
      .sort((x, y) => y[0] - x[0])
      .slice(0, 10)
      .map(([v, i]) => ({ unit: i, value: v }));
    return {
      layer: a.layer,
      kind: a.kind,
      shape: a.shape,
      strongest: order,
      ...(a.shape.length === 3
        ? { channelMax: max, channelMean: mean }
        : { values: Array.from(a.values) }),
    };
  });
  await output.json('activations.json', {
    model: flags.model,
    input,
    ...inputFitJson(),
    backend: engine.backend,
    predictions: top,
    layers: summary,
  });
  await output.commit();
  console.log(
    `wrote ${output.final('activations.png')}, ${files.length} layer images and activations.json`,
  );
  model.dispose();
}
