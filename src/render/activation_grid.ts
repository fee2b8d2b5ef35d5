/**
 * A layer's activations as one picture: a conv layer as a grid of channel tiles (a 256-channel
 * layer is a 16×16 grid, as in Yosinski et al.'s toolbox), a dense layer as a grid of unit cells.
 * One scale for the whole layer (0 → black, the layer's maximum → white), so a bright tile is a
 * channel that responds more than its neighbours, not one stretched to full contrast.
 */
import type { LayerActivations } from '../analysis/activations.js';
import { blank, blit, upscale, type RgbaImage } from './image.js';

function gray(values: ArrayLike<number>, w: number, h: number, stride: number, offset: number, scale: number): RgbaImage {
  const img = blank(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.max(0, values[i * stride + offset]) * scale;
    img.data.set([v, v, v, 255], i * 4);
  }
  return img;
}

export function activationGrid(a: LayerActivations, args: { minTile?: number; gap?: number } = {}): RgbaImage {
  let max = 0;
  for (let i = 0; i < a.values.length; i++) max = Math.max(max, a.values[i]);
  const scale = max > 0 ? 255 / max : 0;
  const gap = args.gap ?? 1;
  if (a.shape.length === 3) {
    const [h, w, c] = a.shape;
    const cols = Math.ceil(Math.sqrt(c));
    const rows = Math.ceil(c / cols);
    const factor = Math.max(1, Math.ceil((args.minTile ?? 24) / w));
    const tw = w * factor + gap;
    const th = h * factor + gap;
    const out = blank(cols * tw + gap, rows * th + gap, [90, 90, 110]);
    for (let k = 0; k < c; k++) blit(out, upscale(gray(a.values, w, h, c, k, scale), factor), gap + (k % cols) * tw, gap + Math.floor(k / cols) * th);
    return out;
  }
  const n = a.values.length;
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cell = Math.max(4, Math.min(args.minTile ?? 24, 12));
  const out = blank(cols * (cell + gap) + gap, rows * (cell + gap) + gap, [90, 90, 110]);
  for (let i = 0; i < n; i++) {
    const v = Math.max(0, a.values[i]) * scale;
    const tile = blank(cell, cell, [v, v, v]);
    blit(out, tile, gap + (i % cols) * (cell + gap), gap + Math.floor(i / cols) * (cell + gap));
  }
  return out;
}
