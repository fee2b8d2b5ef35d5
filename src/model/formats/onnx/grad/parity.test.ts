/**
 * Native gradients (issue 26, item 4): every ONNX fixture and every trained model gives the same
 * input gradients through onnxruntime's gradient graph as through tfjs's tape (cosine ≥ 0.99999,
 * relative error ≤ 1e-4), at the output and at an inner tap, and the PyTorch-made fixtures match
 * PyTorch's own gradient. The table of figures goes to the test's diagnostics.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setGradientEngine } from '../../../../engine/gradient_engine.js';
import { loadModel } from '../../../../io/model_files.js';
import type { VisModel } from '../../../types.js';
import { cosine, noLeaks, relErr, setup } from '../../../../../test/helpers.js';

const DIR = 'test/fixtures/onnx';

const LAYER_KERNELS =
  /^(Conv2D|FusedConv2D|DepthwiseConv2dNative|FusedDepthwiseConv2D|MaxPool|AvgPool|_FusedMatMul|BatchMatMul)$/;

/**
 * d Σ (layer · W) / dx on the given engine. On onnxruntime, no tfjs kernel of a layer may run
 * (the gradient must not have come from the tape after all).
 */
async function gradientOn(
  engine: 'onnxruntime' | 'tfjs',
  model: VisModel,
  x: tf.Tensor4D,
  layer: string,
  W: tf.Tensor,
): Promise<Float32Array> {
  setGradientEngine(engine);
  try {
    let g: Float32Array | null = null;
    const info = await tf.profile(() => {
      g = tf.tidy(
        () =>
          tf
            .grad((v: tf.Tensor) =>
              model
                .activations(v as tf.Tensor4D, [layer])[0]
                .mul(W)
                .sum(),
            )(x)
            .dataSync() as Float32Array,
      );
    });
    const ran = info.kernelNames.filter((k) => LAYER_KERNELS.test(k));
    if (engine === 'onnxruntime')
      assert.deepEqual(ran, [], `tfjs ran ${ran.join(', ')} for a native gradient`);
    return g!;
  } finally {
    setGradientEngine('auto');
  }
}

/** Largest relative gap between <g, v> and (f(x + εv) − f(x − εv)) / 2ε over a few random directions v. */
function checkByDifferences(
  model: VisModel,
  x: tf.Tensor4D,
  layer: string,
  W: tf.Tensor,
  g: Float32Array,
): number {
  const f = (t: tf.Tensor) =>
    tf.tidy(
      () =>
        model
          .activations(t as tf.Tensor4D, [layer])[0]
          .mul(W)
          .sum()
          .dataSync()[0],
    );
  let worst = 0;
  for (let k = 0; k < 4; k++) {
    const v = tf.randomNormal(x.shape, 0, 1, 'float32', 11 + k);
    const eps = 1e-3;
    const fd = tf.tidy(() => (f(x.add(v.mul(eps))) - f(x.sub(v.mul(eps)))) / (2 * eps));
    const vd = v.dataSync();
    let dot = 0;
    for (let i = 0; i < g.length; i++) dot += g[i] * vd[i];
    worst = Math.max(worst, Math.abs(dot - fd) / Math.max(1e-6, Math.abs(dot)));
    v.dispose();
  }
  assert.ok(worst < 1e-2, `directional derivatives differ from central differences by ${worst}`);
  return worst;
}

