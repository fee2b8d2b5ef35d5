/**
 * Forward kernel vs input-gradient kernel, before and after sub-pixel decomposition, at ResNet-18
 * and MobileNetV2 shapes (224 px, batch 8 by default), on deepvis's wasm engine:
 *
 *   node --import tsx bench/kernels.ts [--batch 8] [--reps 5] [--only conv3x3s2,maxpool]
 *
 * "before" is the previous kernel (bench/legacy_kernels.ts: a convolution over zero-dilated dy;
 * the bounds-tested max-pool scan), "after" the registered one. The three are run alternately,
 * each rep, so machine noise (2 shared cores) hits them alike; medians are printed.
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/backend.js';
import { legacyConvInput, legacyDepthwiseInput, legacyMaxPoolGrad } from './legacy_kernels.js';

type Fn = () => void;
interface Case {
  name: string;
  forward: Fn;
  before: Fn;
  after: Fn;
}

const args = process.argv.slice(2);
const value = (n: string, d: string) =>
  args.indexOf(`--${n}`) >= 0 ? args[args.indexOf(`--${n}`) + 1] : d;
const batch = Number(value('batch', '8'));
const reps = Number(value('reps', '5'));
const only = value('only', '');

const pad1: tf.backend_util.ExplicitPadding = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];
const pad3: tf.backend_util.ExplicitPadding = [
  [0, 0],
  [3, 3],
  [3, 3],
  [0, 0],
];

/** Runs a kernel through the engine and frees its output. */
function kernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): Fn {
  return () =>
    (
      tf
        .engine()
        .runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor
    ).dispose();
}

/** Calls a kernel function directly on the backend and frees its output. */
function direct(
  fn: (a: never) => tf.TensorInfo,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): Fn {
  return () => {
    const backend = tf.backend();
    backend.disposeData(fn({ inputs, backend, attrs } as never).dataId);
  };
}

function conv(
  name: string,
  hw: number,
  ci: number,
  co: number,
  k: number,
  s: number,
  pad: tf.backend_util.ExplicitPadding | 'valid',
): Case {
  const x = tf.randomNormal([batch, hw, hw, ci]);
  const w = tf.randomNormal([k, k, ci, co]);
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad);
  const dy = tf.randomNormal(y.shape);
  const attrs = {
    strides: [s, s],
    pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
    inputShape: x.shape,
  };
  return {
    name,
    forward: kernel('Conv2D', { x, filter: w }, attrs),
    before: direct(legacyConvInput, { dy, filter: w }, attrs),
    after: kernel('Conv2DBackpropInput', { dy, filter: w }, attrs),
  };
}

function depthwise(name: string, hw: number, c: number, s: number): Case {
  const x = tf.randomNormal([batch, hw, hw, c]);
  const w = tf.randomNormal([3, 3, c, 1]);
  const y = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad1);
  const dy = tf.randomNormal(y.shape);
  const attrs = { strides: [s, s], pad: pad1, dilations: [1, 1], inputShape: x.shape };
  return {
    name,
    forward: kernel('DepthwiseConv2dNative', { x, filter: w }, attrs),
    before: direct(legacyDepthwiseInput, { dy, filter: w }, attrs),
    after: kernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, attrs),
  };
}

function maxPool(name: string, hw: number, c: number): Case {
  // After a ReLU, as in ResNet: half the values are 0 (ties).
  const x = tf.relu(tf.randomNormal([batch, hw, hw, c]));
  const attrs = { filterSize: 3, strides: 2, pad: 1 };
  const y = tf.maxPool(x as tf.Tensor4D, 3, 2, 1);
  const dy = tf.randomNormal(y.shape);
  const inputs = { dy, input: x, output: y };
  return {
    name,
    forward: kernel('MaxPool', { x }, attrs),
    before: direct(legacyMaxPoolGrad, inputs, attrs),
    after: kernel('MaxPoolGrad', inputs, attrs),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: Fn): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const engine = await initEngine({ backend: 'wasm' });
  const cases: Array<[string, () => Case]> = [
    ['conv3x3s1', () => conv('conv 3×3/1, 56×56×64 → 64', 56, 64, 64, 3, 1, pad1)],
    ['conv3x3s2', () => conv('conv 3×3/2, 56×56×64 → 28×28×128', 56, 64, 128, 3, 2, pad1)],
    [
      'conv1x1s2',
      () => conv('conv 1×1/2 downsample, 56×56×64 → 28×28×128', 56, 64, 128, 1, 2, 'valid'),
    ],
    ['conv3x3s2deep', () => conv('conv 3×3/2, 14×14×256 → 7×7×512', 14, 256, 512, 3, 2, pad1)],
    ['stem', () => conv('stem 7×7/2, 224×224×3 → 112×112×64', 224, 3, 64, 7, 2, pad3)],
    ['dw3x3s2', () => depthwise('depthwise 3×3/2, 112×112×96', 112, 96, 2)],
    ['dw3x3s1', () => depthwise('depthwise 3×3/1, 56×56×144', 56, 144, 1)],
    ['maxpool', () => maxPool('max-pool 3×3/2, 112×112×64', 112, 64)],
  ];
  const wanted = only ? new Set(only.split(',')) : null;
  console.log(
    `wasm, ${engine.threads} threads, batch ${batch}, median of ${reps} (shared machine: noisy)\n`,
  );
  console.log('| kernel | forward ms | input grad before ms | after ms | before/fwd | after/fwd |');
  console.log('|---|---|---|---|---|---|');
  for (const [key, make] of cases) {
    if (wanted && !wanted.has(key)) continue;
    tf.engine().startScope();
    const c = make();
    c.forward();
    c.before();
    c.after();
    const t = { forward: [] as number[], before: [] as number[], after: [] as number[] };
    for (let i = 0; i < reps; i++) {
      t.forward.push(time(c.forward));
      t.before.push(time(c.before));
      t.after.push(time(c.after));
    }
    const [f, b, a] = [median(t.forward), median(t.before), median(t.after)];
    console.log(
      `| ${c.name} | ${f.toFixed(1)} | ${b.toFixed(1)} | ${a.toFixed(1)} | ${(b / f).toFixed(2)} | ${(a / f).toFixed(2)} |`,
    );
    tf.engine().endScope();
  }
}

await main();
