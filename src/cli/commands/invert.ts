/**
 * deepvis invert --model M --layer L --input IMAGE --out DIR
 * Reconstructs the image from its representation at layer L (Mahendran & Vedaldi; seed 001 §7)
 * from several random starts, and reports each reconstruction's normalized representation error.
 */
import { invert } from '../../methods/invert.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { positive, required, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../common.js';
import { imageFrom } from '../inputs.js';
import { checkBatchMemory } from '../limits.js';
import { Progress } from '../progress.js';

const SPECS: FlagSpecs = {
  ...MODEL_FLAGS,
  layer: { type: 'string', help: "layer name(s) or index(es), comma-separated (one reconstruction set per layer)" },
  input: { type: 'string', help: 'image to invert: a file or DATASET:INDEX (e.g. mnist:7)' },
  restarts: { type: 'int', help: 'reconstructions from different random starts', default: 4 },
  steps: { type: 'int', help: 'Adam steps', default: 400 },
  lr: { type: 'number', help: 'Adam learning rate, fraction of the input range', default: 0.05 },
  alpha: { type: 'number', help: 'α of the α-norm prior', default: 6 },
  'lambda-alpha': { type: 'number', help: 'weight of the α-norm prior', default: 1 },
  beta: { type: 'number', help: 'β of the TV^β prior', default: 2 },
  'lambda-tv': { type: 'number', help: 'weight of the total-variation prior', default: 0.5 },
  out: { type: 'string', help: 'output directory' },
  ...ENGINE_FLAGS,
};
export const help = usage('invert', '--model M --layer L[,L2…] --input IMAGE --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    required<string>(f, 'layer');
    required<string>(f, 'input');
    positive(f, 'restarts', 'steps');
  });
  const layerRefs = (flags.layer as string).split(',');
  const input = flags.input as string;
  const layers = layerRefs.map((l) => model.layer(l));
  for (const l of layers) checkBatchMemory(model, flags.restarts as number, { layer: l.name, what: `${flags.restarts} restarts`, hint: 'fewer --restarts' });
  const photo = await imageFrom(input, model);
  const [h, w, c] = model.input.shape;
  const norm = { mode: 'range', range: model.input.range } as const;
  const tiles = [toImage(photo.dataSync(), [h, w, c], norm)];
  const labels = ['input'];
  const results = [];
  for (const layer of layers) {
    const bar = new Progress(`invert ${layer.name}`, flags.steps as number, Boolean(flags.quiet));
    const r = invert(model, photo, {
      layer: layer.name, restarts: flags.restarts as number, steps: flags.steps as number, lr: flags.lr as number,
      alpha: flags.alpha as number, lambdaAlpha: flags['lambda-alpha'] as number, beta: flags.beta as number,
      lambdaTV: flags['lambda-tv'] as number, seed: flags.seed as number, onStep: ({ step }) => bar.update(step + 1),
    });
    bar.done();
    const v = r.images.dataSync();
    r.images.dispose();
    r.errors.forEach((e, i) => {
      tiles.push(toImage(v.subarray(i * h * w * c, (i + 1) * h * w * c), [h, w, c], norm));
      labels.push(`${layer.name} ${e.toFixed(3)}`);
    });
    results.push({ layer: layer.name, errors: r.errors, params: r.params, seconds: r.seconds });
  }
  photo.dispose();
  const stem = `${fileStem(layers.map((l) => l.name).join('+'))}-invert`;
  // Row 1: the input; then one row per layer (label: normalized representation error).
  const k = flags.restarts as number;
  await output.png(`${stem}.png`, grid([...tiles.slice(0, 1), ...Array(k - 1).fill(null).map(() => toImage(new Float32Array(h * w * c).fill(1), [h, w, c], { mode: 'range', range: [0, 1] })), ...tiles.slice(1)], {
    cols: k, labels: [labels[0], ...Array(k - 1).fill(''), ...labels.slice(1)], title: 'inversion (label: layer, normalized error)',
  }));
  await output.json(`${stem}.json`, { model: flags.model, input, backend: engine.backend, layers: results });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json`);
  model.dispose();
}
