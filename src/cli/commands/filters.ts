/** deepvis filters --model M [--layer L] [--units 0-99] --out DIR: first-layer weights as images. */
import { firstLayerFilters } from '../../analysis/filters.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';

const SPECS = {
  ...MODEL_FLAGS,
  layer: { type: 'string', help: 'layer (default: the first with weights)' },
  units: { type: 'ints', help: 'units to draw (default the first 100)' },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('filters', '--model M [--layer L] --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, model } = await openModelCommand(argv, SPECS);
  const wanted = flags.units === 'all' ? undefined : flags.units;
  const f = firstLayerFilters(model, flags.layer, wanted);
  const units = wanted ?? f.images.map((_, i) => i);
  // Zero weight is mid-grey in every tile: symmetric scaling per filter.
  const tiles = f.images.map((img) => toImage(img, f.shape, { mode: 'symmetric' }));
  const stem = `${fileStem(f.layer)}-filters`;
  await output.png(
    `${stem}.png`,
    grid(tiles, {
      labels: units.map(String),
      title: `${f.layer} filters (${model.metadata.arch ?? model.format})`,
      minTile: 28,
    }),
  );
  await output.json(`${stem}.json`, { layer: f.layer, shape: f.shape, units, norms: f.norms });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png`);
  model.dispose();
}
