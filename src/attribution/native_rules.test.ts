/**
 * LRP and DeepLIFT on native gradients (issue 26 item 2, issue 29 item 1): for ONNX models the
 * rule sets run in the onnxruntime gradient graph (grad/vjp_lrp.ts, grad/vjp_rescale.ts) and give
 * the maps the tfjs tape's rule sets give (cosine ≥ 0.99999, relative error ≤ 1e-4), every
 * composite, on small nets with the parts that matter (batch norms the canonizer merges, residual
 * sums, dense layers, max pooling) and on transformers (AttnLRP); the passes really ran natively
 * (the session counters), also when a batch goes in several runs (DeepLIFT's pairs, z^B's bound
 * rows, attention probabilities' B·heads rows); an op the graph has no rule for keeps that pass on
 * tfjs, with the same map, and `inspect` says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setGradientEngine } from '../engine/gradient_engine.js';
import type { LrpComposite } from '../engine/lrp_rules.js';
import { loadModel } from '../io/model_files.js';
import { nativeRuns } from '../model/formats/onnx/grad/native.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget } from '../objectives/target.js';
import { netModel, weight, type Net } from '../../test/onnx_nets.js';
import { cosine, noLeaks, relErr, setup } from '../../test/helpers.js';
import { deepLift } from './deeplift.js';
import { COMPOSITES, lrp } from './lrp.js';

const EPSILON: LrpComposite = {
  conv: { name: 'epsilon', epsilon: 1e-6 },
  dense: { name: 'epsilon', epsilon: 1e-6 },
  stabilizer: 1e-6,
};
const ALL: ReadonlyArray<[string, LrpComposite]> = [
  ['lrp-epsilon', EPSILON],
  ...Object.entries(COMPOSITES).map(([k, c]) => [`lrp-${k}`, c] as [string, LrpComposite]),
];

const floats = (name: string, c: number, seed: number, scale: number) =>
  weight(name, [c], seed, scale).data as Float32Array;
const bn = (name: string, c: number, seed: number) => [
  floats(`${name}.g`, c, seed, 1).map((v) => 1 + 0.5 * v),
  floats(`${name}.b`, c, seed + 1, 0.3),
  floats(`${name}.m`, c, seed + 2, 0.3),
  floats(`${name}.v`, c, seed + 3, 0.5).map((v) => 1 + v),
];
const bnInits = (name: string, c: number, seed: number) =>
  bn(name, c, seed).map((data, k) => ({
    name: `${name}.${['g', 'b', 'm', 'v'][k]}`,
    dims: [c],
    dtype: 'float32' as const,
    data: Float32Array.from(data),
  }));
const bnNode = (name: string, x: string, y: string) => ({
  op: 'BatchNormalization',
  inputs: [x, `${name}.g`, `${name}.b`, `${name}.m`, `${name}.v`],
  outputs: [y],
  attrs: { epsilon: { f: 1e-5 } },
});

/**
 * conv → BN → ReLU → max-pool → [conv → BN → ReLU → conv → BN] + skip → ReLU → global average →
 * dense → ReLU → dense: the canonizer's merges, a residual sum, dense layers.
 */
