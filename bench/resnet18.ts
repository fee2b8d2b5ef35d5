/**
 * torchvision's ResNet-18 built in tfjs layers (224×224×3, 7×7/2 stem without bias + BN + ReLU,
 * 3×3/2 max-pool, BasicBlocks 64-128-256-512 with 1×1/2 conv + BN downsampling, global average
 * pool, fc 1000), run through deepvis's engine and fromLayersModel, timed on the workloads of
 * the yardstick's torch_bench.py w4: a saliency map (∂ logit[0, 3] / ∂x, one image) and a
 * class-visualization step (∂ Σᵢ logit[i, i] / ∂x, batch 8). PyTorch's explicit padding p is
 * ZeroPadding2D(p) + 'valid' (zero padding equals −∞ padding for the max-pool after a ReLU).
 * The ImageNet normalization in front (one elementwise op) is left out. Seeded He-normal weights.
 *
 *   node --import tsx bench/resnet18.ts [--reps 3] [--profile] [--before]
 *   node --import tsx bench/resnet18.ts --compare 2 [--reps 2]
 * Prints median ms and, with --profile, tf.profile's per-kernel tables. --before runs the engine
 * as it was before lazy gradients and sub-pixel kernels (bench/legacy_kernels.ts); --compare N
 * runs N rounds of before/after processes alternately (the machine is shared: alternation spreads
 * its noise over both) and prints each round.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type BackendName } from '../src/engine/backend.js';
import { fromLayersModel } from '../src/model/layers_adapter.js';
import type { VisModel } from '../src/model/types.js';
import { installLegacyEngine } from './legacy_kernels.js';

let seed = 1;
const he = () => tf.initializers.heNormal({ seed: seed++ });

function convBn(
  x: tf.SymbolicTensor,
  filters: number,
  k: number,
  stride: number,
  pad: number,
  name: string,
): tf.SymbolicTensor {
  const padded =
    pad > 0
      ? (tf.layers
          .zeroPadding2d({ padding: pad, name: `${name}_pad` })
          .apply(x) as tf.SymbolicTensor)
      : x;
  const c = tf.layers
    .conv2d({
      filters,
      kernelSize: k,
      strides: stride,
      padding: 'valid',
      useBias: false,
      kernelInitializer: he(),
      name,
    })
    .apply(padded);
  return tf.layers
    .batchNormalization({ epsilon: 1e-5, name: `${name}_bn` })
    .apply(c) as tf.SymbolicTensor;
}

const relu = (x: tf.SymbolicTensor, name: string) =>
  tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;

function basicBlock(
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  name: string,
): tf.SymbolicTensor {
  const inC = x.shape[3] as number;
  let y = relu(convBn(x, filters, 3, stride, 1, `${name}_conv1`), `${name}_relu1`);
  y = convBn(y, filters, 3, 1, 1, `${name}_conv2`);
  const short =
    stride !== 1 || inC !== filters ? convBn(x, filters, 1, stride, 0, `${name}_down`) : x;
  return relu(
    tf.layers.add({ name: `${name}_add` }).apply([y, short]) as tf.SymbolicTensor,
    `${name}_out`,
  );
}

export function resnet18(): tf.LayersModel {
  seed = 1;
  const input = tf.input({ shape: [224, 224, 3], name: 'input' });
  let x = relu(convBn(input, 64, 7, 2, 3, 'conv1'), 'relu1');
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'pool_pad' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' })
    .apply(x) as tf.SymbolicTensor;
  const widths = [64, 128, 256, 512];
  widths.forEach((w, i) => {
    x = basicBlock(x, w, i === 0 ? 1 : 2, `layer${i + 1}_0`);
    x = basicBlock(x, w, 1, `layer${i + 1}_1`);
  });
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: 1000, kernelInitializer: he(), name: 'fc' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'resnet18' });
}

/** ∂ Σᵢ logit[i, unitᵢ] / ∂x — the saliency (one image) and the class-visualization step (batch 8). */
export function inputGradient(vis: VisModel, x: tf.Tensor4D, units: number[]): tf.Tensor {
  return tf.tidy(() => {
    const pick = tf.oneHot(tf.tensor1d(units, 'int32'), 1000).toFloat();
    return tf.grad((xi: tf.Tensor) => {
      const [logits] = vis.activations(xi as tf.Tensor4D, ['fc']);
      return logits.mul(pick).sum();
    })(x);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(f: () => tf.Tensor, reps: number): Promise<number[]> {
  const times: number[] = [];
  await f().data();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = f();
    await out.data();
    times.push(performance.now() - t0);
    out.dispose();
  }
  return times;
}

/** tf.profile of f: ms and calls per kernel, customGrad scopes (`…__op`, which contain their own kernels) left out. */
export async function kernelTable(
  f: () => tf.Tensor,
): Promise<Array<{ kernel: string; ms: number; calls: number }>> {
  const info = await tf.profile(async () => {
    const out = f();
    await out.data();
    out.dispose();
  });
  const rows = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue;
    const r = rows.get(k.name) ?? { ms: 0, calls: 0 };
    r.ms += Number(k.kernelTimeMs) || 0;
    r.calls++;
    rows.set(k.name, r);
  }
  return [...rows].map(([kernel, r]) => ({ kernel, ...r })).sort((a, b) => b.ms - a.ms);
}

function compare(rounds: number, reps: number): void {
  const rows: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['before', 'after']) {
      const extra = mode === 'before' ? ['--before'] : [];
      const out = spawnSync(
        process.execPath,
        ['--import', 'tsx', import.meta.filename, '--reps', String(reps), '--json', ...extra],
        { encoding: 'utf8' },
      );
      const line = out.stdout.trim().split('\n').pop() ?? '';
      const m = JSON.parse(line) as { saliency: number; step: number };
      rows.push(`| ${r + 1} | ${mode} | ${m.saliency.toFixed(0)} | ${m.step.toFixed(0)} |`);
      console.error(rows[rows.length - 1]);
    }
  }
  console.log(
    '| round | engine | saliency ms | batch-8 input gradient ms |\n|---|---|---|---|\n' +
      rows.join('\n'),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (n: string) => args.includes(`--${n}`);
  const value = (n: string, d: string) =>
    args.indexOf(`--${n}`) >= 0 ? args[args.indexOf(`--${n}`) + 1] : d;
  const reps = Number(value('reps', '3'));
  if (flag('compare')) return compare(Number(value('compare', '2')), reps);
  const engine = await initEngine({ backend: value('backend', 'wasm') as BackendName });
  if (flag('before')) installLegacyEngine();
  const vis = fromLayersModel(resnet18());
  const x1 = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const x8 = tf.randomUniform([8, 224, 224, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const sal = () => inputGradient(vis, x1, [3]);
  const step = () => inputGradient(vis, x8, [0, 1, 2, 3, 4, 5, 6, 7]);
  const s = await timed(sal, reps);
  const g = await timed(step, reps);
  if (flag('json')) {
    console.log(JSON.stringify({ saliency: median(s), step: median(g) }));
    return;
  }
  console.log(
    `ResNet-18 224 px on ${engine.backend} (${engine.threads} threads)${flag('before') ? ', engine before lazy gradients and sub-pixel kernels' : ''}`,
  );
  console.log(
    `saliency (1 image):       median ${median(s).toFixed(0)} ms  [${s.map((t) => t.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `input gradient (batch 8): median ${median(g).toFixed(0)} ms  [${g.map((t) => t.toFixed(0)).join(', ')}]`,
  );
  if (flag('profile')) {
    for (const [label, f] of [
      ['saliency', sal],
      ['batch-8 gradient', step],
    ] as const) {
      console.log(`\ntf.profile, ${label}:\n| kernel | ms | calls |\n|---|---|---|`);
      for (const r of (await kernelTable(f)).slice(0, 14))
        console.log(`| ${r.kernel} | ${r.ms.toFixed(1)} | ${r.calls} |`);
    }
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
