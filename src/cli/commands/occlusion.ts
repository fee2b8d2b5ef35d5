/**
 * deepvis occlusion --model M --input IMAGE --out DIR
 * Zeiler & Fergus's occlusion experiment: a grey square slid over the input, the drop of the target
 * (a class score by default, or --layer/--units/--neuron) mapped per position; batched.
 */
import { occlusion } from '../../analysis/occlusion.js';
import { parseNeuron } from '../../objectives/neuron.js';
import type { TargetSpec } from '../../objectives/target.js';
import type { VisModel } from '../../model/types.js';
import { grid } from '../../render/grid.js';
import { heatImage, heatOverlay } from '../../render/heat.js';
import { toImage } from '../../render/image.js';
import { required, usage, type Flags, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, MODEL_FLAGS, openModelCommand } from '../command.js';
import { inputStem } from '../../render/names.js';
import { imageFrom, inputFitJson } from '../inputs.js';

export const TARGET_FLAGS = {
  layer: { type: 'string', help: 'target layer (default: the logits, i.e. class scores)' },
  units: {
    type: 'ints',
    help: 'target unit/class: one for all images or one per image (default: the top-scoring one)',
  },
  neuron: {
    type: 'string',
    help: "conv target: a spatial neuron x,y, 'center' or 'max' (the strongest position); default the channel mean",
  },
} as const satisfies FlagSpecs;

export function targetFrom(
  flags: Partial<Flags<typeof TARGET_FLAGS>>,
  model: VisModel,
): TargetSpec {
  const layer = flags.layer ? model.layer(flags.layer).name : undefined;
  return {
    layer,
    units: flags.units === 'all' ? undefined : flags.units,
    neuron: flags.neuron ? parseNeuron(flags.neuron) : undefined,
  };
}

const SPECS = {
  ...MODEL_FLAGS,
  input: { type: 'string', help: 'image: a file or DATASET:INDEX' },
  ...TARGET_FLAGS,
  size: { type: 'int', help: 'side of the square in pixels (default a quarter of the input)' },
  stride: { type: 'int', help: 'step between squares (default half the size)' },
  fill: {
    type: 'number',
    help: "the square's value (default: mid-grey for colour inputs, the dark background for one-channel ones)",
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('occlusion', '--model M --input IMAGE --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) =>
    required(f, 'input'),
  );
  const input = required(flags, 'input');
  const image = await imageFrom(input, model);
  const r = occlusion(model, image, {
    ...targetFrom(flags, model),
    size: flags.size,
    stride: flags.stride,
    fill: flags.fill,
  });
  const [h, w, c] = model.input.shape;
  const base = toImage(image.dataSync(), [h, w, c], { mode: 'range', range: model.input.range });
  image.dispose();
  const what = `${r.layer} ${model.labels?.[r.unit] ?? r.unit}${r.neuron ? ` at ${r.neuron.join(',')}` : ''}`;
  const stem = `occlusion-${inputStem(input)}`;
  const negative = r.heat.some((v) => v < 0);
  await output.png(
    `${stem}.png`,
    grid(
      [
        base,
        heatOverlay(
          base,
          r.heat.map((v) => Math.max(v, 0)),
        ),
        heatImage(r.heat, h, w, { signed: negative }),
      ],
      {
        labels: ['input', 'drop', negative ? 'drop (signed)' : 'drop'],
        minTile: 112,
        cols: 3,
        title: `occlusion ${r.size}px/${r.stride}: ${what}, base ${r.base.toPrecision(3)}`,
      },
    ),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    input,
    ...inputFitJson(),
    backend: engine.backend,
    ...r,
    class: model.labels?.[r.unit] ?? null,
    heat: Array.from(r.heat, (v) => +v.toPrecision(5)),
  });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json (${r.seconds.toFixed(2)}s)`);
  model.dispose();
}
