/**
 * onnxruntime-web's wasm build driven synchronously (the page's native engine, issue 26 item 6),
 * tested in Node with the same build: forwards and native gradients of ONNX fixtures match the
 * tfjs path, rule sets included.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { visModelFromBytes } from '../model/from_bytes.js';
import { cosine, noLeaks, relErr, setup } from '../../test/helpers.js';
import { setGradientEngine } from './gradient_engine.js';
import { OrtWeb, ORT_WEB_VERSION } from './onnxruntime_web.js';
import { withRules } from './rules.js';

const dist = path.resolve('node_modules/onnxruntime-web/dist');
const moduleUrl = pathToFileURL(path.join(dist, 'ort-wasm-simd-threaded.mjs')).href;

describe('onnxruntime-web, driven synchronously', () => {
  it(`is version ${ORT_WEB_VERSION}`, async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(dist, '../package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(pkg.version, ORT_WEB_VERSION);
  });

  it('runs forwards and native gradients of ONNX fixtures as the tfjs path does', async () => {
    await setup('wasm');
    const ort = await OrtWeb.load({ moduleUrl });
    for (const name of ['resnet-mini', 'mobilenetv2-mini-op11', 'vggalex-mini']) {
      const file = path.join('test/fixtures/onnx', `${name}.onnx`);
      const bytes = new Uint8Array(await fs.readFile(file));
      const none = async () => new Uint8Array();
      const [web, ref] = [
        await visModelFromBytes(bytes, file, none, {}, {}, ort.runners(bytes)),
        await visModelFromBytes(bytes, file, none),
      ];
      assert.match(web.forwardEngine ?? '', /^onnxruntime-web/);
      assert.match(web.gradientEngine ?? '', /^onnxruntime-web/, web.gradientEngineWhy);
      const x = tf.randomUniform([2, ...web.input.shape], 0, 1, 'float32', 1) as tf.Tensor4D;
      const mid = web.layers[Math.floor(web.layers.length / 2)].name;
      await noLeaks(() => {
        const [a, b] = [web.activations(x, [mid])[0], ref.activations(x, [mid])[0]];
        assert.ok(relErr(a.dataSync(), b.dataSync()) < 1e-4, `${name} forward`);
        tf.dispose([a, b]);
      });
      for (const rules of [{ relu: 'gradient' as const }, { relu: 'guided' as const }]) {
        const g = (engine: 'onnxruntime' | 'tfjs') => {
          setGradientEngine(engine);
          try {
            return withRules(rules, () =>
              tf.tidy(() =>
                tf
                  .grad((v: tf.Tensor) => web.activations(v as tf.Tensor4D, [mid])[0].sum())(x)
                  .dataSync(),
              ),
            );
          } finally {
            setGradientEngine('auto');
          }
        };
        const [a, b] = await noLeaks(() => [g('onnxruntime'), g('tfjs')]);
        assert.ok(
          cosine(a, b) >= 0.99999 && relErr(a, b) <= 1e-4,
          `${name} ${rules.relu}: cosine ${cosine(a, b)}, rel ${relErr(a, b)}`,
        );
      }
      x.dispose();
      web.dispose();
      ref.dispose();
    }
  });
});
