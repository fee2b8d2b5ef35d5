/**
 * npm run demo: trains (or reuses) three MNIST models — the CNN (keeping checkpoints for its
 * training history), a DBN and a stacked denoising autoencoder — and writes the atlas of each
 * (`deepvis report`: a page per layer and per unit, with feature visualizations, top-9 examples,
 * deconvnet projections, specificity, what feeds each unit, and the CNN's units across training),
 * plus one page linking them: out/index.html. Every loose picture of the atlas is also one
 * command away (see the README: maximize, topk, deconv, attribute, …).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../src/io/atomic.js';
import { main } from '../src/cli/main.js';

async function cli(...argv: string[]): Promise<void> {
  console.log(`\n$ deepvis ${argv.join(' ')}`);
  const code = await main(argv);
  if (code !== 0) throw new Error(`deepvis ${argv[0]} failed (exit ${code})`);
}

/** Trains unless a model with metrics already sits in `dir` (delete the folder to retrain). */
async function trainOnce(dir: string, ...argv: string[]): Promise<number | null> {
  if (!(existsSync(`${dir}/model.json`) && existsSync(`${dir}/metrics.json`)))
    await cli('train', ...argv, '--out', dir, '--quiet');
  else console.log(`\nreusing ${dir} (delete it to retrain)`);
  const m = JSON.parse(readFileSync(`${dir}/metrics.json`, 'utf8')) as {
    testAccuracy: number | null;
  };
  return m.testAccuracy;
}

const t0 = performance.now();
const cnn = 'models/mnist-cnn';
const dbn = 'models/mnist-dbn';
const dae = 'models/mnist-dae';
const acc: Record<string, number | null> = {};
// Sized so the whole demo stays within a few minutes on 2 cores; the README shows the papers' sizes.
acc[cnn] = await trainOnce(
  cnn,
  '--arch',
  'cnn',
  '--data',
  'mnist',
  '--epochs',
  '4',
  '--snapshots',
  '1,2,4',
);
acc[dbn] = await trainOnce(
  dbn,
  '--arch',
  'dbn',
  '--layers',
  '256,128',
  '--pretrain-epochs',
  '2',
  '--epochs',
  '4',
  '--data',
  'mnist',
);
acc[dae] = await trainOnce(
  dae,
  '--arch',
  'dae',
  '--layers',
  '256,128,32',
  '--pretrain-epochs',
  '2',
  '--epochs',
  '6',
  '--data',
  'mnist',
);

// Fewer optimization steps than report's defaults (which are what a one-off atlas should use).
const quick = [
  '--erhan-steps',
  '80',
  '--erhan-restarts',
  '1',
  '--lucid-steps',
  '64',
  '--yosinski-steps',
  '80',
  '--diverse-count',
  '2',
  '--diverse-steps',
  '32',
  '--embed-count',
  '300',
];
const sites: Array<[string, string]> = [];
await cli(
  'report',
  '--model',
  cnn,
  '--data',
  'mnist',
  '--history',
  `${cnn}/snapshots`,
  ...quick,
  '--out',
  'out/atlas/mnist-cnn',
  '--quiet',
);
sites.push([cnn, 'atlas/mnist-cnn/index.html']);
await cli(
  'report',
  '--model',
  dbn,
  '--data',
  'mnist',
  ...quick,
  '--out',
  'out/atlas/mnist-dbn',
  '--quiet',
);
sites.push([dbn, 'atlas/mnist-dbn/index.html']);
await cli(
  'report',
  '--model',
  dae,
  '--data',
  'mnist',
  ...quick,
  '--out',
  'out/atlas/mnist-dae',
  '--quiet',
);
sites.push([dae, 'atlas/mnist-dae/index.html']);

const rows = sites.map(
  ([m, href]) =>
    `<li><a href="${href}">${path.basename(m)}</a> — test accuracy ${acc[m] == null ? '—' : `${(100 * acc[m]!).toFixed(1)}%`}</li>`,
);
await writeFileAtomic(
  'out/index.html',
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>deepvis demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>
<body><h1>deepvis demo: three MNIST models</h1>
<p>Each atlas has a page per layer and per unit: what the unit responds to (feature visualizations),
the data-set images that excite it most and least, its class specificity, and what feeds it.
The CNN's unit pages also show the unit across its training checkpoints (epochs 1, 2, 4).</p>
<ul>${rows.join('\n')}</ul>
<p>Live: <code>npx deepvis serve --model ${cnn},${dbn},${dae} --data mnist</code></p>
</body></html>
`,
);
console.log(
  `\ndemo done in ${((performance.now() - t0) / 1000).toFixed(0)}s. Open ${path.resolve('out/index.html')}`,
);
