/**
 * The memory budget: how many bytes the process may plan to hold, set once by initEngine (the CLI
 * passes DEEPVIS_MEMORY_MB). Every check made before work is made against this one number: a
 * batch's estimated peak (model/memory.ts: attribution's chunks, maximize's unit chunks, the
 * atlas's groups, the CLI's refusals), a loader's declared tensor sizes, a zip entry's inflated size.
 * Past it, tfjs-wasm's 32-bit heap (4 GB at most) runs out with "memory access out of bounds", or
 * V8 dies outright — hence 2 GB by default, in Node and the browser alike.
 */
import { DeepvisError } from '../errors.js';

export const DEFAULT_MEMORY_BUDGET = 2048 * 2 ** 20;

let budget = DEFAULT_MEMORY_BUDGET;

/** Sets the budget (bytes; default 2 GB) and returns it. */
export function setMemoryBudget(bytes?: number): number {
  if (bytes != null && !(Number.isFinite(bytes) && bytes > 0))
    throw new DeepvisError(`the memory budget must be a positive number of bytes; got ${bytes}`);
  budget = bytes ?? DEFAULT_MEMORY_BUDGET;
  return budget;
}

/** The engine's budget in bytes. */
export const memoryBudget = (): number => budget;

/** Bytes in one short word for messages: '1.5 GB', '300 MB', '4,096 bytes'. */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(1)} GB`
    : bytes >= 2 ** 20
      ? `${Math.ceil(bytes / 2 ** 20)} MB`
      : `${Math.ceil(bytes).toLocaleString('en')} bytes`;
}
