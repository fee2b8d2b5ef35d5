/**
 * npm run demo: trains (or reuses) the MNIST CNN, then writes Erhan activation-maximization grids
 * for every layer into out/mnist-cnn/. Conv layers are shown twice: one centre neuron per channel
 * cropped to its receptive field (the paper's unit), and the channel mean (a texture).
 */
import { existsSync, readFileSync } from 'node:fs';
import { main } from '../src/cli/main.js';

async function cli(...argv: string[]): Promise<void> {
  console.log(`\n$ deepvis ${argv.join(' ')}`);
  const code = await main(argv);
  if (code !== 0) throw new Error(`deepvis ${argv[0]} failed (exit ${code})`);
}

const model = 'models/mnist-cnn';
const out = 'out/mnist-cnn';
const metricsFile = `${model}/metrics.json`;
const trained = existsSync(`${model}/model.json`) && existsSync(metricsFile)
  && (JSON.parse(readFileSync(metricsFile, 'utf8')) as { testAccuracy: number }).testAccuracy >= 0.97;
if (trained) console.log(`reusing ${model} (delete it to retrain)`);
else await cli('train', '--arch', 'cnn', '--data', 'mnist', '--epochs', '12', '--out', model);

await cli('inspect', model);
for (const layer of ['conv1', 'conv2', 'conv3']) {
  await cli('maximize', '--model', model, '--layer', layer, '--neuron', 'center', '--out', out);
}
await cli('maximize', '--model', model, '--layer', 'conv3', '--pre', 'no', '--out', out);
await cli('maximize', '--model', model, '--layer', 'dense1', '--units', '0-63', '--out', out);
await cli('maximize', '--model', model, '--layer', 'logits', '--out', out);
console.log(`\ndemo done: grids in ${out}/`);
