/**
 * The unit's top-9 data-set images as in Zeiler & Fergus's fig. 2: each whole image with the
 * receptive field of its strongest position outlined, the receptive-field crops, and the deconvnet
 * projection of each (the library's deconvnet on the nine images at once, cropped the same way).
 * The index is the server's (or the page's, for an added model); the images come from the server.
 */
import * as tf from '@tensorflow/tfjs';
import {
  analysis,
  attribution,
  engine,
  render,
  type LayerInfo,
  type RgbaImage,
  type VisModel,
} from '../../../src/index.js';
import { fetchImages } from './api.js';
import { pictureNorm, signedNorm } from './contrast.js';
import { $, $canvas, drawImage } from './draw.js';
import type { AppState } from './state.js';

const { boxAt, entryCrop, layerTopK } = analysis;
const { deconvnet } = attribution;
const { grid, toImage, upscale } = render;
const { itemOf, tidyData } = engine;
type Box = analysis.Box;

const ORANGE = [255, 140, 0] as const;

/** The picture upscaled by k with the box outlined (2 device pixels wide), so the field shows at any size. */
export function outlined(img: RgbaImage, box: Box, k: number): RgbaImage {
  const big = upscale(img, k);
  const d = big.data;
  const put = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= big.width || y >= big.height) return;
    d.set(ORANGE, (y * big.width + x) * 4);
  };
  const [x0, y0, x1, y1] = [box.x0 * k, box.y0 * k, box.x1 * k - 1, box.y1 * k - 1];
  for (let t = 0; t < 2; t++) {
    for (let x = x0; x <= x1; x++) {
      put(x, y0 + t);
      put(x, y1 - t);
    }
    for (let y = y0; y <= y1; y++) {
      put(x0 + t, y);
      put(x1 - t, y);
    }
  }
  return big;
}

function clear(ids: string[]): void {
  for (const id of ids)
    $canvas(id).getContext('2d')!.clearRect(0, 0, $canvas(id).width, $canvas(id).height);
}

/** Draws the three top-9 pictures; returns how many images were shown (0: no index, with the reason in the caption). */
export async function drawTopK(
  state: AppState,
  model: VisModel,
  layer: LayerInfo,
  unit: number,
  boost: boolean,
): Promise<number> {
  const ids = ['unit-topk-whole', 'unit-topk', 'unit-topk-deconv'];
  const caption = $('unit-topk-caption');
  const index = state.index;
  if (!index) {
    clear(ids);
    caption.textContent = state.scanning
      ? 'top-9: scanning the data set for this model…'
      : !state.config.data
        ? 'top-9: no data set served (start deepvis serve with --data)'
        : `top-9: no index — the served data set (${state.config.data.shape.join('×')}) does not fit this model`;
    return 0;
  }
  let entry;
  try {
    entry = layerTopK(index, layer.name);
  } catch {
    clear(ids);
    caption.textContent = `top-9: layer ${layer.name} was not scanned`;
    return 0;
  }
  const indices = entry.indices[unit];
  const imgs = await fetchImages(indices);
  if (state.unit !== unit || state.layer !== layer) return -1;
  const shape = imgs.shape;
  const [lo, hi] = model.input.range;
  const pixels = indices.map((_, r) =>
    itemOf(imgs.values, r, shape).map((v) => lo + v * (hi - lo)),
  );
  const positions = entry.positions?.[unit] ?? null;
  const projections = tidyData(() => {
    const x = tf.tensor4d(Float32Array.from(pixels.flatMap((p) => Array.from(p))), [
      indices.length,
      ...shape,
    ]);
    return deconvnet(model, x, {
      layer,
      units: indices.map(() => unit),
      neurons: positions ?? undefined,
    });
  });
  const norm = pictureNorm(boost, [lo, hi]);
  const k = Math.max(1, Math.round(56 / shape[1]));
  const whole = pixels.map((p, r) => {
    const img = toImage(p, shape, norm);
    const pos = positions?.[r];
    return pos ? outlined(img, boxAt(entry.receptiveField, pos[0], pos[1]), k) : upscale(img, k);
  });
  const crops = pixels.map((p, r) => {
    const c = entryCrop(entry, unit, r, p, shape, (lo + hi) / 2);
    return toImage(c.values, c.shape, norm);
  });
  const deconvs = indices.map((_, r) => {
    const c = entryCrop(entry, unit, r, itemOf(projections, r, shape), shape, 0);
    return toImage(c.values, c.shape, signedNorm(boost));
  });
  const names = state.config.data?.classNames ?? model.labels;
  const labels = entry.values[unit].map(
    (v, r) =>
      `${v.toPrecision(3)}${imgs.labels[r] >= 0 ? ` · ${names?.[imgs.labels[r]] ?? imgs.labels[r]}` : ''}`,
  );
  drawImage($canvas('unit-topk-whole'), grid(whole, { cols: 3, minTile: 56 }));
  // Crops at a whole multiple that keeps three of them (3 × (tile + 4) + 4 pixels) within the canvases' 180 CSS pixels.
  const side = crops[0].width;
  const cropTile = side * Math.max(1, Math.floor(54 / side));
  drawImage($canvas('unit-topk'), grid(crops, { cols: 3, minTile: cropTile }));
  drawImage($canvas('unit-topk-deconv'), grid(deconvs, { cols: 3, minTile: cropTile }));
  $('unit-topk-list').textContent = indices.map((i, r) => `#${i}: ${labels[r]}`).join(';  ');
  const rf = entry.receptiveField;
  caption.textContent = `top-${indices.length} of ${index.dataset.count} data-set images${positions ? `, receptive field ${rf.size.join('×')}` : ''}`;
  return indices.length;
}
