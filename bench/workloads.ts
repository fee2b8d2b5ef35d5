/**
 * deepvis's side of the yardstick, run through the library exactly as methods run it:
 * W1 = the optimization loop (Adam, 16 channels of b_conv5 at once), W2 = a streaming top-9 scan,
 * W3 = one input gradient of a logit. Plus issue 2's figures on the MNIST CNN architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { batchRanges } from '../src/data/dataset.js';
import { fromLayersModel } from '../src/model/layers_adapter.js';
import { units } from '../src/objectives/units.js';
import { optimize } from '../src/optimize/loop.js';
import { pixels } from '../src/param/pixels.js';
import { TopK } from '../src/analysis/topk.js';
import { buildClassifier } from '../src/train/architectures.js';
import { modelA, modelB } from './models.js';

export interface Measure {
  value: number;
  unit: string;
  [extra: string]: unknown;
}

function weightSum(m: tf.LayersModel): number {
  return tf.tidy(() => m.getWeights().reduce((s, w) => s + w.abs().sum().dataSync()[0], 0));
}

/** Mean ms/step of the optimization loop after `warmup` steps. */
function stepTime(
  model: ReturnType<typeof fromLayersModel>,
  layer: string,
  n: number,
  shape: number[],
  lr: number,
  warmup: number,
  steps: number,
  rule: 'adam' | 'normalized',
) {
  const objective = units(
    model.layer(layer),
    Array.from({ length: n }, (_, i) => i),
  );
  const init = tf.randomUniform(
    [n, ...shape] as [number, number, number, number],
    0,
    1,
    'float32',
    42,
  ) as tf.Tensor4D;
  const param = pixels(init);
  init.dispose();
  const times: number[] = [];
  let t = performance.now();
  const run = optimize(model, param, objective, {
    steps: warmup + steps,
    lr,
    rule,
    onStep: ({ step }) => {
      const now = performance.now();
      if (step >= warmup) times.push(now - t);
      t = now;
    },
  });
  const first = run.history[0];
  const last = run.history[run.history.length - 1];
  run.images.dispose();
  param.dispose();
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    mean,
    median: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)],
    first,
    last,
  };
}

export function w1(steps = 50, warmup = 5): Measure {
  const m = modelB();
  const before = weightSum(m);
  const model = fromLayersModel(m);
  const r = stepTime(model, 'b_conv5', 16, [64, 64, 3], 0.05, warmup, steps, 'adam');
  const unchanged = weightSum(m) === before;
  const meanFirst = r.first.reduce((a, b) => a + b, 0) / r.first.length;
  const meanLast = r.last.reduce((a, b) => a + b, 0) / r.last.length;
  m.dispose();
  return {
    value: r.mean,
    unit: 'ms/step',
    per_step_median_ms: r.median,
    objective_first: meanFirst,
    objective_last: meanLast,
    weights_unchanged: unchanged,
    steps,
    warmup,
  };
}

export function w2(images = 10000, batch = 256, k = 9): Measure {
  const m = modelA();
  const model = fromLayersModel(m);
  const data = tf.randomUniform([images, 28, 28, 1], 0, 1, 'float32', 1234) as tf.Tensor4D;
  const scan = (count: number) => {
    const top = new TopK(256, k);
    for (const [start, end] of batchRanges(count, batch)) {
      const acts = tf.tidy(() => {
        const xb = data.slice([start, 0, 0, 0], [end - start, -1, -1, -1]);
        const [dense1, logits] = model.activations(xb, ['a_dense1', 'a_logits']);
        logits.dataSync(); // computed like the PyTorch side, which runs the tail too
        return dense1;
      });
      top.push(acts.dataSync(), acts.shape[0], start);
      acts.dispose();
    }
    return top;
  };
  scan(Math.min(images, batch));
  const t0 = performance.now();
  const top = scan(images);
  const ms = performance.now() - t0;
  let live = 0;
  for (let u = 0; u < 256; u++) if (top.values[u * k] > 0) live++;
  data.dispose();
  m.dispose();
  return {
    value: images / (ms / 1000),
    unit: 'images/s',
    ms_total: ms,
    images,
    live_units: live,
    unit0_top1: top.values[0],
    unit0_top1_image: top.indices[0],
  };
}

export function w3(reps = 50, warmup = 5): Measure {
  const m = modelB();
  const model = fromLayersModel(m);
  const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const times: number[] = [];
  let g0 = 0;
  const grad = tf.grad((xi: tf.Tensor) =>
    model
      .activations(xi as tf.Tensor4D, ['b_logits'])[0]
      .slice([0, 3], [1, 1])
      .sum(),
  );
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = performance.now();
    const g = grad(x);
    g0 = g.dataSync()[0];
    g.dispose();
    if (i >= warmup) times.push(performance.now() - t0);
  }
  x.dispose();
  m.dispose();
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    value: mean,
    unit: 'ms/grad',
    per_grad_median_ms: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)],
    grad0: g0,
    reps,
    warmup,
  };
}

/** Issue 2: ms per Erhan step for 64 channels of the MNIST CNN's last conv layer. */
export function mnistCnnStep(steps = 20, warmup = 3): Measure {
  const m = buildClassifier('cnn', [28, 28, 1], 10, 0);
  const r = stepTime(
    fromLayersModel(m),
    'conv3',
    64,
    [28, 28, 1],
    0.03,
    warmup,
    steps,
    'normalized',
  );
  m.dispose();
  return { value: r.mean, unit: 'ms/step', per_step_median_ms: r.median, units: 64 };
}

/** Issue 2: forward images/s of the MNIST CNN, batches of 256. */
export function mnistCnnForward(images = 4096, batch = 256): Measure {
  const m = buildClassifier('cnn', [28, 28, 1], 10, 0);
  const model = fromLayersModel(m);
  const data = tf.randomUniform([images, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const pass = () => {
    for (let s = 0; s < images; s += batch) {
      const p = tf.tidy(() => model.predict(data.slice([s, 0, 0, 0], [batch, -1, -1, -1])));
      p.dataSync();
      p.dispose();
    }
  };
  pass();
  const t0 = performance.now();
  pass();
  const ms = performance.now() - t0;
  data.dispose();
  m.dispose();
  return { value: images / (ms / 1000), unit: 'images/s' };
}
