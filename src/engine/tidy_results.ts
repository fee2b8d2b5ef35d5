/**
 * A tidy that returns numbers costs nothing. tfjs 4.22's endScope looks for tensors to hand to
 * the parent scope in whatever the function returned (getTensorsInContainer), and walks a typed
 * array or a nested number array element by element, putting every value in a Set. A tidy
 * returning `.dataSync()` of a 224-px batch-8 gradient (602,112 floats) so allocated ~140 MB of
 * garbage per call — V8 grew its heap by that much per step of ResNet-18's input gradient, most
 * of the process's memory above the wasm heap. A result that cannot hold a tensor is passed on as
 * nothing to track; the value the caller gets back is untouched.
 */
import { filterScopeResults } from './internals.js';

/** True when `v` is made only of numbers, strings, booleans and typed arrays. */
function holdsNoTensor(v: unknown): boolean {
  if (v == null || typeof v !== 'object') return true;
  if (ArrayBuffer.isView(v)) return true;
  if (Array.isArray(v)) return v.every(holdsNoTensor);
  return false;
}

/** A scope's result that cannot hold a tensor is handed on as nothing to track. */
export function installPlainTidyResults(): void {
  filterScopeResults((result) => (holdsNoTensor(result) ? null : result));
}
