/**
 * npm run demo: trains (or reuses) three MNIST models — the CNN, a DBN and a stacked denoising
 * autoencoder — and writes what their units respond to into out/: Erhan activation maximization
 * for every layer of the CNN (conv layers twice: one centre neuron per channel cropped to its
 * receptive field, the paper's unit; and the channel mean, a texture), first-layer filters and
 * clamped-unit samples of the DBN, filters and top-layer maximization of the autoencoder; then the
 * optimization methods of issue 5 (Yosinski's four presets, Lucid-style Fourier + robustness,
 * DeepDream on a digit with a zoom animation, inversion, and seed 000's data-driven method); then
 * the data-centric views of issue 6 (activations, top-9 with receptive-field crops, deconvnet,
 * gradient maps, occlusion, specificity of three models, sensitivity, linear combinations, t-SNE).
 */
import { existsSync, readFileSync } from 'node:fs';
import { main } from '../src/cli/main.js';

async function cli(...argv: string[]): Promise<void> {
  console.log(`\n$ deepvis ${argv.join(' ')}`);
  const code = await main(argv);
  if (code !== 0) throw new Error(`deepvis ${argv[0]} failed (exit ${code})`);
}

/** Trains unless a model with metrics already sits in `dir` (delete the folder to retrain). */
async function trainOnce(dir: string, ...argv: string[]): Promise<void> {
  if (existsSync(`${dir}/model.json`) && existsSync(`${dir}/metrics.json`)) {
    const m = JSON.parse(readFileSync(`${dir}/metrics.json`, 'utf8')) as { testAccuracy: number | null };
    console.log(`\nreusing ${dir} (test accuracy ${m.testAccuracy ?? '—'}; delete it to retrain)`);
    return;
  }
  await cli('train', ...argv, '--out', dir, '--quiet');
}

const t0 = performance.now();
const cnn = 'models/mnist-cnn';
await trainOnce(cnn, '--arch', 'cnn', '--data', 'mnist', '--epochs', '12');
await cli('inspect', cnn);
for (const layer of ['conv1', 'conv2', 'conv3']) {
  // --unit-files: the per-unit images `deepvis serve` shows in its unit panel without recomputing.
  await cli('maximize', '--model', cnn, '--layer', layer, '--neuron', 'center', '--restarts', '2', '--out', 'out/mnist-cnn', '--unit-files', `${cnn}/report`, '--quiet');
}
await cli('maximize', '--model', cnn, '--layer', 'conv3', '--pre', 'no', '--restarts', '2', '--out', 'out/mnist-cnn', '--quiet');
await cli('maximize', '--model', cnn, '--layer', 'dense1', '--units', '0-63', '--restarts', '2', '--out', 'out/mnist-cnn', '--quiet');
await cli('maximize', '--model', cnn, '--layer', 'logits', '--out', 'out/mnist-cnn', '--quiet');
// The regularized and modern methods of issue 5 on the same model.
await cli('maximize', '--model', cnn, '--layer', 'logits', '--method', 'yosinski', '--preset', 'all', '--out', 'out/mnist-cnn', '--quiet');
await cli('maximize', '--model', cnn, '--layer', 'logits', '--method', 'lucid', '--per-unit', '2', '--out', 'out/mnist-cnn', '--quiet');
await cli('maximize', '--model', cnn, '--layer', 'conv3', '--units', '0-31', '--method', 'lucid', '--out', 'out/mnist-cnn', '--quiet');
await cli('dream', '--model', cnn, '--layer', 'logits', '--units', '0-9', '--out', 'out/mnist-cnn', '--quiet');
await cli('dream', '--model', cnn, '--layer', 'conv3', '--input', 'mnist:3', '--size', '112', '--out', 'out/mnist-cnn', '--quiet');
await cli('dream', '--model', cnn, '--layer', 'conv2', '--input', 'mnist:5', '--size', '84', '--zoom', '24', '--steps', '10', '--out', 'out/mnist-cnn/zoom', '--quiet');
await cli('invert', '--model', cnn, '--layer', 'conv2,dense1,logits', '--input', 'mnist:3', '--out', 'out/mnist-cnn', '--quiet');

