/**
 * Training throughput: deepvis's MNIST CNN (the `train --arch cnn` architecture, the twin of
 * torch_bench.py --workload train) on 8,000 random 28×28 images, batch 64, Adam 1e-3, through
 * fitClassifier exactly as `deepvis train` runs it. Seconds per epoch, median of 3 epochs.
 */
import { buildClassifier } from '../src/train/architectures.js';
import { fitClassifier } from '../src/train/fit.js';
import type { ImageSet } from '../src/data/dataset.js';
import type { Measure } from './workloads.js';

export async function trainBench(): Promise<Measure> {
  let s = 7;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const set = (count: number): ImageSet => ({
    name: 'random',
    count,
    shape: [28, 28, 1],
    classNames: null,
    images: Float32Array.from({ length: count * 784 }, rand),
    labels: Int32Array.from({ length: count }, () => Math.floor(rand() * 10)),
  });
  const model = buildClassifier('cnn', [28, 28, 1], 10, 0);
  const history = await fitClassifier(model, set(8000), set(64), 10, { epochs: 3, batchSize: 64 });
  model.dispose();
  const secs = history.map((h) => h.seconds).sort((a, b) => a - b);
  return { value: secs[1], unit: 's/epoch (8,000 images)', epochs: history.map((h) => h.seconds) };
}
