/**
 * Labelled grids of many tiles (one per unit): tiles upscaled nearest-neighbour to a readable size,
 * laid out in a near-square grid, each with its label underneath (wrapped onto lines, abbreviated
 * with '…' only when even that does not fit: never cut), row labels on the left and a title on top.
 * Returned as an RgbaImage carrying its figure (render/figure.ts), so the PNG writers lay it out
 * again for the figure options (`--scale`) and draw its text with a real font.
 */
import {
  figureOf,
  moved,
  picture,
  tileFactor,
  type Figure,
  type FigureOptions,
  type Mark,
} from './figure.js';
import type { RgbaImage } from './image.js';
import { fitText, LABEL_SIZE, LINE, measureText, TITLE_SIZE } from './text.js';

export interface GridArgs {
  /** Columns; default ⌈√n⌉. */
  readonly cols?: number;
  /** One label per tile, drawn under it. */
  readonly labels?: readonly string[];
  readonly title?: string;
  /** Tiles are upscaled (nearest) until at least this many pixels wide. Default 56 (128 in a written figure). */
  readonly minTile?: number;
  readonly gap?: number;
  /** One label per row, drawn left of it (e.g. the hyperparameters that made the row). */
  readonly rowLabels?: readonly string[];
}

const INK: readonly [number, number, number] = [30, 30, 30];
/** A label column is never narrower than this, however small the tiles. */
const MIN_LABEL_W = 72;
const MAX_ROW_LABEL_W = 180;

/** Title lines wrapped to `width` (never abbreviated), as text marks from y. */
function titleMarks(title: string, width: number, x: number, y: number): Mark[] {
  const lines = fitText(title, width, TITLE_SIZE, 1e6, true).lines;
  return lines.map((text, i) => ({
    kind: 'text',
    x,
    y: y + i * LINE * TITLE_SIZE,
    text,
    size: TITLE_SIZE,
    bold: true,
    fill: [20, 20, 20],
  }));
}

/** The title's height when wrapped to `width`. */
const titleHeight = (title: string | undefined, width: number) =>
  title ? fitText(title, width, TITLE_SIZE, 1e6, true).lines.length * LINE * TITLE_SIZE + 8 : 0;

/** The width a title takes on one line, up to `max`. */
const titleWidth = (title: string | undefined, max: number) =>
  title ? Math.min(max, Math.ceil(measureText(title, TITLE_SIZE, true))) : 0;

