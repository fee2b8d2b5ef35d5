/**
 * deepvis's side of W4 and W5 (the yardstick's WORKLOADS.md, "At real scale"), in its own process so its
 * peak memory is its own, as PyTorch's is: loads the ONNX file torch_bench.py --export wrote and
 * measures the same figures — d Σᵢ logit[i, i] / dx over 8 images, one saliency map d logit[0, 3] / dx,
 * forward images/s at batch 32 — plus a Lucid step for 8 channels of layer3 (batch 8) and the load
 * time. Peak RSS is taken before the Lucid step (the same work as PyTorch's) and again after it.
 * Gradients run on the engine DEEPVIS_GRADIENTS picks (default: the fastest that works). Prints
 * one JSON line ({ error } if the model cannot be loaded).
 *   node --import tsx bench/w4_child.ts FILE.onnx [--reps N] [--layer net.layer3|none]
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/backend.js';
import { loadModel } from '../src/io/model_files.js';
import { lucidSteps } from '../src/methods/lucid.js';

const [file, ...rest] = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : fallback;
};
const reps = Number(opt('reps', '3'));
const engine = await initEngine({ backend: 'wasm' });
let t0 = performance.now();
const model = await loadModel(file).catch((e: Error) => {
  console.log(JSON.stringify({ error: e.message.split('\n')[0] }));
  process.exit(0);
});
const loadMs = performance.now() - t0;
const logits = model.layers[model.layers.length - 1].name;

function timed(f: () => void, n: number): number {
  f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return (performance.now() - t) / n;
}
const x8 = tf.randomUniform([8, 224, 224, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
const x32 = tf.randomUniform([32, 224, 224, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
const x1 = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
const diag = tf.oneHot(tf.range(0, 8, 1, 'int32'), 1000) as tf.Tensor2D;
const before = tf.memory().numTensors;
const stepMs = timed(
  () =>
    tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) =>
          model
            .activations(x as tf.Tensor4D, [logits])[0]
            .mul(diag)
            .sum(),
        )(x8)
        .dataSync(),
    ),
  reps,
);
const salMs = timed(
  () =>
    tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) =>
          model
            .activations(x as tf.Tensor4D, [logits])[0]
            .slice([0, 3], [1, 1])
            .sum(),
        )(x1)
        .dataSync(),
    ),
  reps,
);
const fwdMs = timed(() => tf.tidy(() => model.predict(x32).dataSync()), Math.max(1, reps - 1));
// The peak over the work PyTorch's side does (load, step, saliency, forward); the Lucid step after it
// has no PyTorch twin and is reported with its own peak.
const peakMb = process.resourceUsage().maxRSS / 1e3;
const lucidLayer = opt('layer', 'net.layer3');
const layer = lucidLayer === 'none' ? null : model.layer(lucidLayer).name;
const times: number[] = [];
if (layer) {
  t0 = performance.now();
  const steps = lucidSteps(model, { layer, units: [0, 1, 2, 3, 4, 5, 6, 7], steps: reps + 2 });
  let r = steps.next();
  for (; !r.done; r = steps.next()) {
    const now = performance.now();
    times.push(now - t0);
    t0 = now;
  }
  r.value.images.dispose();
}
const lucidMs = layer
  ? times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)]
  : null;
const leaked = tf.memory().numTensors - before;
console.log(
  JSON.stringify({
    framework: 'deepvis',
    backend: engine.backend,
    threads: engine.threads,
    model: file,
    value: stepMs,
    unit: 'ms/step (batch 8, 224 px)',
    saliency_ms: salMs,
    forward_images_per_s: 32000 / fwdMs,
    lucid_step_ms: lucidMs,
    lucid_layer: layer,
    load_ms: loadMs,
    forward_engine: model.forwardEngine ?? 'tfjs',
    gradient_engine: model.gradientEngine ?? 'tfjs',
    peak_rss_mb: peakMb,
    peak_rss_with_lucid_mb: process.resourceUsage().maxRSS / 1e3,
    leaked,
  }),
);
