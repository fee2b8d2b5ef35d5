/**
 * A layer's activations as one picture: a conv layer as a grid of channel tiles (a 256-channel
 * layer is a 16×16 grid, as in Yosinski et al.'s toolbox), a dense layer as a grid of unit cells.
 * One scale for the whole layer (0 → black, the layer's maximum → white), so a bright tile is a
 * channel that responds more than its neighbours, not one stretched to full contrast.
 * The layout is exported so a click on the picture maps back to its unit (the web app).
 */
import type { LayerActivations } from '../analysis/activations.js';
import { blank, blit, upscale, type RgbaImage } from './image.js';

export interface GridLayout {
  readonly units: number;
  readonly cols: number;
  readonly rows: number;
  /** Tile size without the gap, in output pixels; the tile's pixel size (h·factor). */
  readonly tileW: number;
  readonly tileH: number;
  readonly gap: number;
  readonly factor: number;
  readonly width: number;
  readonly height: number;
}

export function gridLayout(
  shape: readonly number[],
  args: { minTile?: number; gap?: number } = {},
): GridLayout {
  const gap = args.gap ?? 1;
  const spatial = shape.length === 3;
  const units = spatial ? shape[2] : shape.reduce((a, b) => a * b, 1);
  const cols = Math.ceil(Math.sqrt(units));
  const rows = Math.ceil(units / cols);
  const factor = spatial ? Math.max(1, Math.ceil((args.minTile ?? 24) / shape[1])) : 1;
  const tileW = spatial ? shape[1] * factor : Math.max(4, Math.min(args.minTile ?? 24, 12));
  const tileH = spatial ? shape[0] * factor : tileW;
  return {
    units,
    cols,
    rows,
    tileW,
    tileH,
    gap,
    factor,
    width: cols * (tileW + gap) + gap,
    height: rows * (tileH + gap) + gap,
  };
}

/** The unit under pixel (x, y) of the picture, or null on a gap or past the last unit. */
export function unitAt(layout: GridLayout, x: number, y: number): number | null {
  const col = Math.floor((x - layout.gap) / (layout.tileW + layout.gap));
  const row = Math.floor((y - layout.gap) / (layout.tileH + layout.gap));
  if (col < 0 || row < 0 || col >= layout.cols || row >= layout.rows) return null;
  const u = row * layout.cols + col;
  return u < layout.units ? u : null;
}

/** Top-left pixel of a unit's tile. */
export function tileOrigin(layout: GridLayout, unit: number): [number, number] {
  return [
    layout.gap + (unit % layout.cols) * (layout.tileW + layout.gap),
    layout.gap + Math.floor(unit / layout.cols) * (layout.tileH + layout.gap),
  ];
}

function gray(
  values: ArrayLike<number>,
  w: number,
  h: number,
  stride: number,
  offset: number,
  scale: number,
): RgbaImage {
  const img = blank(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.max(0, values[i * stride + offset]) * scale;
    img.data.set([v, v, v, 255], i * 4);
  }
  return img;
}

/** `selected`: the open unit (an orange frame); `cursor`: the keyboard cursor (a blue frame), when it is elsewhere. */
export function activationGrid(
  a: Pick<LayerActivations, 'shape' | 'values'>,
  args: { minTile?: number; gap?: number; selected?: number | null; cursor?: number | null } = {},
): RgbaImage {
  let max = 0;
  for (let i = 0; i < a.values.length; i++) max = Math.max(max, a.values[i]);
  const scale = max > 0 ? 255 / max : 0;
  const L = gridLayout(a.shape, args);
  const out = blank(L.width, L.height, [90, 90, 110]);
  if (args.selected != null && args.selected < L.units) {
    // The selected unit's frame: the gap around its tile turns orange.
    const [x0, y0] = tileOrigin(L, args.selected);
    blit(
      out,
      blank(L.tileW + 2 * L.gap, L.tileH + 2 * L.gap, [255, 140, 0]),
      x0 - L.gap,
      y0 - L.gap,
    );
  }
  if (args.cursor != null && args.cursor < L.units && args.cursor !== args.selected) {
    const [x0, y0] = tileOrigin(L, args.cursor);
    blit(
      out,
      blank(L.tileW + 2 * L.gap, L.tileH + 2 * L.gap, [26, 115, 232]),
      x0 - L.gap,
      y0 - L.gap,
    );
  }
  for (let k = 0; k < L.units; k++) {
    const [x, y] = tileOrigin(L, k);
    if (a.shape.length === 3) {
      const [h, w, c] = a.shape;
      blit(out, upscale(gray(a.values, w, h, c, k, scale), L.factor), x, y);
    } else {
      const v = Math.max(0, a.values[k]) * scale;
      blit(out, blank(L.tileW, L.tileH, [v, v, v]), x, y);
    }
  }
  return out;
}
