/**
 * Deep graphs: every walk over an ONNX graph is iterative (a chain of 10,000 nodes overflowed the
 * stack — "internal error" from attribute and maximize — and 100,000 is the bar for loading).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../../src/attribution/attribute.js';
import { lucid } from '../../src/methods/lucid.js';
import { encodePng } from '../../src/io/image.js';
import { encodeOnnx, type EncNode as NodeSpec } from '../../src/model/formats/onnx/encode.js';
import { loadOnnx } from '../../src/model/formats/onnx/load.js';
import type { VisModel } from '../../src/model/types.js';
import { deepvis, fresh, type Case } from './kit.js';

/** x [1,1,4,4] → Conv → n−1 alternating Relu/Identity → Flatten → Gemm (3 classes). */
export function chain(n: number): Uint8Array {
  const nodes: NodeSpec[] = [
    { op: 'Conv', inputs: ['x', 'w'], outputs: ['t0'], attrs: { pads: [1, 1, 1, 1] } },
  ];
  for (let i = 1; i < n; i++)
    nodes.push({ op: i % 2 ? 'Relu' : 'Identity', inputs: [`t${i - 1}`], outputs: [`t${i}`] });
  nodes.push(
    { op: 'Flatten', inputs: [`t${n - 1}`], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'g'], outputs: ['y'], attrs: { transB: 1 } },
  );
  return encodeOnnx({
    opset: 17,
    inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
    outputs: [{ name: 'y' }],
    nodes,
    initializers: [
      {
        name: 'w',
        dims: [2, 1, 3, 3],
        dtype: 'float32',
        data: Array.from({ length: 18 }, (_, i) => Math.sin(i + 1)),
      },
      {
        name: 'g',
        dims: [3, 32],
        dtype: 'float32',
        data: Array.from({ length: 96 }, (_, i) => Math.cos(i)),
      },
    ],
  });
}

const load = (n: number): Promise<VisModel> =>
  loadOnnx(chain(n), `chain-${n}.onnx`, async () => new Uint8Array());
const x = () => tf.tidy(() => tf.linspace(0, 1, 16).reshape([1, 4, 4, 1]) as tf.Tensor4D);

export const DEEP_CASES: Case[] = [
  {
    surface: 'deep',
    name: 'a 100,000-node chain loads and runs forward',
    timeout: 180_000,
    run: async () => {
      const m = await load(100_000);
      try {
        assert.equal(m.layers.length, 100_002);
        const img = x();
        const [out] = m.activations(img, [m.layers[m.layers.length - 1].name]);
        assert.ok(out.dataSync().every(Number.isFinite));
        tf.dispose([img, out]);
      } finally {
        m.dispose();
      }
    },
  },
  {
    surface: 'deep',
    name: 'attribute (saliency) runs on a 10,000-node chain',
    timeout: 120_000,
    run: async () => {
      const m = await load(10_000);
      const img = x();
      try {
        const a = attribute(m, img, { method: 'saliency', units: [1] });
        assert.equal(a.values.length, 16);
        assert.ok(
          Array.from(a.values).some((v) => v !== 0),
          'the map is not all zero',
        );
      } finally {
        img.dispose();
        m.dispose();
      }
    },
  },
  {
    surface: 'deep',
    name: 'maximize (Lucid) runs on a 10,000-node chain',
    timeout: 120_000,
    run: async () => {
      const m = await load(10_000);
      try {
        const r = lucid(m, { layer: m.layers[m.layers.length - 1].name, units: [0, 2], steps: 3 });
        assert.deepEqual(r.images.shape, [2, 4, 4, 1]);
        r.images.dispose();
      } finally {
        m.dispose();
      }
    },
  },
  {
    surface: 'deep',
    name: 'the CLI attributes a 10,000-node ONNX file (not "internal error")',
    timeout: 240_000,
    run: async () => {
      const dir = fresh('deep-cli');
      writeFileSync(path.join(dir, 'chain.onnx'), chain(10_000));
      writeFileSync(
        path.join(dir, 'in.png'),
        await encodePng(
          Uint8Array.from({ length: 16 }, (_, i) => i * 16),
          4,
          4,
          1,
        ),
      );
      const r = deepvis([
        'attribute',
        '--model',
        path.join(dir, 'chain.onnx'),
        '--input',
        path.join(dir, 'in.png'),
        '--method',
        'saliency',
        '--out',
        path.join(dir, 'out'),
        '--quiet',
      ]);
      assert.equal(r.code, 0, r.stderr);
    },
  },
];
