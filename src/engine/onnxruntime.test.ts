/**
 * onnxruntime as the forward engine of ONNX files (issue 20, item 3): every layer of every ONNX
 * fixture matches the tfjs path within 1e-4 (relative to the layer's largest value), gradients
 * and offsets give the tfjs path's numbers (their native engine: model/formats/onnx/grad/), and
 * without the runner everything is tfjs.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../io/model_files.js';
import { visModelFromBytes } from '../model/from_bytes.js';
import { noLeaks, setup } from '../../test/helpers.js';
import { loadOnnxRuntime, ORT_VERSION, withGraphOutputs } from './onnxruntime.js';

const DIR = 'test/fixtures/onnx';
const files = async () => [
  ...(await fs.readdir(DIR)).filter((f) => f.endsWith('.onnx')).map((f) => path.join(DIR, f)),
  ...(await fs.readdir(path.join(DIR, 'trained')))
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => path.join(DIR, 'trained', f)),
];
const external = new Set<string>();
const tfjsOnly = async (file: string) =>
  visModelFromBytes(new Uint8Array(await fs.readFile(file)), file, async (loc) => {
    external.add(file);
    return new Uint8Array(await fs.readFile(path.join(path.dirname(file), loc)));
  });

function relDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0,
    scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(1, scale);
}

describe('onnxruntime forward engine', () => {
  it(`is onnxruntime-node ${ORT_VERSION} here (an optional dependency that npm ci installs)`, () => {
    const { ort, why } = loadOnnxRuntime();
    assert.ok(ort, why);
  });

  it('appends graph outputs to a model without re-encoding it', () => {
    const model = new Uint8Array([1, 2, 3]);
    assert.equal(withGraphOutputs(model, []), model);
    // graph (7, length-delimited) { output (12) { name (1) "a", type (2) { tensor_type (1) { elem_type (1) = 1 } } } }
    assert.deepEqual(
      [...withGraphOutputs(model, ['a'])],
      [1, 2, 3, 0x3a, 11, 0x62, 9, 0x0a, 1, 0x61, 0x12, 4, 0x0a, 2, 0x08, 1],
    );
  });

  it('matches the tfjs path on every layer of every ONNX fixture (1e-4)', async () => {
    await setup('wasm');
    for (const file of await files()) {
      const ref = await tfjsOnly(file);
      const fast = await loadModel(file);
      try {
        // A file with external data stays on tfjs (the runner gets bytes, not a folder).
        assert.match(
          fast.forwardEngine ?? '',
          external.has(file) ? /^tfjs$/ : /^onnxruntime-node/,
          file,
        );
        assert.equal(ref.forwardEngine, 'tfjs');
        const x = tf.randomUniform(
          [3, ...fast.input.shape],
          ...fast.input.range,
          'float32',
          7,
        ) as tf.Tensor4D;
        const names = fast.layers.map((l) => l.name);
        await noLeaks(() => {
          const a = fast.activations(x, names);
          const b = ref.activations(x, names);
          names.forEach((n, i) => {
            assert.deepEqual(a[i].shape, b[i].shape, `${file} ${n}`);
            const d = relDiff(a[i].dataSync() as Float32Array, b[i].dataSync() as Float32Array);
            assert.ok(d < 1e-4, `${file} ${n}: ${d}`);
          });
          tf.dispose([...a, ...b]);
          const [p, q] = [fast.predict(x), ref.predict(x)];
          assert.ok(
            relDiff(p.dataSync() as Float32Array, q.dataSync() as Float32Array) < 1e-4,
            `${file} predict`,
          );
          tf.dispose([p, q]);
        });
        x.dispose();
      } finally {
        fast.dispose();
        ref.dispose();
      }
    }
  });

  it('gives the same activations when a batch runs as several smaller runs', async () => {
    await setup('wasm');
    const file = path.join(DIR, 'resnet-mini.onnx');
    const whole = await loadModel(file);
    process.env.DEEPVIS_RUN_MB = '1e-9';
    const rowByRow = await loadModel(file);
    delete process.env.DEEPVIS_RUN_MB;
    const x = tf.randomUniform([3, ...whole.input.shape], 0, 1, 'float32', 5) as tf.Tensor4D;
    const names = [whole.layers[1].name, whole.layers[whole.layers.length - 1].name];
    await noLeaks(() => {
      const [a, b] = [whole.activations(x, names), rowByRow.activations(x, names)];
      names.forEach((n, i) =>
        assert.ok(
          relDiff(a[i].dataSync() as Float32Array, b[i].dataSync() as Float32Array) < 1e-6,
          n,
        ),
      );
      tf.dispose([...a, ...b]);
    });
    tf.dispose(x);
    whole.dispose();
    rowByRow.dispose();
  });

  it('holds no copy of the file: a new session reads it again, and a file changed since loading leaves the forwards to tfjs', async () => {
    await setup('wasm');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deepvis-ort-'));
    try {
      const file = path.join(dir, 'model.onnx');
      await fs.copyFile(path.join(DIR, 'resnet-mini.onnx'), file);
      const [fast, ref] = [
        await loadModel(file),
        await tfjsOnly(path.join(DIR, 'resnet-mini.onnx')),
      ];
      const x = tf.randomUniform([2, ...fast.input.shape], 0, 1, 'float32', 8) as tf.Tensor4D;
      const last = fast.layers[fast.layers.length - 1].name;
      const inner = fast.layers[2].name;
      const same = (names: string[]) => {
        const [a, b] = [fast.activations(x, names), ref.activations(x, names)];
        names.forEach((n, i) =>
          assert.ok(
            relDiff(a[i].dataSync() as Float32Array, b[i].dataSync() as Float32Array) < 1e-4,
            n,
          ),
        );
        tf.dispose([...a, ...b]);
      };
      same([last]);
      assert.match(fast.forwardEngine ?? '', /^onnxruntime-node/);
      // The same model with one weight changed on disk: a session made from those bytes would load
      // and run, and give other numbers. The first value of the first conv's kernel is the same
      // float in ONNX's OIHW and tfjs's HWIO; with the next one in OIHW, it is found in the file.
      const conv = fast.layers.find((l) => (fast.weightsOf(l.name)[0]?.shape.length ?? 0) === 4)!;
      const k = fast.weightsOf(conv.name)[0];
      const [kh, kw, ci, co] = k.shape;
      const kv = k.dataSync();
      assert.ok(kh * kw > 1 && ci * co > 0);
      const probe = new Uint8Array(new Float32Array([kv[0], kv[ci * co]]).buffer);
      const bytes = new Uint8Array(await fs.readFile(file));
      const at = Buffer.from(bytes).indexOf(Buffer.from(probe));
      assert.ok(at >= 0, 'the kernel is not in the file as raw floats');
      new DataView(bytes.buffer, bytes.byteOffset + at).setFloat32(0, kv[0] + 1, true);
      await fs.writeFile(file, bytes);
      // The first session took the bytes read at load; the next one reads the file again.
      same([inner, last]);
      assert.equal(fast.forwardEngine, 'tfjs');
      x.dispose();
      fast.dispose();
      ref.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("gives the tfjs path's gradients and layer offsets", async () => {
    await setup('wasm');
    const file = path.join(DIR, 'resnet-mini.onnx');
    const [fast, ref] = [await loadModel(file), await tfjsOnly(file)];
    const x = tf.randomUniform([2, ...fast.input.shape], 0, 1, 'float32', 3) as tf.Tensor4D;
    const g = (m: typeof fast) => tf.grad((v: tf.Tensor) => m.predict(v as tf.Tensor4D).sum())(x);
    const [ga, gb] = [g(fast), g(ref)];
    assert.ok(relDiff(ga.dataSync() as Float32Array, gb.dataSync() as Float32Array) < 1e-5);
    assert.ok(tf.max(tf.abs(ga)).dataSync()[0] > 0);
    const layer = fast.layers[2].name;
    const delta = tf.onesLike(ref.activations(x, [layer])[0]);
    const [oa, ob] = [
      fast.activations(x, [fast.layers[fast.layers.length - 1].name], { layer, delta }),
      ref.activations(x, [ref.layers[ref.layers.length - 1].name], { layer, delta }),
    ];
    assert.ok(relDiff(oa[0].dataSync() as Float32Array, ob[0].dataSync() as Float32Array) < 1e-5);
    tf.dispose([x, ga, gb, delta, ...oa, ...ob]);
    fast.dispose();
    ref.dispose();
  });
});
