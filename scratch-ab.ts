import * as tf from '@tensorflow/tfjs';
import { initEngine } from './src/engine/backend.js';
import { loadModel } from './src/io/model_files.js';
await initEngine({ backend: 'wasm' });
let t = performance.now();
const model = await loadModel(process.argv[2]);
const load = performance.now() - t;
const logits = model.layers[model.layers.length - 1].name;
const x8 = tf.randomUniform([8, 224, 224, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
const diag = tf.oneHot(tf.range(0, 8, 1, 'int32'), 1000) as tf.Tensor2D;
const times = [];
for (let i = 0; i < 4; i++) {
  t = performance.now();
  tf.tidy(() => tf.grad((x: tf.Tensor) => model.activations(x as tf.Tensor4D, [logits])[0].mul(diag).sum())(x8).dataSync());
  times.push(Math.round(performance.now() - t));
}
console.log('XREL', process.env.XREL, 'load', Math.round(load), 'grad', times.join(' '), 'peak', Math.round(process.resourceUsage().maxRSS / 1e3));