/** The grid laid out for `o`. */
export function gridFigure(tiles: readonly RgbaImage[], args: GridArgs, o: FigureOptions): Figure {
  const gap = args.gap ?? 6;
  const factor = tileFactor(tiles[0].width, o, args.minTile);
  const tw = tiles[0].width * factor;
  const th = tiles[0].height * factor;
  const cols = Math.max(1, Math.min(args.cols ?? Math.ceil(Math.sqrt(tiles.length)), tiles.length));
  const rows = Math.ceil(tiles.length / cols);
  const cellW = Math.max(tw, args.labels?.some(Boolean) ? MIN_LABEL_W : 0);
  // Labels get up to 3 lines (4 under small tiles); every cell has the height of the tallest.
  const maxLines = cellW >= 96 ? 3 : 4;
  const fitted = (args.labels ?? []).map((l) => fitText(l ?? '', cellW, LABEL_SIZE, maxLines));
  const lines = Math.max(0, ...fitted.map((f) => (f.lines.length ? f.lines.length : 0)));
  const labelH = lines ? lines * LINE * LABEL_SIZE + 4 : 0;
  const rowFits = (args.rowLabels ?? []).map((l) =>
    fitText(l, MAX_ROW_LABEL_W, LABEL_SIZE, Math.max(1, Math.floor(th / (LINE * LABEL_SIZE)))),
  );
  const left = rowFits.length
    ? Math.max(...rowFits.flatMap((f) => f.lines.map((t) => measureText(t, LABEL_SIZE)))) + 2 * gap
    : 0;
  const gridW = left + cols * (cellW + gap) + gap;
  // A title wraps to the grid's width (to 360 px under a narrower grid).
  const width = Math.ceil(
    Math.max(
      gridW,
      Math.min(titleWidth(args.title, 900), Math.max(gridW - 2 * gap, 360)) + 2 * gap,
    ),
  );
  const titleH = titleHeight(args.title, width - 2 * gap);
  const cellH = th + labelH + gap;
  const marks: Mark[] = args.title ? titleMarks(args.title, width - 2 * gap, gap, 6) : [];
  rowFits.forEach((f, r) => {
    const y0 = titleH + gap + r * cellH + th / 2 - (f.lines.length * LINE * LABEL_SIZE) / 2;
    f.lines.forEach((text, i) =>
      marks.push({
        kind: 'text',
        x: gap,
        y: y0 + i * LINE * LABEL_SIZE,
        text,
        size: LABEL_SIZE,
        fill: INK,
        full: f.abbreviated ? args.rowLabels![r] : undefined,
      }),
    );
  });
  tiles.forEach((tile, i) => {
    const x = left + gap + (i % cols) * (cellW + gap);
    const y = titleH + gap + Math.floor(i / cols) * cellH;
    marks.push({ kind: 'image', x: x + Math.floor((cellW - tw) / 2), y, image: tile, factor });
    const f = fitted[i];
    f?.lines.forEach((text, k) =>
      marks.push({
        kind: 'text',
        x: x + cellW / 2,
        y: y + th + 2 + k * LINE * LABEL_SIZE,
        text,
        size: LABEL_SIZE,
        anchor: 'middle',
        fill: INK,
        full: f.abbreviated ? args.labels![i] : undefined,
      }),
    );
  });
  return {
    width,
    height: Math.ceil(rows * cellH + gap + titleH),
    background: [255, 255, 255],
    marks,
  };
}

/** The grid as pixels (tiles at least `minTile`, default 56 px; bitmap text), carrying its figure. */
export function grid(tiles: readonly RgbaImage[], args: GridArgs = {}): RgbaImage {
  if (tiles.length === 0) return { width: 1, height: 1, data: new Uint8ClampedArray(4).fill(255) };
  return picture((o) => gridFigure(tiles, args, o), {
    scale: 'auto',
    minTile: args.minTile ?? 56,
  });
}

/** Pictures one under another, each with a title above it (an overview of several layers). */
export function stack(
  parts: ReadonlyArray<{ title: string; image: RgbaImage }>,
  gap = 8,
): RgbaImage {
  const layout = (o: FigureOptions): Figure => {
    const figs = parts.map((p) => figureOf(p.image, o));
    const inner = Math.max(
      ...figs.map((f, i) => Math.max(f.width, titleWidth(parts[i].title, 900))),
      1,
    );
    const marks: Mark[] = [];
    let y = gap;
    figs.forEach((f, i) => {
      const th = titleHeight(parts[i].title, inner);
      marks.push(...titleMarks(parts[i].title, inner, gap, y));
      marks.push(...moved(f, gap, y + th));
      y += th + f.height + gap;
    });
    return { width: inner + 2 * gap, height: y, background: [255, 255, 255], marks };
  };
  return picture(layout, { scale: 'auto', minTile: 56 });
}

/** Pictures side by side, tops aligned. */
export function sideBySide(images: readonly RgbaImage[], gap = 12): RgbaImage {
  const layout = (o: FigureOptions): Figure => {
    const figs = images.map((im) => figureOf(im, o));
    const marks: Mark[] = [];
    let x = 0;
    for (const f of figs) {
      marks.push(...moved(f, x, 0));
      x += f.width + gap;
    }
    return {
      width: Math.max(1, x - gap),
      height: Math.max(...figs.map((f) => f.height)),
      background: [255, 255, 255],
      marks,
    };
  };
  return picture(layout, { scale: 'auto', minTile: 56 });
}
