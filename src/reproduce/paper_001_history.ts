/**
 * Zeiler & Fergus fig. 3 (Cavojska 2015 §5): features through training, from snapshots of one run.
 * For a seeded random subset of units of each conv layer and each snapshot: the unit's strongest
 * activation over the training images (top-1, with its spatial position), the image patch under
 * that neuron's receptive field, and its deconvnet projection (switch unpooling) cropped the same.
 * "Converged at epoch e" for a unit: from snapshot e on, every projection correlates ≥ 0.8 with
 * the last snapshot's (Pearson over the crop's pixels) — the paper's reading of its figure, that
 * low layers settle within a few epochs and high layers only late.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { deconvnet } from '../attribution/gradients.js';
import { entryCrop, layerTopK, scanTopK } from '../analysis/scan.js';
import { Rng } from '../engine/rng.js';
import type { VisModel } from '../model/types.js';
import { grid } from '../render/grid.js';
import { toImage, type RgbaImage } from '../render/image.js';

export interface Snapshot {
  readonly epoch: number;
  readonly model: VisModel;
}

export interface UnitHistory {
  layer: string;
  unit: number;
  /** Per snapshot: top-1 image index and its projection's correlation with the last snapshot's. */
  top: number[];
  correlation: number[];
  convergedAt: number;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** The first epoch from which every later correlation is ≥ `at` (the last snapshot's epoch at worst). */
export function convergedAt(
  epochs: readonly number[],
  correlation: readonly number[],
  at = 0.8,
): number {
  let i = correlation.length - 1;
  while (i > 0 && correlation[i - 1] >= at) i--;
  return epochs[i];
}

export async function history(
  snapshots: readonly Snapshot[],
  data: ImageSet,
  layers: readonly string[],
  perLayer: number,
  seed: number,
): Promise<{ image: RgbaImage; units: UnitHistory[] }> {
  const [h, w, c] = data.shape;
  const size = h * w * c;
  const rng = new Rng(seed);
  const last = snapshots[snapshots.length - 1].model;
  const chosen = layers.flatMap((l) =>
    rng
      .permutation(last.layer(l).units)
      .slice(0, perLayer)
      .map((u) => ({ layer: l, unit: u })),
  );
  // crops[snapshot][unit] = { patch, projection }
  const crops: Array<
    Array<{
      patch: Float32Array;
      projection: Float32Array;
      shape: [number, number, number];
      index: number;
    }>
  > = [];
  for (const s of snapshots) {
    const index = await scanTopK(s.model, data, { layers, k: 1 });
    const row = [];
    for (const { layer, unit } of chosen) {
      const entry = layerTopK(index, layer);
      const idx = entry.indices[unit][0];
      const pixels = data.images.subarray(idx * size, (idx + 1) * size);
      const proj = tf.tidy(() =>
        deconvnet(s.model, tf.tensor4d(pixels, [1, h, w, c]), {
          layer: s.model.layer(layer),
          units: [unit],
          neurons: entry.positions ? [entry.positions[unit][0]] : undefined,
        }).dataSync(),
      );
      const p = entryCrop(entry, unit, 0, proj, [h, w, c], 0);
      const patch = entryCrop(entry, unit, 0, pixels, [h, w, c], 0.5);
      row.push({ patch: patch.values, projection: p.values, shape: p.shape, index: idx });
    }
    crops.push(row);
  }
  return {
    image: drawn(snapshots, chosen, crops),
    units: chosen.map(({ layer, unit }, j) => {
      const final = crops[crops.length - 1][j].projection;
      const correlation = crops.map((row) => pearson(row[j].projection, final));
      return {
        layer,
        unit,
        top: crops.map((row) => row[j].index),
        correlation,
        convergedAt: convergedAt(
          snapshots.map((s) => s.epoch),
          correlation,
        ),
      };
    }),
  };
}

function drawn(
  snapshots: readonly Snapshot[],
  chosen: ReadonlyArray<{ layer: string; unit: number }>,
  crops: Array<
    Array<{ patch: Float32Array; projection: Float32Array; shape: [number, number, number] }>
  >,
): RgbaImage {
  // Crops differ in size between layers: every tile is resampled (nearest) to the largest field.
  const side = Math.max(...crops[0].map((c) => c.shape[0]));
  const pad = (v: Float32Array, s: [number, number, number]) => {
    const out = new Float32Array(side * side);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++)
        out[y * side + x] = v[Math.floor((y * s[0]) / side) * s[1] + Math.floor((x * s[1]) / side)];
    return out;
  };
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  chosen.forEach((_, j) =>
    snapshots.forEach((s, i) => {
      const k = crops[i][j];
      // Contrast enhanced as in the paper: zero stays mid-grey, the 99th |value| percentile is full scale.
      tiles.push(
        toImage(pad(k.patch, k.shape), [side, side, 1], { mode: 'range', range: [0, 1] }),
        toImage(pad(k.projection, k.shape), [side, side, 1], { mode: 'symmetric', percentile: 99 }),
      );
      labels.push(`ep ${s.epoch}`, '');
    }),
  );
  return grid(tiles, {
    cols: 2 * snapshots.length,
    labels,
    rowLabels: chosen.map((u) => `${u.layer} u${u.unit}`),
    title: 'per epoch: top patch | deconvnet projection',
  });
}
