/**
 * deepvis invert --model M --layer L --input IMAGE --out DIR
 * Reconstructs the image from its representation at layer L (Mahendran & Vedaldi; Cavojska 2015 §7)
 * from several random starts, and reports each reconstruction's normalized representation error.
 * --style: Gatys et al.'s style representation instead — the layer's Gram matrices matched from
 * white noise (what co-occurs in the layer, with where it is thrown away).
 */
import { invert, invertParams } from '../../methods/invert.js';
import { itemOf } from '../../engine/read.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { positive, required, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { imageFrom, inputFitJson } from '../inputs.js';
import { checkBatchMemory } from '../limits.js';
import { Progress } from '../progress.js';

// No defaults here: the library resolves them (invertParams) and the JSON reports them.
const SPECS = {
  ...MODEL_FLAGS,
  layer: {
    type: 'string',
    help: 'layer name(s) or index(es), comma-separated (one reconstruction set per layer)',
  },
  input: { type: 'string', help: 'image to invert: a file or DATASET:INDEX (e.g. mnist:7)' },
  style: {
    type: 'bool',
    help: "match the layer's Gram matrices (Gatys's style representation) from noise, priors off unless given",
  },
  restarts: {
    type: 'int',
    help: 'reconstructions from different random starts (library default 4)',
  },
  steps: { type: 'int', help: 'Adam steps (library default 400)' },
  lr: { type: 'number', help: 'Adam learning rate, fraction of the input range' },
  alpha: { type: 'number', help: 'α of the α-norm prior' },
  'lambda-alpha': { type: 'number', help: 'weight of the α-norm prior' },
  beta: { type: 'number', help: 'β of the TV^β prior' },
  'lambda-tv': { type: 'number', help: 'weight of the total-variation prior' },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('invert', '--model M --layer L[,L2…] --input IMAGE --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    required(f, 'layer');
    required(f, 'input');
    positive(f, 'restarts', 'steps');
  });
  const input = required(flags, 'input');
  const layers = required(flags, 'layer')
    .split(',')
    .map((l) => model.layer(l));
  const request = {
    restarts: flags.restarts,
    steps: flags.steps,
    lr: flags.lr,
    alpha: flags.alpha,
    lambdaAlpha: flags['lambda-alpha'],
    beta: flags.beta,
    lambdaTV: flags['lambda-tv'],
    seed: flags.seed,
    style: flags.style === true,
  };
  const resolved = invertParams(model, { ...request, layer: layers[0].name });
  for (const l of layers)
    checkBatchMemory(model, resolved.restarts, {
      layer: l.name,
      what: `${resolved.restarts} restarts`,
      hint: 'fewer --restarts',
    });
  const photo = await imageFrom(input, model);
  const [h, w, c] = model.input.shape;
  const norm = { mode: 'range', range: model.input.range } as const;
  const tiles = [toImage(photo.dataSync(), [h, w, c], norm)];
  const labels = ['input'];
  const results = [];
  for (const layer of layers) {
    const bar = new Progress(
      `${request.style ? 'style' : 'invert'} ${layer.name}`,
      resolved.steps,
      Boolean(flags.quiet),
    );
    const r = invert(model, photo, {
      ...request,
      layer: layer.name,
      onStep: (info) => {
        bar.update(info.step + 1);
        bar.note(info);
      },
    });
    bar.done();
    const v = r.images.dataSync();
    r.images.dispose();
    r.errors.forEach((e, i) => {
      tiles.push(toImage(itemOf(v, i, [h, w, c]), [h, w, c], norm));
      labels.push(`${layer.name} ${e.toFixed(3)}`);
    });
    results.push({
      layer: layer.name,
      errors: r.errors,
      startErrors: r.startErrors,
      params: r.params,
      seconds: r.seconds,
    });
  }
  photo.dispose();
  const stem = `${fileStem(layers.map((l) => l.name).join('+'))}-${request.style ? 'style' : 'invert'}`;
  // Row 1: the input; then one row per layer (label: normalized representation error).
  const k = resolved.restarts;
  await output.png(
    `${stem}.png`,
    grid(
      [
        ...tiles.slice(0, 1),
        ...Array(k - 1)
          .fill(null)
          .map(() =>
            toImage(new Float32Array(h * w * c).fill(1), [h, w, c], {
              mode: 'range',
              range: [0, 1],
            }),
          ),
        ...tiles.slice(1),
      ],
      {
        cols: k,
        labels: [labels[0], ...Array(k - 1).fill(''), ...labels.slice(1)],
        title: request.style
          ? 'style (Gram) reconstruction (label: layer, normalized Gram error)'
          : 'inversion (label: layer, normalized error)',
      },
    ),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    input,
    ...inputFitJson(),
    backend: engine.backend,
    layers: results,
  });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json`);
  model.dispose();
}
