/** Test helpers: engine setup, leak checks, closeness. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/backend.js';

export async function setup(backend: 'wasm' | 'cpu' = 'wasm'): Promise<void> {
  await initEngine({ backend });
}

/** Runs fn and fails if it left tensors behind. */
export async function noLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `leaked ${after - before} tensors`);
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed = 1): Float32Array {
  let s = seed * 7919 + 13;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (2 * s) / 2147483647 - 1;
  });
}

/** Evaluates fn on the cpu backend and on wasm; returns both results as arrays. */
export async function onBoth(fn: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  const run = async (b: string) => {
    await tf.setBackend(b);
    const t = tf.tidy(fn);
    const v = (await t.data()) as Float32Array;
    t.dispose();
    return v;
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  return { cpu, wasm };
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, relTol: number, what: string): void {
  const scale = Math.max(maxAbs(a), 1e-6);
  const diff = maxAbsDiff(a, b);
  assert.ok(diff <= relTol * scale, `${what}: max |diff| ${diff} > ${relTol} × ${scale}`);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** max |a − b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 1e-30;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}
