/**
 * Rotated filters, cached per filter. The input gradient of a convolution runs a forward convolution
 * with the filter rotated by 180° (and, for Conv2D, its channels swapped). Building that filter anew
 * on every call costs more than the flip itself: XNNPACK keys its prepared (packed) operator on the
 * filter's identity, so a fresh filter repacks the weights every step. Model weights do not change
 * during visualization, so the rotated filter is kept per source filter (tfjs data ids are immutable
 * objects; a changed weight is a new data id). When weights do change (training), entries whose
 * source is disposed are freed at the next insertion, and a small LRU bounds the rest.
 */
import type * as tf from '@tensorflow/tfjs';
import { withScope, type KernelScope } from './scope.js';

const LIMIT = 64;
const caches = new Map<string, Map<object, tf.TensorInfo>>();

export function cachedFilter(
  kind: string,
  backend: tf.KernelBackend,
  backendName: string,
  filter: tf.TensorInfo,
  make: (s: KernelScope) => tf.TensorInfo,
): tf.TensorInfo {
  let cache = caches.get(kind);
  if (!cache) caches.set(kind, (cache = new Map()));
  const hit = cache.get(filter.dataId);
  if (hit) {
    cache.delete(filter.dataId);
    cache.set(filter.dataId, hit);
    return hit;
  }
  const made = withScope(backend, backendName, make);
  // Filters whose source tensor is gone (a training step replaced the weights) are freed now, so
  // the cache holds the live weights' filters, not up to LIMIT stale copies of large ones.
  for (const [key, t] of cache) {
    if (backend.refCount(key) === 0) {
      cache.delete(key);
      backend.disposeData(t.dataId);
    }
  }
  cache.set(filter.dataId, made);
  if (cache.size > LIMIT) {
    const [oldestKey, oldest] = cache.entries().next().value as [object, tf.TensorInfo];
    cache.delete(oldestKey);
    backend.disposeData(oldest.dataId);
  }
  return made;
}

/** Frees every cached filter (tests, or a backend switch). */
export function clearFilterCache(backend: tf.KernelBackend): void {
  for (const cache of caches.values()) {
    for (const t of cache.values()) backend.disposeData(t.dataId);
    cache.clear();
  }
}
