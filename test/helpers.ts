/** Test helpers: engine setup, leak checks, closeness. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/backend.js';
import { patchModeFrom } from '../src/engine/patches.js';

/** The engine for a test: DEEPVIS_ENGINE=stock runs it on plain tfjs (patches.ts). */
export async function setup(backend: 'wasm' | 'cpu' = 'wasm'): Promise<void> {
  await initEngine({ backend, patches: patchModeFrom(process.env.DEEPVIS_ENGINE) });
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
export async function onBoth(
  fn: () => tf.Tensor,
): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
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

export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  relTol: number,
  what: string,
): void {
  const scale = Math.max(maxAbs(a), 1e-6);
  const diff = maxAbsDiff(a, b);
  assert.ok(diff <= relTol * scale, `${what}: max |diff| ${diff} > ${relTol} × ${scale}`);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** max |a − b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0,
    s = 1e-30;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

/** True when the tests run on plain tfjs (DEEPVIS_ENGINE=stock, engine/patches.ts). */
export const STOCK = process.env.DEEPVIS_ENGINE === 'stock';

/** A test of one of deepvis's patches (memory, speed, what plain tfjs cannot do): skipped on stock tfjs, saying why. */
export const deepvisOnly = (why: string) => ({ skip: STOCK ? `stock tfjs: ${why}` : false });

/**
 * Marks a test's "data absent" branch: outside CI it is allowed (a machine without the Debian
 * package); with CI=true it fails, since .ci/run installs every data package the product reads.
 */
export function dataAbsent(what: string): true {
  assert.ok(
    process.env.CI !== 'true',
    `${what} is absent in CI: .ci/run installs it (a test took its "data absent" branch)`,
  );
  return true;
}
