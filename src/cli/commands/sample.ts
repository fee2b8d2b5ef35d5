/**
 * deepvis sample --model DBN --layer h2 --units 0-9 --out DIR: samples of a DBN with one unit
 * clamped (Erhan et al. 2009, §4). One row per unit: its samples, then their mean. By default one
 * chain per unit sampled every 100 iterations (§6.1); --chains independent runs one chain per sample.
 */
import { existsSync } from 'node:fs';
import { itemOf } from '../../engine/read.js';
import * as path from 'node:path';
import { loadModel } from '../../io/model_files.js';
import { GIBBS_STEPS, SAMPLE_EVERY, sampleDbnUnits } from '../../methods/dbn_sample.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { parseArgs, positive, required, unitList, usage, type FlagSpecs } from '../args.js';
import {
  engineFrom,
  ENGINE_FLAGS,
  figureFrom,
  OUT_FLAGS,
  MODEL_FLAGS,
  modelFrom,
  openOutput,
} from '../command.js';

const SPECS = {
  ...MODEL_FLAGS,
  layer: { type: 'string', help: 'hidden layer (h1, h2, …)' },
  units: { type: 'ints', help: 'units to clamp', default: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  samples: { type: 'int', help: 'samples per unit', default: 8 },
  chains: {
    type: 'string',
    help: 'one: a chain per unit, sampled every --every iterations (Erhan et al. 2009 §6.1); independent: a chain per sample, --gibbs steps each',
    choices: ['one', 'independent'],
    default: 'one',
  },
  every: {
    type: 'int',
    help: 'one chain: Gibbs iterations between samples',
    default: SAMPLE_EVERY,
  },
  gibbs: {
    type: 'int',
    help: 'independent chains: Gibbs steps of each in the top RBM',
    default: GIBBS_STEPS,
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('sample', '--model DBN --layer hJ --units 0-9 --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, SPECS);
  const out = required(flags, 'out');
  const layer = required(flags, 'layer');
  const samples = flags.samples;
  positive(flags, 'samples', 'gibbs', 'every');
  const output = await openOutput(out, '--out', figureFrom(flags));
  await engineFrom(flags);
  let model = await modelFrom(flags);
  // A fine-tuned DBN keeps its generative (pre-trained) twin in pretrained/: sample that one.
  const modelPath = String(flags.model);
  const twin = path.join(
    modelPath.endsWith('.json') ? path.dirname(modelPath) : modelPath,
    'pretrained',
  );
  if (
    (model.metadata.stack as { finetuned?: boolean } | undefined)?.finetuned &&
    existsSync(path.join(twin, 'model.json'))
  ) {
    model.dispose();
    model = await loadModel(twin);
    console.log(
      `sampling the pre-trained generative model in ${twin} (fine-tuning changed the recognition weights)`,
    );
  }
  const units = unitList(flags.units, model.layer(layer).units);
  const t0 = performance.now();
  const chains = flags.chains as 'one' | 'independent';
  const r = sampleDbnUnits(model, {
    layer,
    units,
    samples,
    chains,
    every: flags.every,
    gibbs: flags.gibbs,
    seed: flags.seed,
  });
  const [h, w, c] = model.input.shape;
  const s = r.samples.dataSync();
  const m = r.means.dataSync();
  r.samples.dispose();
  r.means.dispose();
  const tiles = [];
  const labels = [];
  for (let k = 0; k < units.length; k++) {
    for (let i = 0; i < samples; i++) {
      tiles.push(
        toImage(itemOf(s, k * samples + i, [h, w, c]), [h, w, c], { mode: 'range', range: [0, 1] }),
      );
      labels.push(i === 0 ? `u${units[k]}` : '');
    }
    tiles.push(toImage(itemOf(m, k, [h, w, c]), [h, w, c], { mode: 'range', range: [0, 1] }));
    labels.push('mean');
  }
  const stem = `${model.layer(layer).name}-samples`;
  await output.png(
    `${stem}.png`,
    grid(tiles, {
      cols: samples + 1,
      labels,
      title: `${layer}: samples with one unit clamped (${chains === 'one' ? `one chain, every ${flags.every} iterations` : `${samples} chains of ${flags.gibbs} steps`}), and their mean`,
      minTile: 28,
    }),
  );
  await output.json(`${stem}.json`, {
    layer,
    units,
    samples,
    chains,
    ...(chains === 'one' ? { every: flags.every } : { gibbs: flags.gibbs }),
    takenAt: r.takenAt,
    seed: flags.seed,
    seconds: (performance.now() - t0) / 1000,
  });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png`);
  model.dispose();
}
