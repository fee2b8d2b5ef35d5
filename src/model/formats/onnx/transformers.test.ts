/**
 * Transformer-era ONNX: the op graphs newer than torch 1.13's exporter (test/fixtures/onnx/ops/,
 * scripts/fixtures/make_onnx_ops.ts: references from onnxruntime-node's run of the same bytes),
 * the dynamo exporter's names and local functions, and token layers as maps.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { noLeaks, setup } from '../../../../test/helpers.js';
import { openFixture } from './fixture_parity.js';
import { loadOnnx } from './load.js';

const DIR = path.resolve('test/fixtures/onnx');
const OPS = path.join(DIR, 'ops');

const relErr = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => a.sub(b).abs().max().dataSync()[0] / Math.max(1e-12, b.abs().max().dataSync()[0]));
const load = async (file: string, overrides = {}) =>
  loadOnnx(
    new Uint8Array(await fs.readFile(file)),
    path.basename(file),
    async () => new Uint8Array(),
    {},
    overrides,
  );

/** d/dε of sum(f(x + εv)·w) by central differences against the tape's gradient along v. */
function directional(
  f: (x: tf.Tensor4D) => tf.Tensor,
  x: tf.Tensor4D,
  seed: number,
): { tape: number; numeric: number } {
  return tf.tidy(() => {
    const w = tf.randomNormal(f(x).shape, 0, 1, 'float32', seed);
    const v = tf.randomNormal(x.shape, 0, 1, 'float32', seed + 1);
    const obj = (z: tf.Tensor) =>
      f(z as tf.Tensor4D)
        .mul(w)
        .sum();
    const g = tf.grad(obj)(x);
    const eps = 1e-2;
    const numeric =
      (obj(x.add(v.mul(eps))).dataSync()[0] - obj(x.sub(v.mul(eps))).dataSync()[0]) / (2 * eps);
    return { tape: g.mul(v).sum().dataSync()[0], numeric };
  });
}

