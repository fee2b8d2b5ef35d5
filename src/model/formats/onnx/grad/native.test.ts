/**
 * How an ONNX model picks its gradient engine and what it says (issue 26, items 1 and 3, and "Bad
 * input"): onnxruntime by default where every op has a VJP; tfjs — named, with why — for a model
 * with an op it cannot differentiate, without onnxruntime, when asked for tfjs, after its weights
 * were changed (MPRT), and for gradients of gradients. Layer offsets (Grad-CAM) and several taps go
 * through the native graph too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setGradientEngine, setGradientMemory } from '../../../../engine/gradient_engine.js';
import { withRules } from '../../../../engine/rules.js';
import { Rng } from '../../../../engine/rng.js';
import { randomizeLayer } from '../../../../metrics/randomization.js';
import { netModel, weight, type Net } from '../../../../../test/onnx_nets.js';
import { nativeRuns } from './native.js';
import { loadModel } from '../../../../io/model_files.js';
import { cosine, noLeaks, relErr, setup } from '../../../../../test/helpers.js';

const small: Net = {
  input: [3, 8, 8],
  nodes: [
    {
      op: 'Conv',
      inputs: ['x', 'w1', 'b1'],
      outputs: ['c1'],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
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
    { op: 'Tanh', inputs: ['c2'], outputs: ['t2'] },
    { op: 'GlobalAveragePool', inputs: ['t2'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'v', 'bv'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    weight('w1', [6, 3, 3, 3], 1),
    weight('b1', [6], 2),
    weight('w2', [5, 6, 3, 3], 3),
    weight('v', [4, 5], 4),
    weight('bv', [4], 5),
  ],
  output: 'y',
};

const onEngine = <T>(engine: 'onnxruntime' | 'tfjs', f: () => T): T => {
  setGradientEngine(engine);
  try {
    return f();
  } finally {
    setGradientEngine('auto');
  }
};

describe('native gradient engine choice', () => {
  it('is onnxruntime by default, and tfjs when asked, each said with why', async () => {
    await setup('wasm');
    const model = await netModel(small);
    assert.match(model.gradientEngine ?? '', /^onnxruntime-node 1\.30\.0$/);
    assert.match(model.gradientEngineWhy ?? '', /gradient graph/);
    onEngine('tfjs', () => {
      assert.equal(model.gradientEngine, 'tfjs');
      assert.match(model.gradientEngineWhy ?? '', /--gradients/);
    });
    model.dispose();
  });

  it('stays on tfjs for a model with an op it cannot differentiate, naming the op', async () => {
    await setup('wasm');
    const net: Net = {
      input: [1, 2, 2],
      nodes: [{ op: 'Pow', inputs: ['x', 'x'], outputs: ['y'] }],
      output: 'y',
    };
    const model = await netModel(net);
    assert.equal(model.gradientEngine, 'tfjs');
    assert.match(model.gradientEngineWhy ?? '', /Pow.*computed exponent/);
    const x = tf.tensor4d([0.5, 1, 0.25, 0.75], [1, 2, 2, 1]);
    const g = tf.grad((v: tf.Tensor) => model.predict(v as tf.Tensor4D).sum())(x);
    // d xˣ/dx = xˣ (ln x + 1)
    const want = [0.5, 1, 0.25, 0.75].map((v) => v ** v * (Math.log(v) + 1));
    Array.from(g.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5));
    tf.dispose([x, g]);
    model.dispose();
  });

  it('is tfjs without onnxruntime', async () => {
    await setup('wasm');
    const model = await netModel(small, 'tfjs-only');
    assert.equal(model.gradientEngine, 'tfjs');
    assert.match(model.gradientEngineWhy ?? '', /no native engine/);
    model.dispose();
  });

  it('goes to tfjs while weights are changed (MPRT) and back once they are restored', async () => {
    await setup('wasm');
    const model = await netModel(small);
    const restore = randomizeLayer(
      model,
      model.layers.find((l) => l.kind === 'Conv')!.name,
      new Rng(1),
    );
    assert.equal(model.gradientEngine, 'tfjs');
    assert.match(model.gradientEngineWhy ?? '', /weights were changed/);
    restore();
    assert.match(model.gradientEngine ?? '', /^onnxruntime/);
    model.dispose();
  });

  it('keeps one model on tfjs when asked (useEngine), the same numbers, and goes back', async () => {
    await setup('wasm');
    const model = await netModel(small);
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    const pass = () => {
      const runs = nativeRuns.forward + nativeRuns.backward + nativeRuns.fused;
      const out = tf.tidy(() => [
        ...model.predict(x).dataSync(),
        ...tf
          .grad((v: tf.Tensor) =>
            model
              .predict(v as tf.Tensor4D)
              .square()
              .sum(),
          )(x)
          .dataSync(),
      ]);
      return { out, native: nativeRuns.forward + nativeRuns.backward + nativeRuns.fused - runs };
    };
    const native = pass();
    assert.ok(native.native > 0);
    model.useEngine!('tfjs');
    assert.equal(model.forwardEngine, 'tfjs');
    assert.equal(model.gradientEngine, 'tfjs');
    assert.match(model.gradientEngineWhy ?? '', /set to tfjs/);
    const kept = await noLeaks(pass);
    assert.equal(kept.native, 0, 'no native run while the model is on tfjs');
    assert.ok(relErr(kept.out, native.out) <= 1e-5, `rel ${relErr(kept.out, native.out)}`);
    model.useEngine!('native');
    assert.match(model.forwardEngine ?? '', /^onnxruntime/);
    assert.match(model.gradientEngine ?? '', /^onnxruntime/);
    x.dispose();
    model.dispose();
  });
});

describe('native gradients through the tape', () => {
  it('leaves a gradient taken inside another gradient to tfjs (the native op is first-order only)', async () => {
    await setup('wasm');
    const [model, ref] = [await netModel(small), await netModel(small, 'tfjs-only')];
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const inner = (m: typeof model) => {
      let g: number[] = [];
      const outer = tf.grad((v: tf.Tensor) => {
        g = Array.from(
          tf
            .grad((u: tf.Tensor) => m.predict(u as tf.Tensor4D).sum())(v)
            .dataSync(),
        );
        return v.sum();
      })(x);
      outer.dispose();
      return g;
    };
    const profile = await tf.profile(() => void inner(model));
    assert.ok(
      profile.kernelNames.some((k) => /Conv2D/.test(k)),
      'the inner gradient ran on tfjs',
    );
    assert.ok(relErr(inner(model), inner(ref)) < 1e-6);
    x.dispose();
    model.dispose();
    ref.dispose();
  });

  it('differentiates a layer offset (Grad-CAM) and several taps, duplicates included', async () => {
    await setup('wasm');
    const model = await netModel(small);
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const [mid, out] = [model.layers[2].name, model.layers[model.layers.length - 1].name];
    const delta = tf.tidy(() => tf.zerosLike(model.activations(x, [mid])[0]));
    const W = tf.randomNormal([2, 4], 0, 1, 'float32', 3);
    const run = (engine: 'onnxruntime' | 'tfjs') =>
      onEngine(engine, () =>
        tf.tidy(() => {
          const f = (v: tf.Tensor, d: tf.Tensor) => {
            const [a, b, c] = model.activations(v as tf.Tensor4D, [out, mid, out], {
              layer: mid,
              delta: d,
            });
            return a.mul(W).sum().add(b.square().mean()).add(c.sum());
          };
          const [gx, gd] = tf.grads(f)([x, delta]);
          return [...gx.dataSync(), ...gd.dataSync()];
        }),
      );
    const [a, b] = await noLeaks(() => [run('onnxruntime'), run('tfjs')]);
    assert.ok(
      cosine(a, b) >= 0.99999 && relErr(a, b) <= 1e-5,
      `cosine ${cosine(a, b)} rel ${relErr(a, b)}`,
    );
    // The offset alone (what Grad-CAM asks for): only the graph's tail runs.
    const only = (engine: 'onnxruntime' | 'tfjs') =>
      onEngine(engine, () =>
        tf.tidy(() =>
          Array.from(
            tf
              .grad((d: tf.Tensor) =>
                model.activations(x, [out], { layer: mid, delta: d })[0].mul(W).sum(),
              )(delta)
              .dataSync(),
          ),
        ),
      );
    const [c, d] = await noLeaks(() => [only('onnxruntime'), only('tfjs')]);
    assert.ok(relErr(c, d) <= 1e-5);
    tf.dispose([x, delta, W]);
    model.dispose();
  });

  it('runs a forward with a layer offset and no gradient (CRAFT, TCAV: h = layer → logits) on the native engine', async () => {
    await setup('wasm');
    const model = await netModel(small);
    const x = tf.randomUniform([3, 8, 8, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const [mid, out] = [model.layers[2].name, model.layers[model.layers.length - 1].name];
    const delta = tf.tidy(() =>
      tf.randomNormal(model.activations(x, [mid])[0].shape, 0, 1, 'float32', 5),
    );
    const run = (engine: 'onnxruntime' | 'tfjs') =>
      onEngine(engine, () => {
        const before = nativeRuns.forward;
        const [y] = model.activations(x, [out], { layer: mid, delta });
        const v = Array.from(y.dataSync());
        y.dispose();
        return { v, native: nativeRuns.forward - before };
      });
    const [a, b] = await noLeaks(() => [run('onnxruntime'), run('tfjs')]);
    assert.ok(a.native > 0, 'the offset forward ran on onnxruntime');
    assert.equal(b.native, 0);
    assert.ok(relErr(a.v, b.v) <= 1e-5, `rel ${relErr(a.v, b.v)}`);
    // The offset moves the output: the check above compares more than the plain forward.
    const [plain] = model.activations(x, [out]);
    assert.ok(relErr(Array.from(plain.dataSync()), b.v) > 1e-3);
    tf.dispose([x, delta, plain]);
    model.dispose();
  });

  it("gives the same gradients when a batch runs as several runs of rows, and forwards through the gradient's session", async () => {
    await setup('wasm');
    const whole = await netModel(small);
    process.env.DEEPVIS_RUN_MB = '1e-9';
    const rowByRow = await netModel(small);
    delete process.env.DEEPVIS_RUN_MB;
    const ref = await netModel(small, 'tfjs-only');
    const x = tf.randomUniform([3, 8, 8, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const mid = whole.layers[2].name;
    const g = (m: typeof whole) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) =>
              m
                .activations(v as tf.Tensor4D, [mid])[0]
                .square()
                .sum(),
            )(x)
            .dataSync(),
        ),
      );
    const [a, b] = await noLeaks(() => [g(whole), g(rowByRow)]);
    assert.ok(relErr(b, a) < 1e-6 && cosine(a, b) > 0.999999);
    // A forward of the same layer now goes through the gradient's forward session: the same numbers.
    await noLeaks(() => {
      const [p, q] = [rowByRow.activations(x, [mid])[0], ref.activations(x, [mid])[0]];
      assert.ok(relErr(p.dataSync(), q.dataSync()) < 1e-5);
      tf.dispose([p, q]);
    });
    x.dispose();
    [whole, rowByRow, ref].forEach((m) => m.dispose());
  });

  it('runs a tap on attention probabilities [B·heads, T, T] in several runs of rows (the "78 by 312" defect)', async () => {
    // At batch 100 the ViT's runs held 78 images; the tap gradient was cut in 78 rows of its
    // B·heads axis, not 78 images' worth (onnxruntime refused the broadcast in the softmax's VJP).
    // With one image per run, as here, the cut (1 row against `heads`) even broadcast silently:
    // a wrong gradient (cosine 0.12 to tfjs's before the fix).
    await setup('wasm');
    process.env.DEEPVIS_RUN_MB = '1e-9';
    const vit = await loadModel('test/fixtures/onnx/vit-mini-op17.onnx');
    delete process.env.DEEPVIS_RUN_MB;
    const layer = vit.layers.find((l) => l.attention)!;
    assert.ok(layer, 'the ViT mini has an attention layer');
    const x = tf.randomUniform([3, ...vit.input.shape], 0, 1, 'float32', 8) as tf.Tensor4D;
    const W = tf.tidy(() =>
      tf.randomNormal(vit.activations(x, [layer.name])[0].shape, 0, 1, 'float32', 9),
    );
    const g = () =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) =>
              vit
                .activations(v as tf.Tensor4D, [layer.name])[0]
                .mul(W)
                .sum(),
            )(x)
            .dataSync(),
        ),
      );
    const before = nativeRuns.backward;
    const native = await noLeaks(() => onEngine('onnxruntime', g));
    assert.equal(nativeRuns.backward - before, 3, 'one backward run per image');
    const ref = onEngine('tfjs', g);
    assert.ok(
      cosine(native, ref) >= 0.99999 && relErr(native, ref) <= 1e-4,
      `cosine ${cosine(native, ref)}, relative error ${relErr(native, ref)}`,
    );
    tf.dispose([x, W]);
    vit.dispose();
  });

  it('gives the same gradients when the backward pass recomputes the forward (item 5), rows, offset and rules included', async () => {
    await setup('wasm');
    const oneRowEach = async () => {
      process.env.DEEPVIS_RUN_MB = '1e-9';
      try {
        return await netModel(small);
      } finally {
        delete process.env.DEEPVIS_RUN_MB;
      }
    };
    const model = await oneRowEach();
    const ref = await netModel(small, 'tfjs-only');
    const x = tf.randomUniform([3, 8, 8, 3], -1, 1, 'float32', 6) as tf.Tensor4D;
    const [mid, out] = [model.layers[2].name, model.layers[model.layers.length - 1].name];
    const delta = tf.tidy(() =>
      tf.randomNormal(model.activations(x, [mid])[0].shape, 0, 0.1, 'float32', 7),
    );
    const W = tf.randomNormal([3, 4], 0, 1, 'float32', 8);
    const g = (m: typeof model) =>
      tf.tidy(() => {
        const [gx, gd] = tf.grads((v: tf.Tensor, d: tf.Tensor) =>
          m
            .activations(v as tf.Tensor4D, [out], { layer: mid, delta: d })[0]
            .mul(W)
            .sum(),
        )([x, delta]);
        const guided = withRules({ relu: 'guided' }, () =>
          tf.grad((v: tf.Tensor) =>
            m
              .activations(v as tf.Tensor4D, [out])[0]
              .mul(W)
              .sum(),
          )(x),
        );
        return [...gx.dataSync(), ...gd.dataSync(), ...guided.dataSync()];
      });
    const runsOf = (f: () => void) => {
      const before = { ...nativeRuns };
      f();
      return {
        forward: nativeRuns.forward - before.forward,
        backward: nativeRuns.backward - before.backward,
        fused: nativeRuns.fused - before.fused,
      };
    };
    let saved: number[] = [];
    // 3 images, one per run; two gradients (the offset's and the guided one): forward and backward runs, no fused one.
    assert.deepEqual(
      runsOf(() => void (saved = g(model))),
      { forward: 6, backward: 6, fused: 0 },
    );
    setGradientMemory('recompute');
    try {
      const again = await oneRowEach();
      let recomputed: number[] = [];
      assert.deepEqual(
        runsOf(() => void (recomputed = g(again))),
        { forward: 6, backward: 0, fused: 6 },
      );
      await noLeaks(() => g(again));
      // Each image alone in its run, the recomputing pass through the fused graph only: no tfjs kernel of a layer.
      const profile = await tf.profile(() => void g(again));
      assert.deepEqual(
        profile.kernelNames.filter((k) => /Conv2D|MaxPool/.test(k)),
        [],
      );
      assert.ok(
        relErr(recomputed, saved) < 1e-6,
        `recomputed vs saved: ${relErr(recomputed, saved)}`,
      );
      assert.ok(relErr(recomputed, g(ref)) < 1e-5 && cosine(recomputed, g(ref)) >= 0.99999);
      again.dispose();
    } finally {
      setGradientMemory('saved');
    }
    tf.dispose([x, delta, W]);
    [model, ref].forEach((m) => m.dispose());
  });
});
