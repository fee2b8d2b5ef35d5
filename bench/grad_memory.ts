/**
 * Issue 26, item 5: what a native backward pass keeps of its forward, measured both ways on the W4
 * gradient step (d Σᵢ logit[i, i] / dx, batch 8, 224 px) — 'saved' (the forward run hands the
 * backward run its ReLU masks and pooling indices) against 'recompute' (the backward runs the fused
 * graph, the forward recomputed inside it). Each mode runs in its own process, alternating, so each
 * peak RSS is its own; reports ms/step and peak RSS per round, and their ratios within each round.
 *   node --import tsx bench/grad_memory.ts [FILE.onnx] [--rounds N] [--reps N]
 * FILE defaults to bench/.cache/w4.onnx (written by `npm run bench -- --only w4`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/backend.js';
import { setGradientMemory, type GradientMemory } from '../src/engine/gradient_engine.js';
import { loadModel } from '../src/io/model_files.js';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const file =
  args[0] && !args[0].startsWith('--') ? args[0] : path.join(root, 'bench/.cache/w4.onnx');
const reps = Number(opt('reps', '3'));

if (args.includes('--child')) {
  setGradientMemory(opt('memory', 'saved') as GradientMemory);
  await initEngine({ backend: 'wasm' });
  const model = await loadModel(file);
  const logits = model.layers[model.layers.length - 1].name;
  const x = tf.randomUniform([8, ...model.input.shape], 0, 1, 'float32', 4) as tf.Tensor4D;
  const diag = tf.oneHot(
    tf.range(0, 8, 1, 'int32'),
    model.layers[model.layers.length - 1].outputShape.at(-1)!,
  ) as tf.Tensor2D;
  const step = () =>
    tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) =>
          model
            .activations(v as tf.Tensor4D, [logits])[0]
            .mul(diag)
            .sum(),
        )(x)
        .dataSync(),
    );
  step();
  const t = performance.now();
  for (let i = 0; i < reps; i++) step();
  console.log(
    JSON.stringify({
      ms: (performance.now() - t) / reps,
      peak_rss_mb: process.resourceUsage().maxRSS / 1e3,
      engine: model.gradientEngine,
    }),
  );
  process.exit(0);
}

if (!existsSync(file))
  throw new Error(
    `${file} is missing: run \`npm run bench -- --only w4\` once (it exports ResNet-18)`,
  );
const rounds = Number(opt('rounds', '3'));
const rows: Record<GradientMemory, Array<{ ms: number; peak_rss_mb: number }>> = {
  saved: [],
  recompute: [],
};
for (let r = 0; r < rounds; r++) {
  for (const memory of ['saved', 'recompute'] as const) {
    const c = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        import.meta.filename,
        file,
        '--child',
        '--memory',
        memory,
        '--reps',
        String(reps),
      ],
      { cwd: root, encoding: 'utf8', timeout: 600_000 },
    );
    const line = c.stdout.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{'))
      throw new Error(`${memory}: ${c.stderr.split('\n').slice(-3).join(' ')}`);
    const m = JSON.parse(line);
    rows[memory].push(m);
    process.stderr.write(
      `round ${r + 1} ${memory}: ${m.ms.toFixed(0)} ms/step, peak ${m.peak_rss_mb.toFixed(0)} MB (${m.engine})\n`,
    );
  }
}
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const ratio = (k: 'ms' | 'peak_rss_mb') => rows.recompute.map((m, i) => m[k] / rows.saved[i][k]);
console.log(
  `recompute / saved, same round: time ${range(ratio('ms'))}×, peak RSS ${range(ratio('peak_rss_mb'))}× over ${rounds} rounds`,
);
