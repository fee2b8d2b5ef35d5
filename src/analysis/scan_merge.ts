/**
 * Exact merge of top-k scans of disjoint slices of one data set (the shards of a report, Cavojska 2015's
 * top-9 computed on several machines). A single scan keeps, among equal values, the image seen
 * first (the lowest index); so the merge sorts by value, best first, then by image index, and
 * keeps k: the result is the single scan's, entry for entry. Bottom-k lists merge the same way,
 * lowest first.
 */
import { DeepvisError } from '../errors.js';
import type { LayerTopK, TopKIndex } from './scan.js';

type Lists = {
  values: number[][];
  indices: number[][];
  positions: Array<Array<[number, number]>> | null;
};

function mergeLists(
  parts: readonly Lists[],
  k: number,
  units: number,
  better: (a: number, b: number) => number,
): Lists {
  const withPos = parts[0].positions !== null;
  const out: Lists = { values: [], indices: [], positions: withPos ? [] : null };
  for (let u = 0; u < units; u++) {
    const all = parts.flatMap((p) =>
      p.values[u].map((v, r) => ({ v, i: p.indices[u][r], pos: p.positions?.[u][r] ?? null })),
    );
    all.sort((a, b) => better(a.v, b.v) || a.i - b.i);
    const kept = all.slice(0, k);
    out.values.push(kept.map((e) => e.v));
    out.indices.push(kept.map((e) => e.i));
    out.positions?.push(kept.map((e) => e.pos as [number, number]));
  }
  return out;
}

export function mergeScans(scans: readonly TopKIndex[]): TopKIndex {
  if (scans.length === 0) throw new DeepvisError('nothing to merge: no scans');
  const first = scans[0];
  for (const s of scans) {
    if (
      s.k !== first.k ||
      s.layers.map((l) => l.layer).join() !== first.layers.map((l) => l.layer).join() ||
      s.dataset.spec !== first.dataset.spec
    ) {
      throw new DeepvisError('the scans to merge differ in k, layers or data set');
    }
  }
  const layers = first.layers.map((l, li): LayerTopK => {
    const parts = scans.map((s) => s.layers[li]);
    const top = mergeLists(parts, first.k, l.units, (a, b) => b - a);
    const bottoms = parts
      .map((p) => p.bottom)
      .filter((b): b is NonNullable<LayerTopK['bottom']> => b != null);
    const bottomK = Math.max(
      0,
      ...bottoms.map((b) => Math.max(0, ...b.indices.map((i) => i.length))),
    );
    const bottom =
      bottoms.length === parts.length && bottomK > 0
        ? mergeLists(bottoms, bottomK, l.units, (a, b) => a - b)
        : undefined;
    return { ...l, ...top, ...(bottom ? { bottom } : {}) };
  });
  return {
    ...first,
    dataset: { ...first.dataset, count: scans.reduce((a, s) => a + s.dataset.count, 0) },
    seconds: scans.reduce((a, s) => a + s.seconds, 0),
    layers,
  };
}
