/**
 * Time per metric for N inputs (default 100) of a model's evaluation set, one attribution method
 * (default saliency): `node --import tsx scripts/measure-metrics.ts MODEL [N] [METHOD]`.
 * Prints one line per metric: seconds for the N inputs and the mean score.
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/backend.js';
import { loadModel } from '../src/io/model_files.js';
import { loadDataSplit } from '../src/data/load.js';
import { toRange } from '../src/data/dataset.js';
import { evaluateAttributions, METRICS } from '../src/metrics/evaluate.js';

async function main(): Promise<void> {
  const [modelPath, countText = '100', method = 'saliency'] = process.argv.slice(2);
  await initEngine({ backend: 'wasm' });
  const model = await loadModel(modelPath);
  const split = await loadDataSplit(
    String(model.metadata.dataset ?? 'mnist'),
    model.input.shape,
    0,
  );
  const set = toRange(split.test, model.input.range);
  const n = Math.min(Number(countText), set.count);
  const size = set.shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor4d(set.images.subarray(0, n * size), [n, ...set.shape]);
  const labels = Array.from(set.labels!.subarray(0, n));
  for (const metric of METRICS) {
    const started = performance.now();
    const r = evaluateAttributions(model, x, {
      methods: [method],
      metrics: [metric],
      labels,
      group: 25,
    });
    const cell = r.table[method][metric];
    console.log(
      `${metric.padEnd(16)} ${((performance.now() - started) / 1000).toFixed(2).padStart(7)} s for ${n} inputs (metric alone ${r.seconds[method][metric].toFixed(2)} s)   mean ${cell.mean.toFixed(4)} ± ${cell.ci95.toFixed(4)}`,
    );
  }
  x.dispose();
}
main();
