/**
 * Loading any model file: the sidecar's facts and their checks, --mean/--std folded into the
 * adapter (methods stay in image space), ImageNet names for an unnamed 1000-class model, and the
 * Node loader's refusals (external data outside the folder or missing).
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maxAbsDiff, setup } from '../../test/helpers.js';
import { loadModel } from '../io/model_files.js';
import { DeepvisError } from '../errors.js';
import { parseSidecar, withDefaults } from './from_bytes.js';
import type { VisModel } from './types.js';

const ONNX = path.resolve('test/fixtures/onnx');

async function folderWith(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'deepvis-load-'));
  for (const [name, body] of Object.entries(files)) await fs.writeFile(path.join(dir, name), body);
  return dir;
}

describe('model files of any format', () => {
  before(() => setup('wasm'));

  it('reads the sidecar and refuses a wrong field with one line naming it', () => {
    const meta = parseSidecar(
      '{"inputRange":[0,255],"mean":[1,2,3],"std":[4,5,6],"channelOrder":"bgr","labels":["a","b"]}',
      'deepvis.json',
    );
    assert.deepEqual(meta.inputRange, [0, 255]);
    assert.equal(meta.channelOrder, 'bgr');
    for (const [text, re] of [
      ['{"inputRange":[1,0]}', /'inputRange' must be \[low, high\]/],
      ['{"mean":"0.5"}', /'mean' must be a list of numbers/],
      ['{"channelOrder":"cmyk"}', /'channelOrder' must be one of gray, rgb, bgr/],
      ['{"labelz":[]}', /unknown field 'labelz'/],
      ['[1]', /must be a JSON object/],
      ['{', /not valid JSON/],
    ] as const) {
      assert.throws(
        () => parseSidecar(text, 'x/deepvis.json'),
        (e: Error) =>
          e instanceof DeepvisError && e.message.startsWith('x/deepvis.json') && re.test(e.message),
      );
    }
  });

  it('folds mean/std into the adapter: predict(x) with them = predict((x − mean) / std) without', async () => {
    const bytes = await fs.readFile(path.join(ONNX, 'resnet-mini.onnx'));
    const plain = await folderWith({ 'model.onnx': bytes });
    const normed = await folderWith({
      'model.onnx': bytes,
      'deepvis.json':
        '{"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225],"labels":["a","b","c","d","e","f","g","h","i","j"]}',
    });
    const a = await loadModel(plain);
    const b = await loadModel(normed);
    const flagged = await loadModel(plain, {
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    try {
      assert.equal(b.input.provenance.normalize, 'metadata');
      assert.equal(flagged.input.provenance.normalize, 'flag');
      assert.equal(b.labels?.[3], 'd');
      const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const pre = tf.tidy(() =>
        x.sub(tf.tensor1d([0.485, 0.456, 0.406])).div(tf.tensor1d([0.229, 0.224, 0.225])),
      ) as tf.Tensor4D;
      const want = a.predict(pre).dataSync();
      assert.ok(maxAbsDiff(b.predict(x).dataSync(), want) < 1e-5);
      assert.ok(maxAbsDiff(flagged.predict(x).dataSync(), want) < 1e-5);
      // Gradients go through the normalization too: d/dx = (1/std) · d/dpre.
      const g = (m: VisModel, v: tf.Tensor4D) =>
        tf.grad((t: tf.Tensor) => m.predict(t as tf.Tensor4D).sum())(v);
      const gb = g(b, x),
        ga = g(a, pre);
      const scaled = tf.tidy(() => ga.div(tf.tensor1d([0.229, 0.224, 0.225])));
      assert.ok(maxAbsDiff(gb.dataSync(), scaled.dataSync()) < 1e-4);
      tf.dispose([x, pre, gb, ga, scaled]);
      await assert.rejects(
        loadModel(plain, { mean: [1, 2] }),
        /mean has 2 values but the model's input has 3 channels/,
      );
      await assert.rejects(loadModel(plain, { std: [1, 0, 1] }), /std must be positive/);
    } finally {
      [a, b, flagged].forEach((m) => m.dispose());
    }
  });

  it('names the classes of an unnamed 1000-class model after ImageNet, and says it assumed so', () => {
    const fake = {
      labels: null,
      metadata: {},
      layers: [{ name: 'fc', kind: 'Gemm', outputShape: [1000], units: 1000, index: 0 }],
    } as unknown as VisModel;
    const m = withDefaults(fake);
    assert.equal(m.labels?.length, 1000);
    assert.equal(m.labels?.[0], 'tench');
    assert.match(String(m.metadata.labelsFrom), /assumed/);
    const ten = {
      ...fake,
      layers: [{ ...fake.layers[0], outputShape: [10], units: 10 }],
    } as VisModel;
    assert.equal(withDefaults(ten).labels, null);
  });

  it('reads ONNX external data only inside the model folder, and names a missing file', async () => {
    const ext = await fs.readFile(path.join(ONNX, 'resnet-mini-ext.onnx'));
    const missing = await folderWith({ 'model.onnx': ext });
    await assert.rejects(
      loadModel(missing),
      (e: Error) =>
        e instanceof DeepvisError && /missing: .*resnet-mini-ext\.weights/.test(e.message),
    );
    // The same graph pointing outside its folder is refused before anything is read.
    const outside = Buffer.from(
      ext.toString('latin1').replace(/resnet-mini-ext\.weights/g, '../net-mini-ext.weights'),
      'latin1',
    );
    const dir = await folderWith({ 'model.onnx': outside });
    await assert.rejects(loadModel(dir), /outside the model's folder; refused/);
  });
});
