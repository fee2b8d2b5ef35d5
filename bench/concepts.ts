/**
 * Issue 28, item 7: the concept pipeline's times.
 * - NMF (HALS, concepts/nmf.ts) of 10,000 × 256 non-negative activations made of 20 planted
 *   concepts, k = 20 (target: seconds), with how well it found them (cosine-Hungarian).
 * - One class's CRAFT (concepts/craft.ts, its defaults: k 20, 32 Sobol designs over every class
 *   image) on the photos CNN (`deepvis train --arch cnn --data photos`), on the 20% eval split;
 *   per phase (patches through g, NMF, coefficient maps, gradients, Sobol through h). The model is
 *   models/photos-cnn when it exists (or $DEEPVIS_PHOTOS_MODEL), else the architecture trained
 *   here for one epoch: CRAFT's cost does not depend on how well the weights are trained.
 *   Target: under a minute on 2 cores.
 * - One class's CRAFT on the MNIST ResNet exported from PyTorch (an ONNX file, run as loadModel runs
 *   it: its forwards without a gradient on onnxruntime when onnxruntime-node is installed), with
 *   the forward engine named; set DEEPVIS_FORWARD=tfjs to time the same on tfjs.
 * Wall times and this process's CPU time: the machine is shared, so wall time is an upper bound.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { craft } from '../src/concepts/craft.js';
import { cosineHungarian } from '../src/concepts/hungarian.js';
import { nmf } from '../src/concepts/nmf.js';
import { subset, type ImageSet } from '../src/data/dataset.js';
import { loadDataSplit } from '../src/data/load.js';
import { Rng } from '../src/engine/rng.js';
import { loadModel } from '../src/io/model_files.js';
import { fromLayersModel } from '../src/model/layers_adapter.js';
import type { VisModel } from '../src/model/types.js';
import { buildClassifier } from '../src/train/architectures.js';
import { fitClassifier } from '../src/train/fit.js';
import type { Measure } from './workloads.js';

const root = path.resolve(import.meta.dirname, '..');

/** Wall and CPU seconds of `f`. */
function timed<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

export function nmfBench(n = 10000, c = 256, k = 20): Measure {
  const rng = new Rng(1);
  // Concepts on random channel subsets, coefficients sparse and non-negative, plus a little noise.
  const w = new Float32Array(k * c);
  for (let j = 0; j < k; j++)
    for (const t of rng.permutation(c).slice(0, 24)) w[j * c + t] = rng.next();
  const values = new Float32Array(n * c);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      if (rng.next() > 0.2) continue;
      const u = rng.next();
      for (let t = 0; t < c; t++) values[r * c + t] += u * w[j * c + t];
    }
    for (let t = 0; t < c; t++) values[r * c + t] += 0.01 * rng.next();
  }
  const run = timed(() => nmf({ values, n, c }, { k, seed: 0 }));
  const match = cosineHungarian(run.value.w, w, c);
  return {
    value: run.wall,
    unit: 's',
    cpuSeconds: run.cpu,
    iterations: run.value.iterations,
    relativeError: run.value.relativeError,
    minCosine: Math.min(...match.cosines),
    detail: `NMF (HALS) of ${n} × ${c}, k ${k}, 20 planted concepts; target: seconds`,
  };
}

async function photosCnn(data: {
  train: ImageSet;
  test: ImageSet;
}): Promise<{ model: VisModel; trained: string }> {
  const saved = process.env.DEEPVIS_PHOTOS_MODEL ?? path.join(root, 'models/photos-cnn');
  if (existsSync(path.join(saved, 'model.json')))
    return { model: await loadModel(saved), trained: saved };
  const m = buildClassifier('cnn', data.train.shape, 10, 0);
  await fitClassifier(m, data.train, data.test, 10, { epochs: 1 });
  return { model: fromLayersModel(m, { range: [0, 1] }), trained: 'one epoch here' };
}

/** One class's CRAFT with CRAFT's defaults, per phase. */
function craftRun(model: VisModel, data: ImageSet, classIndex: number, layer?: string) {
  const phases: Record<string, number> = {};
  let last = performance.now();
  let phase = '';
  const run = timed(() =>
    craft(model, data, {
      layer,
      classIndex,
      onProgress: (p) => {
        if (p.phase !== phase) {
          const now = performance.now();
          if (phase) phases[phase] = (now - last) / 1000;
          phase = p.phase;
          last = now;
        }
      },
    }),
  );
  phases[phase] = (performance.now() - last) / 1000;
  return {
    value: run.wall,
    unit: 's',
    cpuSeconds: run.cpu,
    phases,
    classImages: run.value.metrics.classImages,
    k: run.value.concepts.length,
    layer: run.value.layer,
    forwardEngine: model.forwardEngine ?? 'tfjs',
    gradientEngine: model.gradientEngine ?? 'tfjs',
  };
}

export async function conceptsBench(): Promise<Record<string, Measure>> {
  const out: Record<string, Measure> = { nmf_10000x256_k20_seconds: nmfBench() };
  const photos = await loadDataSplit('photos', [64, 64, 3], 0);
  const { model, trained } = await photosCnn(photos);
  out.craft_photos_one_class_seconds = {
    ...craftRun(model, photos.test, 0),
    detail: `CRAFT defaults (k 20, 32 designs, Sobol over every class image), class 0 (astronaut) of the photos eval split; model: ${trained}; target < 60 s on 2 cores`,
  };
  model.dispose();
  const onnx = path.join(root, 'test/fixtures/onnx/trained/mnist-resnet');
  const resnet = await loadModel(onnx);
  const mnist = await loadDataSplit('mnist', [28, 28, 1], 0);
  // Digit 3 among the first 1,000 eval images (about 100), at the last block's output ReLU.
  const digits = subset(
    mnist.test,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  out.craft_onnx_resnet_one_class_seconds = {
    ...craftRun(resnet, digits, 3, 'layer3.0.relu_1'),
    detail:
      'CRAFT defaults, digit 3 among 1,000 MNIST eval images, the MNIST ResNet from PyTorch (ONNX)',
  };
  resnet.dispose();
  return out;
}
