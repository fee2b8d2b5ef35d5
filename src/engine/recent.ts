/**
 * A cache kept in use order (a Map iterates in insertion order): the entry for `key` is made when
 * missing and moved to the back, and past `kept` entries the least recently used are dropped.
 * Native sessions and the programs that own them each hold working memory, so only the last few
 * stay open.
 */
export function recent<K, V>(
  map: Map<K, V>,
  key: K,
  make: () => V,
  kept: number,
  drop: (v: V) => void,
): V {
  let v = map.get(key);
  if (v !== undefined) map.delete(key);
  else v = make();
  map.set(key, v);
  while (map.size > kept) {
    const [oldest, old] = map.entries().next().value as [K, V];
    map.delete(oldest);
    drop(old);
  }
  return v;
}