describe('transformer-era ONNX', () => {
  before(() => setup('wasm'));

  it('runs the new ops as onnxruntime does, and differentiates them (central differences)', async () => {
    const names = (await fs.readdir(OPS))
      .filter((f) => f.endsWith('.expect.json'))
      .map((f) => f.slice(0, -'.expect.json'.length));
    assert.ok(names.length >= 12, `op fixtures: ${names.length}`);
    for (const name of names) {
      const { model, expect, data } = await openFixture(OPS, name);
      try {
        await noLeaks(() => {
          const take = (b: { shape: number[]; offset: number }) =>
            data.subarray(b.offset, b.offset + b.shape.reduce((p, q) => p * q, 1));
          const x = tf.tidy(() =>
            tf
              .tensor4d(take(expect.input), expect.input.shape as [number, number, number, number])
              .transpose([0, 2, 3, 1]),
          ) as tf.Tensor4D;
          const raw = tf.tensor(take(expect.output), expect.output.shape);
          const want = raw.rank === 4 ? tf.tidy(() => raw.transpose([0, 2, 3, 1])) : raw; // maps come back NHWC
          if (want !== raw) raw.dispose();
          const got = model.predict(x);
          const err = relErr(got, want);
          assert.ok(err <= 2e-5, `${name} (opset ${expect.opset}): output rel. error ${err}`);
          if (name !== 'logic-op18') {
            // piecewise constant: no gradient to check
            const { tape, numeric } = directional((z) => model.predict(z), x, 3);
            assert.ok(
              Math.abs(tape - numeric) <= 2e-2 * Math.max(1, Math.abs(numeric)),
              `${name}: directional derivative ${tape} vs central difference ${numeric}`,
            );
          }
          tf.dispose([x, want, got]);
        });
      } finally {
        model.dispose();
      }
    }
  });

  it('reads the dynamo exporter: module paths from name_scopes, local functions inlined', async () => {
    const vit = await load(path.join(OPS, 'vit-mini-dynamo.onnx'));
    try {
      // A module names its output (the last node in its scope), as in the legacy exporter's graphs.
      assert.equal(
        vit.layer('vit.encoder.layers.encoder_layer_1.mlp').name,
        'vit.encoder.layers.encoder_layer_1.mlp.3',
      );
      assert.equal(vit.layer('vit.encoder.layers.encoder_layer_1.ln_2').kind, 'LayerNormalization');
      assert.deepEqual(
        vit.transformer?.tokens && {
          prefix: vit.transformer.tokens.prefix,
          grid: vit.transformer.tokens.grid,
        },
        { prefix: 1, grid: [4, 4] },
      );
      assert.equal(vit.transformer?.blocks.length, 2);
    } finally {
      vit.dispose();
    }
    const cnx = await load(path.join(OPS, 'convnext-mini-dynamo-functions.onnx'));
    try {
      // The MLP functions' bodies are inlined under the calling node's module path.
      assert.ok(
        cnx.layers.some((l) => l.name.startsWith('net.features.1.0.block')),
        cnx.layers
          .map((l) => l.name)
          .slice(0, 20)
          .join(' '),
      );
    } finally {
      cnx.dispose();
    }
  });

  it('shows token layers as their patch grid, the class token as LAYER:cls, and finds the blocks', async () => {
    const { model, expect, data } = await openFixture(DIR, 'vit-mini-op17');
    try {
      const t = model.transformer!;
      assert.deepEqual(
        { prefix: t.tokens!.prefix, grid: t.tokens!.grid, source: t.tokens!.source },
        { prefix: 1, grid: [4, 4], source: 'model' },
      );
      assert.deepEqual(
        t.blocks.map((b) => b.name),
        ['vit.encoder.layers.encoder_layer_0', 'vit.encoder.layers.encoder_layer_1'],
      );
      const b1 = t.blocks[1];
      assert.equal(b1.norm1, 'vit.encoder.layers.encoder_layer_1.ln_1');
      assert.equal(b1.mlp, 'vit.encoder.layers.encoder_layer_1.mlp.1');
      assert.deepEqual(model.layer(b1.attention!).outputShape, [17, 17, 2]);
      const block = model.layer('vit.encoder.layers.encoder_layer_0');
      assert.deepEqual([...block.outputShape], [4, 4, 32]);
      assert.deepEqual(
        [...model.layer('vit.encoder.layers.encoder_layer_0:cls').outputShape],
        [32],
      );
      // Attention rows are distributions over the 17 tokens, for every head.
      const x = tf.tidy(() =>
        tf.tensor4d(data.subarray(0, 2 * 3 * 32 * 32), [2, 3, 32, 32]).transpose([0, 2, 3, 1]),
      ) as tf.Tensor4D;
      const [att] = model.activations(x, [b1.attention!]);
      const sums = att.sum(2).dataSync();
      assert.ok(
        sums.every((s) => Math.abs(s - 1) < 1e-5),
        `row sums ${sums.slice(0, 4)}`,
      );
      // A gradient taken at the token layer (an offset) reaches the input.
      const g = tf.grad((d: tf.Tensor) =>
        model
          .activations(x, [model.logitsLayer ?? model.layers[model.layers.length - 1].name], {
            layer: block.name,
            delta: d,
          })[0]
          .sum(),
      )(tf.zeros([2, 4, 4, 32]));
      assert.ok(g.abs().sum().dataSync()[0] > 0);
      tf.dispose([x, att, g]);
      assert.ok(expect.activations.length === 3);
    } finally {
      model.dispose();
    }
  });

  it('DeiT: two prefix tokens; Swin: channels-last stages are maps; refusals name the fix', async () => {
    const deit = await load(path.join(DIR, 'deit-mini-op17.onnx'));
    try {
      assert.equal(deit.transformer?.tokens?.prefix, 2);
      assert.deepEqual(deit.transformer?.tokens?.grid, [4, 4]);
    } finally {
      deit.dispose();
    }
    const swin = await load(path.join(DIR, 'swin-mini-op17.onnx'));
    try {
      const stage = swin.layer('swin.features.1');
      assert.equal(stage.channelsLast, true);
      assert.deepEqual([...stage.outputShape], [8, 8, 16]);
      assert.ok(
        swin.transformer?.blocks.some((b) => b.norm1 === 'swin.features.1.1.norm1'),
        JSON.stringify(swin.transformer?.blocks),
      );
      assert.throws(() => swin.layer('swin.features.1:cls'), /no class token/);
    } finally {
      swin.dispose();
    }
    // A layout that does not fit the tokens, and a sidecar override that does.
    await assert.rejects(
      load(path.join(DIR, 'vit-mini-op17.onnx'), { tokens: { prefix: 2, grid: [5, 5] } }),
      /--tokens prefix=2,grid=5x5 does not fit layer/,
    );
    const forced = await load(path.join(DIR, 'vit-mini-op17.onnx'), {
      tokens: { prefix: 1, grid: [2, 8] },
    });
    try {
      assert.deepEqual(
        [...forced.layer('vit.encoder.layers.encoder_layer_0').outputShape],
        [2, 8, 32],
      );
      assert.equal(forced.transformer?.tokens?.source, 'flag');
    } finally {
      forced.dispose();
    }
  });

  it('says which input size a position embedding takes', async () => {
    // A graph with symbolic height and width, asked to run at 48 px: its embedding is for 32.
    const { decodeOnnx } = await import('./decode.js');
    const { fromOnnxGraph } = await import('./adapter.js');
    const bytes = new Uint8Array(await fs.readFile(path.join(DIR, 'vit-mini-op17.onnx')));
    const graph = await decodeOnnx(bytes, 'vit.onnx', async () => new Uint8Array());
    const open = {
      ...graph,
      inputs: [{ name: graph.inputs[0].name, dims: [null, 3, null, null] }],
    };
    const before = tf.memory().numTensors;
    assert.throws(
      () => fromOnnxGraph(open, 'vit.onnx', {}, { shape: [48, 48, 3] }),
      /position embedding holds 17 tokens \(1 \+ a grid of 8-px patches\): this model takes 32×32 inputs, not 48×48/,
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it('runs a graph exported with a fixed batch of 2 at any batch size', async () => {
    const { model, expect, data } = await openFixture(DIR, 'swin-mini-op17-static');
    try {
      const x = tf.tidy(() =>
        tf.tensor4d(data.subarray(0, 2 * 3 * 32 * 32), [2, 3, 32, 32]).transpose([0, 2, 3, 1]),
      ) as tf.Tensor4D;
      const want = tf.tensor(
        data.subarray(expect.output.offset, expect.output.offset + 20),
        [2, 10],
      );
      const three = tf.concat([x, tf.slice(x, 0, 1)]) as tf.Tensor4D;
      const got = model.predict(three);
      assert.deepEqual(got.shape, [3, 10]);
      assert.ok(relErr(tf.slice(got, 0, 2), want) < 1e-5);
      assert.ok(relErr(tf.slice(got, 2, 1), tf.slice(want, 0, 1)) < 1e-5);
      tf.dispose([x, want, three, got]);
    } finally {
      model.dispose();
    }
  });
});
