/**
 * `fn` over `items` with at most `parallel` calls in flight, results in the items' order: file
 * writes and image encodes, whose cost is mostly waiting on libuv's and libvips's threads.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  parallel: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return out;
}
