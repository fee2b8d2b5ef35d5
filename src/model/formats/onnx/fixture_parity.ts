/**
 * Reads a PyTorch-made ONNX fixture (test/fixtures/onnx/NAME.expect.json + .bin, written by
 * scripts/fixtures/make_onnx.py) and measures deepvis against it: output and activations
 * (relative max error) and the input gradient of sum(output · W) (cosine).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { prefixToken, tokensToMap } from '../../tokens.js';
import type { LayerInfo, VisModel } from '../../types.js';
import { loadOnnx } from './load.js';

interface Block {
  shape: number[];
  offset: number;
}
interface Expect {
  model: string;
  opset: number;
  family: string;
  input: Block;
  output: Block;
  activations: Array<Block & { tensor: string; module: string }>;
  gradient: { weights: Block; input_grad: Block };
}

export interface Parity {
  name: string;
  opset: number;
  output: number;
  activations: number[];
  gradientCosine: number;
  layers: string[];
}

const take = (all: Float32Array, b: Block) =>
  all.subarray(b.offset, b.offset + b.shape.reduce((p, q) => p * q, 1));
const nchwToNhwc = (v: Float32Array, s: number[]) =>
  s.length === 4
    ? tf.tidy(() => tf.tensor4d(v, s as [number, number, number, number]).transpose([0, 2, 3, 1]))
    : tf.tensor(v, s);

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(
    () => a.sub(b).abs().max().dataSync()[0] / Math.max(1e-12, b.abs().max().dataSync()[0]),
  );
}

/**
 * A PyTorch module output as deepvis shows that layer: NCHW maps turned NHWC, channels-last maps
 * (Swin) kept, token layers [B, T, C] as their patch grid.
 */
function referenceAs(info: LayerInfo, v: Float32Array, shape: number[]): tf.Tensor {
  if (info.tokens && shape.length === 3)
    return tf.tidy(() => tokensToMap(tf.tensor(v, shape), info.tokens!));
  if (info.channelsLast) return tf.tensor(v, shape);
  return nchwToNhwc(v, shape);
}

export async function openFixture(
  dir: string,
  name: string,
): Promise<{ model: VisModel; expect: Expect; data: Float32Array }> {
  const expect = JSON.parse(
    await fs.readFile(path.join(dir, `${name}.expect.json`), 'utf8'),
  ) as Expect;
  const bin = await fs.readFile(path.join(dir, `${name}.expect.bin`));
  const data = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const bytes = new Uint8Array(await fs.readFile(path.join(dir, expect.model)));
  const model = await loadOnnx(
    bytes,
    expect.model,
    async (loc) => new Uint8Array(await fs.readFile(path.join(dir, loc))),
  );
  return { model, expect, data };
}

export async function parity(dir: string, name: string): Promise<Parity> {
  const { model, expect, data } = await openFixture(dir, name);
  try {
    const x = nchwToNhwc(take(data, expect.input), expect.input.shape) as tf.Tensor4D;
    const want = tf.tensor(take(data, expect.output), expect.output.shape);
    const got = model.predict(x);
    const output = relErr(got, want);
    const activations: number[] = [];
    const layers: string[] = [];
    for (const a of expect.activations) {
      const info = model.layer(a.tensor);
      const layer = info.name;
      layers.push(layer);
      const [act] = model.activations(x, [layer]);
      const ref = referenceAs(info, take(data, a), a.shape);
      activations.push(relErr(act, ref));
      tf.dispose([act, ref]);
      if (info.tokens && info.tokens.prefix > 0) {
        // The class token, read as LAYER:cls, against the reference's token 0.
        const [cls] = model.activations(x, [`${layer}:cls`]);
        const want = tf.tidy(() => prefixToken(tf.tensor(take(data, a), a.shape)));
        activations.push(relErr(cls, want));
        layers.push(`${layer}:cls`);
        tf.dispose([cls, want]);
      }
    }
    const W = tf.tensor(take(data, expect.gradient.weights), expect.gradient.weights.shape);
    const g = tf.grad((img: tf.Tensor) =>
      model
        .predict(img as tf.Tensor4D)
        .mul(W)
        .sum(),
    )(x);
    const ref = nchwToNhwc(
      take(data, expect.gradient.input_grad),
      expect.gradient.input_grad.shape,
    );
    const gradientCosine = tf.tidy(
      () => g.mul(ref).sum().dataSync()[0] / (g.norm().dataSync()[0] * ref.norm().dataSync()[0]),
    );
    tf.dispose([x, want, got, W, g, ref]);
    return { name, opset: expect.opset, output, activations, gradientCosine, layers };
  } finally {
    model.dispose();
  }
}
