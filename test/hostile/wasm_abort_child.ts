/**
 * A child process for the hostile table: a wasm abort inside a command, reported as the CLI
 * reports failures (runReported). tfjs-wasm's TopK sorts a copy of its whole input in C++; with
 * the input near 2 GB of the 4 GB heap that copy cannot be made and the module aborts, printing
 * "Aborted()" itself before it throws.
 */
import * as tf from '@tensorflow/tfjs';
import { runReported } from '../../src/cli/main.js';
import { initEngine } from '../../src/engine/backend.js';

const code = await runReported('attribute', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const x = tf.fill([1, 450_000_000], 1);
  tf.topk(x, 1000).values.dataSync();
});
process.exit(code);
