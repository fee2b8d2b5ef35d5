/**
 * deepvis embed --model M --layer L [--data D] --out DIR
 * Agrawal & Balani §4.3: a layer's activations over a data set reduced to 2-D (t-SNE by default, UMAP,
 * PCA; PCA to 50 dimensions first for wide layers), drawn as the input thumbnails at their
 * coordinates coloured by label, with the 5-nearest-neighbour label agreement as a number.
 */
import { embed, EMBED_DEFAULTS } from '../../analysis/embedding.js';
import { itemOf } from '../../engine/read.js';
import { subset } from '../../data/dataset.js';
import { DeepvisError } from '../../errors.js';
import { Rng } from '../../engine/rng.js';
import { toImage } from '../../render/image.js';
import { thumbnailScatter } from '../../render/plots.js';
import { usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { DATA_FLAGS, dataFrom } from '../inputs.js';

const SPECS = {
  ...MODEL_FLAGS,
  ...DATA_FLAGS,
  layer: { type: 'string', help: 'layer name or index (default: the one before the logits)' },
  method: {
    type: 'string',
    help: '2-D reduction',
    choices: ['tsne', 'umap', 'pca'],
    default: 'tsne',
  },
  count: { type: 'int', help: 'images embedded (a seeded random subset)', default: 1000 },
  'pca-first': {
    type: 'int',
    help: 'reduce to this many dimensions by PCA first when wider (0: never)',
    default: EMBED_DEFAULTS.pcaFirst,
  },
  perplexity: { type: 'number', help: 't-SNE perplexity', default: EMBED_DEFAULTS.perplexity },
  iterations: { type: 'int', help: 't-SNE / UMAP iterations', default: 500 },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage(
  'embed',
  '--model M [--layer L] [--method tsne|umap|pca] --out DIR',
  SPECS,
);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    if (f.count < 5) throw new DeepvisError('--count must be at least 5');
  });
  const logits = model.logitsLayer ? model.layer(model.logitsLayer) : null;
  const layer = model.layer(
    flags.layer ??
      (logits && logits.index > 0
        ? model.layers.filter((l) => l.index < logits.index && l.kind !== 'Dropout').pop()!.name
        : model.layers[model.layers.length - 1].name),
  );
  const { set: full } = await dataFrom(flags, model);
  const n = Math.min(flags.count, full.count);
  const set = subset(full, new Rng(flags.seed).permutation(full.count).slice(0, n));
  const e = embed(model, set, layer.name, {
    method: flags.method,
    pcaFirst: flags['pca-first'],
    perplexity: flags.perplexity,
    iterations: flags.iterations,
    seed: flags.seed,
  });
  const [h, w, c] = model.input.shape;
  const thumbs = Array.from({ length: n }, (_, i) =>
    toImage(itemOf(set.images, i, [h, w, c]), [h, w, c], {
      mode: 'range',
      range: model.input.range,
    }),
  );
  const score =
    e.knnAccuracy == null ? '' : `, 5-NN label agreement ${(100 * e.knnAccuracy).toFixed(1)}%`;
  const stem = `${fileStem(layer.name)}-${e.method}`;
  await output.png(
    `${stem}.png`,
    thumbnailScatter(e.points, thumbs, e.labels, {
      title: `${layer.name}: ${e.method} of ${n} images (${e.dims} dims${score})`,
      classNames: set.classNames ?? model.labels ?? undefined,
      tint: c === 1,
    }),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    backend: engine.backend,
    layer: layer.name,
    method: e.method,
    dims: e.dims,
    knnAccuracy: e.knnAccuracy,
    seconds: e.seconds,
    points: e.points.map(([x, y], i) => ({
      x: +x.toPrecision(5),
      y: +y.toPrecision(5),
      label: e.labels?.[i] ?? null,
    })),
  });
  await output.commit();
  console.log(
    `${e.method} in ${e.seconds.toFixed(1)}s${score}; wrote ${output.final(stem)}.png and ${stem}.json`,
  );
  model.dispose();
}