const resBn: Net = {
  input: [3, 12, 12],
  nodes: [
    {
      op: 'Conv',
      inputs: ['x', 'w1', 'b1'],
      outputs: ['c1'],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    },
    bnNode('n1', 'c1', 'z1'),
    { op: 'Relu', inputs: ['z1'], outputs: ['r1'] },
    {
      op: 'MaxPool',
      inputs: ['r1'],
      outputs: ['p1'],
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    },
    {
      op: 'Conv',
      inputs: ['p1', 'w2'],
      outputs: ['c2'],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    },
    bnNode('n2', 'c2', 'z2'),
    { op: 'Relu', inputs: ['z2'], outputs: ['r2'] },
    {
      op: 'Conv',
      inputs: ['r2', 'w3', 'b3'],
      outputs: ['c3'],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    },
    bnNode('n3', 'c3', 'z3'),
    { op: 'Add', inputs: ['z3', 'p1'], outputs: ['s'] },
    { op: 'Relu', inputs: ['s'], outputs: ['r3'] },
    { op: 'GlobalAveragePool', inputs: ['r3'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'd1', 'e1'], outputs: ['h'], attrs: { transB: 1 } },
    { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
    { op: 'Gemm', inputs: ['hr', 'd2', 'e2'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    weight('w1', [6, 3, 3, 3], 1),
    weight('b1', [6], 2, 0.2),
    ...bnInits('n1', 6, 10),
    weight('w2', [6, 6, 3, 3], 3, 0.3),
    ...bnInits('n2', 6, 20),
    weight('w3', [6, 6, 3, 3], 4, 0.3),
    weight('b3', [6], 5, 0.2),
    ...bnInits('n3', 6, 30),
    weight('d1', [8, 6], 6),
    weight('e1', [8], 7, 0.2),
    weight('d2', [4, 8], 8),
    weight('e2', [4], 9, 0.2),
  ],
  output: 'y',
};

/** resBn with each batch norm folded into the convolution before it, by hand. */
function folded(net: Net): Net {
  const init = new Map(net.initializers!.map((t) => [t.name ?? '', t]));
  const nodes = net.nodes.filter((n) => n.op !== 'BatchNormalization');
  const inits = net.initializers!.filter((t) => !/^n\d\./.test(t.name ?? ''));
  for (const norm of net.nodes.filter((n) => n.op === 'BatchNormalization')) {
    const k = nodes.findIndex((n) => n.outputs[0] === norm.inputs[0]);
    const conv = nodes[k];
    const [g, b, m, v] = norm.inputs.slice(1).map((n) => init.get(n!)!.data as Float32Array);
    const w = init.get(conv.inputs[1]!)!;
    const c = g.length;
    const per = w.data.length / c;
    const scale = g.map((gi, i) => gi / Math.sqrt(v[i] + 1e-5));
    const bias = conv.inputs[2]
      ? (init.get(conv.inputs[2]!)!.data as Float32Array)
      : new Float32Array(c);
    const name = `${conv.inputs[1]}.folded`;
    inits.push({
      ...w,
      name,
      data: (w.data as Float32Array).map((x, i) => x * scale[Math.floor(i / per)]),
    });
    inits.push({
      name: `${name}.b`,
      dims: [c],
      dtype: 'float32',
      data: bias.map((x, i) => (x - m[i]) * scale[i] + b[i]),
    });
    nodes[k] = { ...conv, inputs: [conv.inputs[0], name, `${name}.b`], outputs: [norm.outputs[0]] };
  }
  return { ...net, nodes, initializers: inits };
}

/** Dense layers only (flatten → dense → tanh → dense → sigmoid → dense): the ε rule throughout. */
const mlp: Net = {
  input: [2, 4, 4],
  nodes: [
    { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'd1', 'e1'], outputs: ['h1'], attrs: { transB: 1 } },
    { op: 'Tanh', inputs: ['h1'], outputs: ['t1'] },
    { op: 'MatMul', inputs: ['t1', 'd2'], outputs: ['h2'] },
    { op: 'Add', inputs: ['h2', 'e2'], outputs: ['a2'] },
    { op: 'Sigmoid', inputs: ['a2'], outputs: ['s2'] },
    { op: 'Gemm', inputs: ['s2', 'd3'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    weight('d1', [10, 32], 1),
    weight('e1', [10], 2, 0.2),
    weight('d2', [10, 7], 3),
    weight('e2', [7], 4, 0.2),
    weight('d3', [3, 7], 5),
  ],
  output: 'y',
};

/** A grouped convolution (two groups of two channels): the importer runs one conv per group. */
const grouped: Net = {
  input: [4, 6, 6],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], group: 2 } },
    { op: 'HardSwish', inputs: ['c1'], outputs: ['r1'] },
    { op: 'GlobalAveragePool', inputs: ['r1'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'd'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [weight('w1', [4, 2, 3, 3], 1), weight('d', [3, 4], 2)],
  output: 'y',
};

const runs = () => nativeRuns.forward + nativeRuns.backward + nativeRuns.fused;

/** f on one engine, with how many native runs it made. */
function on<T>(engine: 'onnxruntime' | 'tfjs', f: () => T): { value: T; runs: number } {
  setGradientEngine(engine);
  const before = runs();
  try {
    return { value: f(), runs: runs() - before };
  } finally {
    setGradientEngine('auto');
  }
}

const close = (what: string, native: Float32Array, ref: Float32Array) => {
  const [cos, rel] = [cosine(native, ref), relErr(native, ref)];
  assert.ok(cos >= 0.99999 && rel <= 1e-4, `${what}: cosine ${cos}, relative error ${rel}`);
  return `cos ${cos.toFixed(7)}, rel ${rel.toExponential(1)}`;
};

/** Every composite's map and DeepLIFT's on both engines: the same, and the native ones ran natively. */
function parity(model: VisModel, x: tf.Tensor4D, rows: string[], name: string, layer?: string) {
  const t = resolveTarget(model, x, layer ? { layer } : {});
  const figures: string[] = [];
  for (const [method, composite] of ALL) {
    const map = () => tf.tidy(() => lrp(model, x, t, composite, method).dataSync() as Float32Array);
    const native = on('onnxruntime', map);
    const ref = on('tfjs', map);
    assert.ok(native.runs > 0, `${name} ${method}: no native run (${model.gradientEngineWhy})`);
    assert.equal(ref.runs, 0, `${name} ${method}: tfjs ran natively`);
    figures.push(`${method} ${close(`${name} ${method}`, native.value, ref.value)}`);
  }
  const refs = tf.tidy(() =>
    tf.randomUniform(x.shape, ...model.input.range, 'float32', 5),
  ) as tf.Tensor4D;
  const lift = () => tf.tidy(() => deepLift(model, x, refs, t).dataSync() as Float32Array);
  const native = on('onnxruntime', lift);
  const ref = on('tfjs', lift);
  assert.ok(native.runs > 0, `${name} deeplift: no native run`);
  figures.push(`deeplift ${close(`${name} deeplift`, native.value, ref.value)}`);
  refs.dispose();
  rows.push(`${name}: ${figures.join('; ')}`);
}

describe('LRP and DeepLIFT on native gradients: parity with the tfjs rule sets', () => {
  const rows: string[] = [];
  before(() => setup('wasm'));
  after(() => rows.forEach((r) => console.log(`# ${r}`)));

  it('small nets: conv + batch norm (canonizer), residual sum, max-pool, dense layers', async () => {
    for (const [name, net] of [
      ['conv+BN+residual', resBn],
      ['dense', mlp],
    ] as const) {
      const model = await netModel(net);
      const x = tf.randomUniform([3, ...model.input.shape], -1, 1, 'float32', 2) as tf.Tensor4D;
      await noLeaks(() => parity(model, x, rows, name));
      x.dispose();
      model.dispose();
    }
  });

  it("the canonizer on both engines: conv → BN gives the folded conv's map (EpsilonPlusFlat's z⁺)", async () => {
    const [model, fold] = [await netModel(resBn), await netModel(folded(resBn))];
    const x = tf.randomUniform([2, ...model.input.shape], -1, 1, 'float32', 12) as tf.Tensor4D;
    const composite = COMPOSITES['epsilon-plus-flat'];
    const map = (m: VisModel) => () =>
      tf.tidy(() => lrp(m, x, resolveTarget(m, x, {}), composite).dataSync() as Float32Array);
    const reference = on('tfjs', map(fold)).value;
    for (const engine of ['onnxruntime', 'tfjs'] as const)
      close(`${engine}: conv → BN vs folded`, on(engine, map(model)).value, reference);
    // Without the merge (relevance passed through each norm) the map differs: the test can fail.
    const unmerged = on('tfjs', () =>
      tf.tidy(
        () =>
          lrp(model, x, resolveTarget(model, x, {}), {
            ...composite,
            merge: false,
          }).dataSync() as Float32Array,
      ),
    ).value;
    assert.ok(
      cosine(unmerged, reference) < 0.999,
      `unmerged cosine ${cosine(unmerged, reference)}`,
    );
    x.dispose();
    [model, fold].forEach((m) => m.dispose());
  });

  it('PyTorch-made CNNs: the ResNet mini fixture and the trained MNIST ResNet', async () => {
    for (const file of [
      'test/fixtures/onnx/resnet-mini.onnx',
      'test/fixtures/onnx/trained/mnist-resnet/model.onnx',
    ]) {
      const model = await loadModel(file);
      const x = tf.randomUniform(
        [2, ...model.input.shape],
        ...model.input.range,
        'float32',
        3,
      ) as tf.Tensor4D;
      parity(model, x, rows, file);
      x.dispose();
      model.dispose();
    }
  });

  it('transformers (AttnLRP): the ViT minis (opsets 13 and 17) and the trained MNIST ViT', async () => {
    for (const file of [
      'test/fixtures/onnx/vit-mini.onnx',
      'test/fixtures/onnx/vit-mini-op17.onnx',
      'test/fixtures/onnx/trained/mnist-vit/model.onnx',
    ]) {
      const model = await loadModel(file);
      const x = tf.randomUniform(
        [2, ...model.input.shape],
        ...model.input.range,
        'float32',
        4,
      ) as tf.Tensor4D;
      parity(model, x, rows, file);
      x.dispose();
      model.dispose();
    }
  });

  it('batches in several native runs keep the rows a rule reads together (pairs, bound rows)', async () => {
    process.env.DEEPVIS_RUN_MB = '0.0001';
    const model = await netModel(resBn);
    delete process.env.DEEPVIS_RUN_MB;
    const x = tf.randomUniform([5, ...model.input.shape], -1, 1, 'float32', 6) as tf.Tensor4D;
    const before = nativeRuns.forward;
    parity(model, x, rows, 'conv+BN+residual, one row per run');
    // One run per row: 5 images (+ 2 bound rows in each z^B run), 5 pairs for DeepLIFT.
    assert.ok(
      nativeRuns.forward - before >= 5 * (ALL.length + 1),
      `${nativeRuns.forward - before} runs`,
    );
    x.dispose();
    model.dispose();
  });

  it('an op the gradient graph has no rule for keeps that pass on tfjs, with the same map, and says why', async () => {
    const model = await netModel(grouped);
    assert.deepEqual(
      model.ruleSetEngines?.map((r) => [r.name, r.engine === 'tfjs']),
      [
        ['LRP', true],
        ['DeepLIFT', true],
      ],
    );
    const [lrpRoute, liftRoute] = model.ruleSetEngines!;
    assert.match(lrpRoute.why, /grouped convolution/);
    assert.match(liftRoute.why, /HardSwish/);
    const x = tf.randomUniform([2, ...model.input.shape], -1, 1, 'float32', 7) as tf.Tensor4D;
    const t = resolveTarget(model, x, {});
    const map = () => tf.tidy(() => lrp(model, x, t, EPSILON).dataSync() as Float32Array);
    const native = on('onnxruntime', map);
    const ref = on('tfjs', map);
    assert.equal(native.runs, 0);
    close('grouped conv on tfjs', native.value, ref.value);
    // Plain gradients of the same model still run natively.
    const g = on('onnxruntime', () =>
      tf.tidy(() =>
        tf
          .grad((v: tf.Tensor) => model.predict(v as tf.Tensor4D).sum())(x)
          .dataSync(),
      ),
    );
    assert.ok(g.runs > 0);
    x.dispose();
    model.dispose();
  });
});
