/**
 * deepvis lincomb --model M --layer L --out DIR
 * Lee et al.'s linear combination of previous layers' filters (Erhan et al. 2009 §5): each unit drawn as
 * the weighted sum of the unit images of the layer below, keeping the top-k weights.
 */
import { LINCOMB_TOP_K, linearCombination } from '../../analysis/linear_combination.js';
import { crop } from '../../analysis/receptive_field.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { positive, required, unitList, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';

const SPECS = {
  ...MODEL_FLAGS,
  layer: { type: 'string', help: 'layer name or index (a dense or conv layer)' },
  units: { type: 'ints', help: 'units (default the first 36)' },
  k: { type: 'int', help: 'strongest connections kept per unit (top-k)', default: LINCOMB_TOP_K },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('lincomb', '--model M --layer L [--k 100] --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) =>
    positive(f, 'k'),
  );
  const layer = model.layer(required(flags, 'layer'));
  const units = unitList(flags.units, layer.units, 36);
  const started = performance.now();
  const lc = linearCombination(model, layer.name, units, flags.k);
  // Black is negative, white positive, grey zero (Erhan et al. 2009 Fig. 4).
  const { box } = lc;
  const tiles = lc.images.map((img) => {
    const cut = crop(img, lc.shape, box);
    return toImage(cut.values, cut.shape, { mode: 'symmetric', percentile: 99.5 });
  });
  const stem = `${fileStem(lc.layer)}-lincomb`;
  await output.png(
    `${stem}.png`,
    grid(tiles, {
      labels: units.map(String),
      minTile: 56,
      title: `${lc.layer}: linear combination of the filters below (top ${lc.topK} weights)`,
    }),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    backend: engine.backend,
    layer: lc.layer,
    units,
    topK: lc.topK,
    seconds: (performance.now() - started) / 1000,
  });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json`);
  model.dispose();
}