const dbn = 'models/mnist-dbn';
await trainOnce(dbn, '--arch', 'dbn', '--layers', '500,500', '--pretrain-epochs', '3', '--epochs', '6', '--data', 'mnist');
// The seeds show first-layer filters of the unsupervised models, before supervised fine-tuning.
await cli('filters', '--model', `${dbn}/pretrained`, '--out', 'out/mnist-dbn', '--quiet');
await cli('sample', '--model', dbn, '--layer', 'h1', '--units', '0-9', '--out', 'out/mnist-dbn', '--quiet');
await cli('sample', '--model', dbn, '--layer', 'h2', '--units', '0-9', '--out', 'out/mnist-dbn', '--quiet');
await cli('maximize', '--model', dbn, '--layer', 'h2', '--units', '0-35', '--restarts', '2', '--out', 'out/mnist-dbn', '--quiet');

const sae = 'models/mnist-dae';
await trainOnce(sae, '--arch', 'dae', '--layers', '1000,500,300,50', '--pretrain-epochs', '3', '--ae-epochs', '1', '--epochs', '6', '--data', 'mnist');
await cli('filters', '--model', `${sae}/pretrained`, '--out', 'out/mnist-dae', '--quiet');
await cli('maximize', '--model', sae, '--layer', 'h4', '--units', '0-35', '--restarts', '2', '--out', 'out/mnist-dae', '--quiet');
// Seed 000's data-driven method on the unsupervised stack, step count from the unimodal units,
// measured against pure optimization from a blank image.
await cli('maximize', '--model', `${sae}/pretrained`, '--layer', 'h4', '--units', '0-19', '--method', 'data-driven', '--estimate-steps', '--compare', '--out', 'out/mnist-dae', '--quiet');

// Issue 6: seeing units through data.
const d = 'out/data-centric';
await cli('activations', '--model', cnn, '--input', 'mnist:3', '--out', `${d}/activations`, '--quiet');
await cli('topk', '--model', cnn, '--data', 'mnist', '--split', 'all', '--out', `${d}/topk`, '--quiet');
await cli('deconv', '--model', cnn, '--layer', 'conv3', '--units', '0-11', '--index', `${d}/topk/topk-index.json`, '--out', `${d}/deconv`, '--quiet');
await cli('deconv', '--model', cnn, '--layer', 'conv3', '--units', '0-11', '--index', `${d}/topk/topk-index.json`, '--unpool', 'nearest', '--out', `${d}/deconv`, '--quiet');
await cli('attribute', '--model', cnn, '--input', 'mnist:0-7', '--out', `${d}/attribute`, '--quiet');
await cli('occlusion', '--model', cnn, '--input', 'mnist:3', '--size', '6', '--stride', '2', '--out', `${d}/occlusion`, '--quiet');
await cli('specificity', '--model', [dbn, sae, cnn].join(','), '--data', 'mnist', '--out', `${d}/specificity`, '--quiet');
await cli('sensitivity', '--model', dbn, '--layer', 'h2', '--units', '0-35', '--out', `${d}/sensitivity`, '--quiet');
await cli('lincomb', '--model', dbn, '--layer', 'h2', '--out', `${d}/lincomb`, '--quiet');
await cli('lincomb', '--model', cnn, '--layer', 'conv2', '--units', '0-31', '--out', `${d}/lincomb`, '--quiet');
await cli('embed', '--model', cnn, '--layer', 'dense1', '--count', '1500', '--out', `${d}/embed`, '--quiet');
await cli('embed', '--model', sae, '--layer', 'h4', '--method', 'umap', '--count', '1500', '--out', `${d}/embed`, '--quiet');

console.log('\nthe live toolbox: npx deepvis serve --model models/mnist-cnn,models/mnist-dbn,models/mnist-dae --data mnist');
console.log(`\ndemo done in ${((performance.now() - t0) / 1000).toFixed(0)}s: pictures in out/mnist-cnn, out/mnist-dbn, out/mnist-dae, out/data-centric`);
