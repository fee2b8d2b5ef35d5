/**
 * Labelled grids of many tiles (one per unit): tiles are upscaled to a readable size, laid out in a
 * near-square grid, each with its label underneath, and an optional title on top.
 */
import { blank, blit, upscale, type RgbaImage } from './image.js';
import { drawText, GLYPH_H, textWidth } from './font.js';

export interface GridArgs {
  /** Columns; default ⌈√n⌉. */
  readonly cols?: number;
  /** One label per tile, drawn under it. */
  readonly labels?: readonly string[];
  readonly title?: string;
  /** Tiles are upscaled (nearest) until at least this many pixels wide. Default 56. */
  readonly minTile?: number;
  readonly gap?: number;
  /** One label per row, drawn left of it (e.g. the hyperparameters that made the row). */
  readonly rowLabels?: readonly string[];
}

export function grid(tiles: readonly RgbaImage[], args: GridArgs = {}): RgbaImage {
  if (tiles.length === 0) return blank(1, 1);
  const factor = Math.max(1, Math.ceil((args.minTile ?? 56) / tiles[0].width));
  const scaled = tiles.map((t) => upscale(t, factor));
  const tw = scaled[0].width;
  const th = scaled[0].height;
  const cols = Math.max(1, Math.min(args.cols ?? Math.ceil(Math.sqrt(tiles.length)), tiles.length));
  const rows = Math.ceil(tiles.length / cols);
  const gap = args.gap ?? 4;
  const textScale = tw >= 80 ? 2 : 1;
  const labelH = args.labels ? GLYPH_H * textScale + 4 : 0;
  const titleScale = 2;
  const titleH = args.title ? GLYPH_H * titleScale + 8 : 0;
  const cellW = tw + gap;
  const cellH = th + labelH + gap;
  const left = args.rowLabels
    ? Math.max(...args.rowLabels.map((l) => textWidth(l, 1))) + 2 * gap
    : 0;
  const width = Math.max(
    left + cols * cellW + gap,
    args.title ? textWidth(args.title, titleScale) + 2 * gap : 0,
  );
  const out = blank(width, rows * cellH + gap + titleH);
  if (args.title) drawText(out, args.title, gap, 4, titleScale, [20, 20, 20]);
  args.rowLabels?.forEach((l, r) =>
    drawText(out, l, gap, titleH + gap + r * cellH + Math.floor(th / 2) - 2, 1, [20, 20, 20]),
  );
  scaled.forEach((tile, i) => {
    const x = left + gap + (i % cols) * cellW;
    const y = titleH + gap + Math.floor(i / cols) * cellH;
    blit(out, tile, x, y);
    const label = args.labels?.[i];
    if (label) {
      const maxChars = Math.max(1, Math.floor((tw + 1) / (4 * textScale)));
      drawText(out, label.slice(0, maxChars), x, y + th + 2, textScale, [40, 40, 40]);
    }
  });
  return out;
}

/** Pictures one under another, each with a title above it (an overview of several layers). */
export function stack(
  parts: ReadonlyArray<{ title: string; image: RgbaImage }>,
  gap = 6,
): RgbaImage {
  const titleH = GLYPH_H * 2 + 6;
  const width =
    Math.max(...parts.map((p) => Math.max(p.image.width, textWidth(p.title, 2))), 1) + 2 * gap;
  const height = parts.reduce((h, p) => h + titleH + p.image.height + gap, gap);
  const out = blank(width, height);
  let y = gap;
  for (const p of parts) {
    drawText(out, p.title, gap, y, 2, [20, 20, 20]);
    blit(out, p.image, gap, y + titleH);
    y += titleH + p.image.height + gap;
  }
  return out;
}
