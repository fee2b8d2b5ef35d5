/**
 * `deepvis reproduce 003`: Agrawal & Balani's VGG16 project report. VGG16 cannot ship,
 * so its recipes (paper_003_recipes.ts) run on `ctx.model` when the user gives one (loaded with
 * loadModel: ONNX, Keras, tfjs), and otherwise on deepvis's small CNN trained here; the claims
 * that only VGG16 can answer are then 'not applicable', with why. Every number comes from the run.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { toRange } from '../data/dataset.js';
import { decodeImage } from '../io/image.js';
import { loadModel } from '../io/model_files.js';
import type { VisModel } from '../model/types.js';
import { buildClassifier } from '../train/architectures.js';
import { fitClassifier } from '../train/fit.js';
import { median, mnistSplit, pct, savePng, visOf } from './figure_io.js';
import {
  ascentRecipe,
  convLayers,
  deconvRecipe,
  lastDense,
  tsneRecipe,
} from './paper_003_recipes.js';
import type { Claim, Paper, PaperFigure, ReproduceContext } from './types.js';

/** Debian's python3-skimage photographs: the natural images a user model is shown when it does not take MNIST. */
export const PHOTO_DIR = '/usr/lib/python3/dist-packages/skimage/data';
/** Its photographs of objects and scenes (not its test patterns, masks or truncated files). */
const PHOTOS = [
  'astronaut.png',
  'chelsea.png',
  'coffee.png',
  'motorcycle_left.png',
  'motorcycle_right.png',
  'rocket.jpg',
  'camera.png',
  'coins.png',
  'moon.png',
  'hubble_deep_field.jpg',
  'retina.jpg',
  'ihc.png',
  'brick.png',
  'grass.png',
  'gravel.png',
];

async function imagesFor(
  m: VisModel,
  ctx: ReproduceContext,
  count: number,
): Promise<{ set: ImageSet; what: string }> {
  const [h, w, c] = m.input.shape;
  if (h === 28 && w === 28 && c === 1) {
    const { test } = await mnistSplit(ctx.seed, 0, count);
    return { set: toRange(test, m.input.range), what: `${test.count} MNIST test digits` };
  }
  const files = existsSync(PHOTO_DIR)
    ? readdirSync(PHOTO_DIR)
        .filter((f) => PHOTOS.includes(f))
        .sort()
        .slice(0, count)
    : [];
  const [lo, hi] = m.input.range;
  const images = new Float32Array(Math.max(files.length, 8) * h * w * c);
  for (const [i, f] of files.entries()) {
    const px = await decodeImage(path.join(PHOTO_DIR, f), { height: h, width: w, channels: c });
    images.set(
      px.data.map((v) => lo + v * (hi - lo)),
      i * h * w * c,
    );
  }
  if (files.length === 0)
    images.set(
      tf.tidy(() => tf.randomUniform([8 * h * w * c], lo, hi, 'float32', ctx.seed).dataSync()),
    );
  const n = Math.max(files.length, 8);
  return {
    set: {
      name: files.length ? 'skimage photos' : 'noise',
      images,
      labels: null,
      count: n,
      shape: [h, w, c],
      classNames: null,
    } as ImageSet,
    what: files.length
      ? `${n} photographs from ${PHOTO_DIR}`
      : '8 uniform-noise images (no photographs on this machine)',
  };
}

async function ownCnn(ctx: ReproduceContext) {
  const { train, test } = await mnistSplit(
    ctx.seed,
    ctx.quick ? 1000 : 8000,
    ctx.quick ? 300 : 2000,
  );
  const model = buildClassifier('cnn', train.shape, 10, ctx.seed);
  const epochs = ctx.quick ? 1 : 3;
  const h = await fitClassifier(model, train, test, 10, { epochs, seed: ctx.seed, shift: 2 });
  const meta = {
    arch: 'cnn',
    inputRange: [0, 1] as [number, number],
    channelOrder: 'gray' as const,
    imageShape: [28, 28, 1] as [number, number, number],
    logitsLayer: 'logits',
  };
  return {
    vis: visOf(model, meta),
    dispose: () => model.dispose(),
    what: `deepvis's small CNN trained on ${train.count} MNIST digits for ${epochs} epoch(s) (test accuracy ${pct(h[h.length - 1].testAccuracy)})`,
  };
}

