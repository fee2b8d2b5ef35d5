/**
 * Small ONNX graphs for the gradient tests, written with encode.ts, loaded as deepvis models with
 * onnxruntime as their engine (or without one).
 */
import { onnxRuntimeRunner } from '../src/engine/onnxruntime.js';
import { visModelFromBytes } from '../src/model/from_bytes.js';
import type { VisModel } from '../src/model/types.js';
import { encodeOnnx, type EncNode, type EncTensor } from '../src/model/formats/onnx/encode.js';

export interface Net {
  readonly nodes: EncNode[];
  readonly initializers?: EncTensor[];
  /** [C, H, W] of the image input 'x'. */
  readonly input: readonly [number, number, number];
  readonly output: string;
  readonly opset?: number;
}

export function netBytes(n: Net): Uint8Array {
  return encodeOnnx({
    opset: n.opset ?? 17,
    nodes: n.nodes,
    initializers: n.initializers,
    inputs: [{ name: 'x', dims: ['N', ...n.input] }],
    outputs: [{ name: n.output }],
  });
}

/** The net as a model: with onnxruntime (native forwards and gradients) or tfjs only. */
export async function netModel(
  n: Net,
  engine: 'onnxruntime' | 'tfjs-only' = 'onnxruntime',
): Promise<VisModel> {
  const bytes = netBytes(n);
  const runners = engine === 'onnxruntime' ? onnxRuntimeRunner(() => bytes) : undefined;
  const none = async () => new Uint8Array();
  return visModelFromBytes(bytes, 'net.onnx', none, { inputRange: [-1, 1] }, {}, runners);
}

/** Deterministic values in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  let s = seed * 7919 + 13;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (2 * s) / 2147483647 - 1;
  });
}

export const weight = (name: string, dims: number[], seed: number, scale = 0.5): EncTensor => ({
  name,
  dims,
  dtype: 'float32',
  data: seeded(
    dims.reduce((a, b) => a * b, 1),
    seed,
  ).map((v) => v * scale),
});
