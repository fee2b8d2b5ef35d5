/**
 * deepvis sensitivity --model M --layer L --units U --out DIR
 * Erhan et al.'s sensitivity analysis (§6.2): the optimal pattern of each unit by
 * activation maximization (all units in one batch), then the activation of every unit on every
 * pattern, columns normalized; a heatmap and its diagonal-dominance scores.
 */
import { sensitivity } from '../../analysis/sensitivity.js';
import { itemOf } from '../../engine/read.js';
import { DeepvisError } from '../../errors.js';
import { erhan, erhanParams } from '../../methods/erhan.js';
import { stack, grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { heatmap } from '../../render/plots.js';
import { positive, required, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { UNIT_FLAGS, unitsFrom } from '../inputs.js';
import { checkBatchMemory } from '../limits.js';
import { Progress } from '../progress.js';

const SPECS = {
  ...MODEL_FLAGS,
  ...UNIT_FLAGS,
  units: { type: 'ints', help: 'units (rows and columns), e.g. 0-35', default: '0-35' },
  steps: { type: 'int', help: "activation-maximization steps (default: erhan's)" },
  restarts: { type: 'int', help: 'random starts per unit (the best is the pattern)', default: 2 },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('sensitivity', '--model M --layer L [--units 0-35] --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) =>
    positive(f, 'steps', 'restarts'),
  );
  const req = unitsFrom(flags, model, required(flags, 'layer'));
  if (req.units.length < 2) throw new DeepvisError('a sensitivity matrix needs at least 2 units');
  checkBatchMemory(model, req.units.length * flags.restarts, {
    layer: req.layer.name,
    what: `${req.units.length} units × ${flags.restarts} restarts`,
    hint: 'fewer --units or --restarts',
  });
  const args = {
    layer: req.layer.name,
    units: req.units,
    neuron: req.neuron,
    steps: flags.steps,
    restarts: flags.restarts,
    seed: flags.seed,
  };
  const bar = new Progress(
    `optimize ${req.units.length} units`,
    erhanParams(model, args).steps,
    Boolean(flags.quiet),
  );
  const opt = erhan(model, {
    ...args,
    onStep: (info) => {
      bar.update(info.step + 1);
      bar.note(info);
    },
  });
  bar.done();
  // Measured on the layer's output (post-activation, as in the paper), whatever was optimized.
  const s = sensitivity(model, req.base.name, req.units, opt.images);
  const [h, w, c] = model.input.shape;
  const px = opt.images.dataSync();
  opt.images.dispose();
  const patterns = grid(
    req.units.map((_, i) => toImage(itemOf(px, i, [h, w, c]), [h, w, c])),
    { labels: req.units.map(String), minTile: 28 },
  );
  const names = req.units.map(String);
  const map = heatmap(s.normalized, {
    title: `${s.layer}: unit j on the optimum of unit i`,
    rowLabels: names,
    colLabels: names,
    rowAxis: 'rows: pattern of unit i',
    colAxis: 'columns: unit j (normalized per column)',
  });
  const stem = `${fileStem(s.layer)}-sensitivity`;
  await output.png(
    `${stem}.png`,
    stack([
      {
        title: `diagonal wins ${(100 * s.diagonalWins).toFixed(0)}%, diagonal / off-diagonal ${s.diagonalRatio.toFixed(1)}x`,
        image: map,
      },
      { title: 'optimal patterns', image: patterns },
    ]),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    backend: engine.backend,
    optimized: req.layer.name,
    steps: opt.params.steps,
    ...s,
    optimization: opt.units,
  });
  await output.commit();
  console.log(
    `diagonal wins ${(100 * s.diagonalWins).toFixed(0)}%, diagonal/off-diagonal ${s.diagonalRatio.toFixed(2)}; wrote ${output.final(stem)}.png and ${stem}.json`,
  );
  model.dispose();
}
