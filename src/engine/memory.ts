/**
 * The memory budget: how many bytes one batch may take, set once by initEngine (the CLI passes
 * DEEPVIS_MEMORY_MB) and read by whatever sizes a batch (attribution's chunks, the CLI's refusals).
 * Past it, tfjs-wasm's 32-bit heap (4 GB at most) runs out with "memory access out of bounds", or
 * V8 dies outright — hence 2 GB by default, in Node and the browser alike.
 */
import { DeepvisError } from '../errors.js';

export const DEFAULT_MEMORY_BUDGET = 2048 * 2 ** 20;

let budget = DEFAULT_MEMORY_BUDGET;

/** Sets the budget (bytes; default 2 GB) and returns it. */
export function setMemoryBudget(bytes?: number): number {
  if (bytes != null && !(Number.isFinite(bytes) && bytes > 0)) throw new DeepvisError(`the memory budget must be a positive number of bytes; got ${bytes}`);
  budget = bytes ?? DEFAULT_MEMORY_BUDGET;
  return budget;
}

/** The engine's budget in bytes. */
export const memoryBudget = (): number => budget;