async function run(ctx: ReproduceContext) {
  const t0 = performance.now();
  const user = ctx.model ? await loadModel(ctx.model) : null;
  const own = user ? null : await ownCnn(ctx);
  const m = user ?? own!.vis;
  const { set, what } = await imagesFor(m, ctx, ctx.quick ? 60 : 500);
  const convs = convLayers(m);
  const figures: PaperFigure[] = [];
  const claims: Claim[] = [];
  const na = (section: string, claim: string, paper: string): Claim => ({
    section,
    claim,
    paper,
    ours: '—',
    verdict: 'not applicable',
    why: 'needs VGG16, which deepvis cannot ship: run `deepvis reproduce 003 --model vgg16.onnx` (or .h5)',
  });

  // §4.1 deconvnet: the paper's "16th filter of layer 17" is VGG16's deepest conv layer (block5_conv3), filter 16.
  const deep = convs[convs.length - 1];
  const unit = Math.min(15, deep.units - 1);
  const dc = deconvRecipe(m, set, deep, unit, ctx.quick ? 2 : 4);
  figures.push({
    figure: 'figs. 3, 6, 7',
    src: await savePng(ctx, 'fig3-deconvnet.png', dc.image),
    paperCaption:
      '16th filter of layer 17 of VGGnet visualized using the deconvnet; deconvnet outputs, with switched pooling and with the variant that only keeps the maximum values.',
    ours: `${deep.name} filter ${unit} (the deepest conv layer, the 16th filter) on ${user ? ctx.model : 'the small CNN'}: its top ${dc.top.length} of ${what}, projected with switches and without.`,
  });
  claims.push({
    section: '§4.1',
    claim:
      'unpooling through the recorded switches reconstructs the image structure better than keeping only the maxima',
    paper: 'two variants (qualitative)',
    ours: `structure correlation ${dc.switches.toFixed(3)} (switches) vs ${dc.nearest.toFixed(3)} (no switches); projections agree ${dc.agreement.toFixed(3)}`,
    verdict: dc.switches > dc.nearest ? 'reproduced' : 'differs',
    why: '|corr(|projection|, image luminance)| over pixels, mean of the top images; reproduced when switches are higher',
    values: { switches: dc.switches, nearest: dc.nearest, agreement: dc.agreement },
  });
  if (!user)
    claims.push(
      na(
        'fig. 3',
        "VGG16's 16th filter of layer 17 responds to the paper's pattern",
        'figure only',
      ),
    );

  // §4.2 gradient ascent on a filter's activation sum.
  const picked = [convs[0], convs[Math.floor(convs.length / 2)], deep].filter(
    (l, i, a) => a.indexOf(l) === i,
  );
  const ga = ascentRecipe(m, set, picked, ctx.quick ? 3 : 8, ctx.quick ? 20 : 150, ctx.seed);
  figures.push({
    figure: 'figs. 4, 8–10',
    src: await savePng(ctx, 'fig4-gradient-ascent.png', ga.image),
    paperCaption:
      'Visualization of some filters of VGGnet using gradient ascent on the sum of the activations of the chosen filter.',
    ours: `The first filters of ${picked.map((l) => l.name).join(', ')}; bounded ascent (1% of the range per step) from grey with ±5% noise.`,
  });
  const r = median(ga.ratios);
  claims.push({
    section: '§4.2',
    claim: 'gradient ascent finds an input that excites the filter more than the images do',
    paper: 'qualitative',
    ours: `median ×${r.toFixed(2)} of the best image's activation over ${ga.ratios.length} filters`,
    verdict: r > 1 ? 'reproduced' : 'differs',
    why: 'synthesized activation ÷ the best activation over the images; reproduced when the median is above 1',
    values: { ratios: ga.ratios },
  });

  // §4.3 t-SNE of the last fully connected layer.
  const fc = lastDense(m);
  if (fc && set.labels) {
    const ts = tsneRecipe(
      m,
      { ...set, count: Math.min(set.count, ctx.quick ? 60 : 500) },
      fc,
      ctx.seed,
    );
    figures.push({
      figure: 'fig. 5',
      src: await savePng(ctx, 'fig5-tsne.png', ts.image),
      paperCaption: 't-SNE visualization of the last fully connected layer (from CS 231n).',
      ours: `${fc.name} of ${what.replace(/^\d+/, String(Math.min(set.count, ctx.quick ? 60 : 500)))}, PCA to ${ts.dims} dimensions first, ${ts.seconds.toFixed(1)} s.`,
    });
    claims.push({
      section: '§4.3',
      claim:
        't-SNE of the last dense layer shows what the network learned overall (classes form groups)',
      paper: 'qualitative',
      ours: `5-NN label agreement in 2-D ${pct(ts.knn ?? NaN)}`,
      verdict: (ts.knn ?? 0) > 0.8 ? 'reproduced' : 'differs',
      why: 'reproduced when ≥ 80% of points share the label of most of their 5 nearest neighbours',
      values: { knn: ts.knn ?? NaN },
    });
  } else {
    claims.push({
      section: '§4.3',
      claim: 't-SNE of the last dense layer',
      paper: 'qualitative',
      ours: '—',
      verdict: 'not applicable',
      why: fc
        ? `the images (${what}) have no labels to judge the groups by`
        : 'the model has no fully connected layer',
    });
  }
  claims.push(
    user
      ? {
          section: '§5',
          claim: 'the framework takes any Keras (hdf5) model',
          paper: 'Keras hdf5',
          ours: `${path.basename(ctx.model!)}: ${m.layers.length} layers, ${convs.length} conv`,
          verdict: 'reproduced',
          why: "the user's file loaded and every recipe ran on it",
        }
      : na('§5', 'VGG16 is the default model', 'VGG16 checkpoint'),
  );
  own?.dispose();
  user?.dispose();
  return {
    paper: '003' as const,
    title: 'Visualizing Convolutional Neural Networks (Agrawal & Balani)',
    size: [
      user
        ? `the user's model ${ctx.model}`
        : `${own!.what}, not VGG16 (pass --model to run the recipes on it)`,
      `images: ${what}`,
      ...(ctx.quick ? ['quick run: fewer images and steps'] : []),
    ],
    figures,
    claims,
    seconds: (performance.now() - t0) / 1000,
  };
}

export const paper003: Paper = {
  id: '003',
  title: 'Visualizing Convolutional Neural Networks (Agrawal & Balani)',
  run,
};
