/**
 * x · W for a constant matrix W on onnxruntime's GEMM when Node has it, as one differentiable op
 * (its gradient is dy · Wᵀ, on the same engine). It serves the large fixed linear maps outside
 * any model: the Fourier parameterization's inverse DFT (param/fourier.ts) is two of them, and at
 * 224 px they were a fifth of a Lucid step on tfjs's wasm matmul. Measured on this machine (2
 * threads): [2712 × 448] · [448 × 448] in 14.0 ms on onnxruntime against 41.3 ms on tfjs, and
 * [5376 × 226] · [226 × 224] in 3.6 against 11.9 ms.
 *
 * Node's onnxruntime module installs the session maker when it loads (setNativeSessions); the
 * page, a missing onnxruntime-node and `--gradients tfjs` keep tf.matMul, the same product.
 */
import * as tf from '@tensorflow/tfjs';
import protobuf from 'protobufjs/minimal.js';
import type { NativeSession } from './forward_runner.js';
import { gradientEngineChoice } from './gradient_engine.js';

type SessionMaker = (bytes: Uint8Array) => NativeSession | null;
let maker: SessionMaker | null = null;

/** Installed by engine/onnxruntime.ts (Node): makes a session on a graph's bytes, or null. */
export function setNativeSessions(m: SessionMaker): void {
  maker = m;
}

/**
 * A ModelProto of Y = MatMul(X, W) with X [M, k] (M free) and W [k, n] an initializer:
 * ModelProto { ir_version 1, graph 7, opset_import 8 }, GraphProto { node 1, name 2,
 * initializer 5, input 11, output 12 }.
 */
function matMulModel(w: Float32Array, k: number, n: number): Uint8Array {
  const valueInfo = (
    wr: protobuf.Writer,
    field: number,
    name: string,
    dims: (number | string)[],
  ) => {
    wr.uint32((field << 3) | 2).fork();
    wr.uint32((1 << 3) | 2).string(name);
    wr.uint32((2 << 3) | 2).fork(); // TypeProto
    wr.uint32((1 << 3) | 2).fork(); // tensor_type
    wr.uint32(1 << 3).int32(1); // elem_type FLOAT
    wr.uint32((2 << 3) | 2).fork(); // shape
    for (const d of dims) {
      wr.uint32((1 << 3) | 2).fork();
      if (typeof d === 'number') wr.uint32(1 << 3).int64(d);
      else wr.uint32((2 << 3) | 2).string(d);
      wr.ldelim();
    }
    wr.ldelim().ldelim().ldelim().ldelim();
  };
  const wr = protobuf.Writer.create();
  wr.uint32(1 << 3).int64(8);
  wr.uint32((8 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string('')
    .uint32(2 << 3)
    .int64(17)
    .ldelim();
  wr.uint32((7 << 3) | 2).fork();
  wr.uint32((1 << 3) | 2).fork();
  wr.uint32((1 << 3) | 2)
    .string('X')
    .uint32((1 << 3) | 2)
    .string('W');
  wr.uint32((2 << 3) | 2)
    .string('Y')
    .uint32((4 << 3) | 2)
    .string('MatMul');
  wr.ldelim();
  wr.uint32((2 << 3) | 2).string('matmul');
  wr.uint32((5 << 3) | 2).fork(); // TensorProto { dims 1, data_type 2, name 8, raw_data 9 }
  wr.uint32(1 << 3)
    .int64(k)
    .uint32(1 << 3)
    .int64(n)
    .uint32(2 << 3)
    .int32(1);
  wr.uint32((8 << 3) | 2).string('W');
  wr.uint32((9 << 3) | 2).bytes(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  wr.ldelim();
  valueInfo(wr, 11, 'X', ['M', k]);
  valueInfo(wr, 12, 'Y', ['M', n]);
  wr.ldelim();
  return wr.finish();
}

function transposed(w: Float32Array, k: number, n: number): Float32Array {
  const t = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) t[j * k + i] = w[i * n + j];
  return t;
}

/** x [M, k] · W [k, n] → [M, n], differentiable in x; W is fixed when the op is made. */
export interface ConstMatMul {
  (x: tf.Tensor2D): tf.Tensor2D;
  /** 'onnxruntime' or 'tfjs': where the products run (decided on first use). */
  engine(): string;
  /** Closes the op's sessions, if it opened any. */
  dispose(): void;
}

/**
 * The product with a fixed W (row-major [k, n]). Sessions open on first use and live as long as
 * the op: callers keep one per matrix (fourier.ts caches them per image size).
 */
export function constMatMul(w: Float32Array, k: number, n: number): ConstMatMul {
  if (w.length !== k * n) throw new Error(`constMatMul: ${w.length} values for [${k}, ${n}]`);
  let native: { fwd: NativeSession; adj: NativeSession } | null | undefined;
  const sessions = () => {
    if (native !== undefined) return native;
    native = null;
    if (!maker || gradientEngineChoice() === 'tfjs') return native;
    const fwd = maker(matMulModel(w, k, n));
    const adj = fwd && maker(matMulModel(transposed(w, k, n), n, k));
    if (fwd && adj) native = { fwd, adj };
    else fwd?.dispose();
    return native;
  };
  const run = (s: NativeSession, x: tf.Tensor, cols: number) => {
    const [y] = s.run(
      { X: { type: 'float32', data: x.dataSync() as Float32Array, dims: x.shape } },
      ['Y'],
    );
    return tf.tensor2d(y.data as Float32Array, [x.shape[0], cols]);
  };
  const onNative = tf.customGrad(((x: tf.Tensor) => {
    const s = sessions()!;
    return { value: run(s.fwd, x, n), gradFunc: (dy: tf.Tensor) => run(s.adj, dy, k) };
  }) as Parameters<typeof tf.customGrad>[0]);
  const op = (x: tf.Tensor2D): tf.Tensor2D => {
    if (x.shape[1] !== k) throw new Error(`constMatMul: x is [${x.shape}], W is [${k}, ${n}]`);
    if (sessions()) return onNative(x) as tf.Tensor2D;
    return tf.tidy(() => tf.matMul(x, tf.tensor2d(w, [k, n])));
  };
  return Object.assign(op, {
    engine: () => (sessions() ? 'onnxruntime' : 'tfjs'),
    dispose: () => {
      native?.fwd.dispose();
      native?.adj.dispose();
      native = undefined;
    },
  });
}