const fixtures = async () => [
  ...(await fs.readdir(DIR))
    .filter((f) => f.endsWith('.expect.json'))
    .map((f) => f.replace('.expect.json', '')),
  // Graphs of single new ops (test/fixtures/onnx/ops: outputs only, no gradient reference): tfjs is the reference.
  ...(await fs.readdir(path.join(DIR, 'ops')))
    .filter((f) => f.endsWith('.expect.json'))
    .map((f) => `ops/${f.replace('.expect.json', '')}`),
  // Every trained model (CNNs, the ViT and the ConvNeXt): each folder holds model.onnx.
  ...(await fs.readdir(path.join(DIR, 'trained'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => `trained/${d.name}/model`),
];

describe('native gradients: parity with tfjs on every ONNX fixture', () => {
  it("gives tfjs's gradients (cosine ≥ 0.99999, relative error ≤ 1e-4) at the output and at an inner layer, and PyTorch's", async (t) => {
    await setup('wasm');
    const rows: string[] = [];
    for (const name of await fixtures()) {
      const expect = name.startsWith('trained')
        ? null
        : JSON.parse(await fs.readFile(path.join(DIR, `${name}.expect.json`), 'utf8'));
      const model = await loadModel(
        path.join(DIR, expect ? path.join(path.dirname(name), expect.model) : `${name}.onnx`),
      );
      try {
        if (name.endsWith('-ext')) {
          // External data: no runner, so no native gradients, and inspect says why.
          assert.equal(model.gradientEngine, 'tfjs', name);
          assert.match(model.gradientEngineWhy ?? '', /external data/);
          rows.push(`${name}: tfjs (${model.gradientEngineWhy})`);
          continue;
        }
        assert.match(
          model.gradientEngine ?? '',
          /^onnxruntime-node/,
          `${name}: ${model.gradientEngineWhy}`,
        );
        const data = expect ? await fs.readFile(path.join(DIR, `${name}.expect.bin`)) : null;
        const floats = data
          ? new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
          : null;
        const block = (b: { shape: number[]; offset: number }) =>
          floats!.subarray(b.offset, b.offset + b.shape.reduce((p, q) => p * q, 1));
        const input =
          expect && expect.input.shape.length === 4
            ? tf.tidy(
                () =>
                  tf
                    .tensor4d(block(expect.input), expect.input.shape)
                    .transpose([0, 2, 3, 1]) as tf.Tensor4D,
              )
            : (tf.randomUniform(
                [2, ...model.input.shape],
                ...model.input.range,
                'float32',
                3,
              ) as tf.Tensor4D);
        const out = model.layers[model.layers.length - 1].name;
        const inner = model.layers[Math.floor(model.layers.length / 2)].name;
        const figures: string[] = [];
        // The single-op graphs' inner tensors can be ill-conditioned differences (gelu-op20's exact
        // minus tanh Gelu): their output is the check.
        for (const layer of name.startsWith('ops/') ? [out] : [out, inner]) {
          const W =
            expect?.gradient && layer === out
              ? tf.tensor(block(expect.gradient.weights), expect.gradient.weights.shape)
              : tf.tidy(() =>
                  tf.randomNormal(model.activations(input, [layer])[0].shape, 0, 1, 'float32', 7),
                );
          const native = await noLeaks(() => gradientOn('onnxruntime', model, input, layer, W));
          const ref = await gradientOn('tfjs', model, input, layer, W).catch((e: Error) => e);
          if (ref instanceof Error) {
            // tfjs's own tape cannot differentiate this graph (logic ops on the input): central
            // differences along random directions check the native gradient instead.
            const dirs = checkByDifferences(model, input, layer, W, native);
            figures.push(
              `tfjs cannot differentiate it (${ref.message.split('\n')[0]}); directional derivatives vs central differences within ${dirs.toExponential(1)}`,
            );
            W.dispose();
            continue;
          }
          const [cos, rel] = [cosine(native, ref), relErr(native, ref)];
          assert.ok(
            cos >= 0.99999 && rel <= 1e-4,
            `${name} ${layer}: cosine ${cos}, relative error ${rel}`,
          );
          figures.push(
            `${layer === out ? 'output' : `inner ${layer}`}: cos ${cos.toFixed(7)}, rel ${rel.toExponential(1)}`,
          );
          if (expect?.gradient && layer === out) {
            const torch = tf.tidy(() =>
              tf
                .tensor4d(block(expect.gradient.input_grad), expect.gradient.input_grad.shape)
                .transpose([0, 2, 3, 1])
                .dataSync(),
            );
            const c = cosine(native, torch);
            assert.ok(c >= 0.99999, `${name}: cosine to PyTorch's gradient ${c}`);
            figures.push(
              `vs PyTorch cos ${c.toFixed(7)}, rel ${relErr(native, torch).toExponential(1)}`,
            );
          }
          W.dispose();
        }
        input.dispose();
        rows.push(`${name}: ${figures.join('; ')}`);
      } finally {
        model.dispose();
      }
    }
    for (const r of rows) t.diagnostic(r);
  });
});
