/**
 * The few charts the analyses need, drawn into RgbaImages with the bitmap font (no canvas, no system
 * fonts: the same pixels in Node and the browser): grouped bars, a labelled heatmap, and a scatter
 * of thumbnails coloured by label.
 */
import { drawText, GLYPH_H, textWidth } from './font.js';
import { blank, blit, type RgbaImage } from './image.js';

type Rgb = [number, number, number];

/** Ten distinguishable colours (Tableau 10), one per class. */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

function rect(img: RgbaImage, x0: number, y0: number, w: number, h: number, rgb: Rgb): void {
  for (let y = Math.max(0, Math.round(y0)); y < Math.min(img.height, Math.round(y0 + h)); y++) {
    for (let x = Math.max(0, Math.round(x0)); x < Math.min(img.width, Math.round(x0 + w)); x++)
      img.data.set([...rgb, 255], (y * img.width + x) * 4);
  }
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

export interface BarChartArgs {
  readonly title: string;
  /** One group per category on the x axis (a class, a layer). */
  readonly groups: readonly string[];
  /** One series per bar colour (a unit, a model), values[series][group]. */
  readonly series: ReadonlyArray<{ readonly label: string; readonly values: readonly number[] }>;
  /** Dashed horizontal reference lines (e.g. the overall mean and the 40% threshold). */
  readonly lines?: ReadonlyArray<{ readonly label: string; readonly value: number }>;
  readonly height?: number;
}

export function barChart(args: BarChartArgs): RgbaImage {
  const s = 2;
  const bar = Math.max(6, Math.floor(48 / args.series.length));
  const groupW = bar * args.series.length + 12;
  const left = 40;
  const plotH = args.height ?? 160;
  const top = 20 + GLYPH_H * s;
  const legendW =
    Math.max(
      ...args.series.map((x) => textWidth(x.label, s)),
      ...(args.lines ?? []).map((l) => textWidth(l.label, s)),
    ) + 30;
  const width = Math.max(
    left + args.groups.length * groupW + legendW + 20,
    textWidth(args.title, s) + 20,
  );
  const img = blank(width, top + plotH + 16 + GLYPH_H * s);
  drawText(img, args.title, 8, 6, s, [20, 20, 20]);
  const all = [
    ...args.series.flatMap((x) => x.values),
    ...(args.lines ?? []).map((l) => l.value),
    0,
  ];
  const hi = Math.max(...all);
  const lo = Math.min(...all);
  const span = hi - lo || 1;
  const yOf = (v: number) => top + plotH - ((v - lo) / span) * plotH;
  rect(img, left - 2, top, 1, plotH + 1, [60, 60, 60]);
  rect(img, left - 2, yOf(0), args.groups.length * groupW, 1, [60, 60, 60]);
  drawText(img, fmt(hi), 2, top, 1, [60, 60, 60]);
  drawText(img, fmt(lo), 2, top + plotH - GLYPH_H, 1, [60, 60, 60]);
  args.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + 6;
    args.series.forEach((ser, si) => {
      const v = ser.values[gi];
      const y0 = Math.min(yOf(v), yOf(0));
      rect(
        img,
        gx + si * bar,
        y0,
        bar - 1,
        Math.max(1, Math.abs(yOf(v) - yOf(0))),
        PALETTE[si % PALETTE.length],
      );
    });
    drawText(img, g, gx, top + plotH + 6, textWidth(g, s) <= groupW - 2 ? s : 1, [40, 40, 40]);
  });
  (args.lines ?? []).forEach((l, li) => {
    const y = Math.round(yOf(l.value));
    for (let x = left; x < left + args.groups.length * groupW; x += 6)
      rect(img, x, y, 3, 1, li === 0 ? [0, 0, 0] : [200, 0, 0]);
  });
  const lx = left + args.groups.length * groupW + 12;
  args.series.forEach((ser, si) => {
    rect(img, lx, top + si * 14, 10, 10, PALETTE[si % PALETTE.length]);
    drawText(img, ser.label, lx + 14, top + si * 14, s, [30, 30, 30]);
  });
  (args.lines ?? []).forEach((l, li) => {
    const y = top + (args.series.length + li) * 14;
    rect(img, lx, y + 4, 10, 1, li === 0 ? [0, 0, 0] : [200, 0, 0]);
    drawText(img, l.label, lx + 14, y, s, [30, 30, 30]);
  });
  return img;
}

/** Matrix [rows][cols] as coloured cells (white = lowest, dark red = highest), labels on both axes. */
export function heatmap(
  matrix: readonly (readonly number[])[],
  args: {
    title: string;
    rowLabels: readonly string[];
    colLabels: readonly string[];
    cell?: number;
    rowAxis?: string;
    colAxis?: string;
  },
): RgbaImage {
  const cell = args.cell ?? 14;
  const rows = matrix.length;
  const cols = matrix[0]?.length ?? 0;
  const left = Math.max(...args.rowLabels.map((l) => textWidth(l, 1)), 8) + 8;
  const top = 24 + GLYPH_H * 2;
  const img = blank(
    Math.max(left + cols * cell + 12, textWidth(args.title, 2) + 16),
    top + rows * cell + 30,
  );
  drawText(img, args.title, 8, 6, 2, [20, 20, 20]);
  const flat = matrix.flat();
  const lo = Math.min(...flat);
  // One outlier cell must not wash out the rest: the colour scale tops out at the 98th percentile.
  const sorted = [...flat].sort((a, b) => a - b);
  const hi =
    sorted[Math.min(sorted.length - 1, Math.floor(0.98 * (sorted.length - 1)))] ||
    Math.max(...flat);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = hi > lo ? Math.min(1, (matrix[r][c] - lo) / (hi - lo)) : 0;
      rect(img, left + c * cell, top + r * cell, cell - 1, cell - 1, [
        255 - 105 * t,
        255 - 235 * t,
        255 - 235 * t,
      ]);
    }
    drawText(
      img,
      args.rowLabels[r],
      4,
      top + r * cell + Math.floor((cell - GLYPH_H) / 2),
      1,
      [40, 40, 40],
    );
  }
  args.colLabels.forEach((l, c) => {
    if (cols > 24 && c % Math.ceil(cols / 24) !== 0) return;
    drawText(img, l, left + c * cell + 1, top - GLYPH_H - 3, 1, [40, 40, 40]);
  });
  if (args.colAxis) drawText(img, args.colAxis, left, top + rows * cell + 6, 1, [40, 40, 40]);
  if (args.rowAxis) drawText(img, args.rowAxis, 4, top + rows * cell + 16, 1, [40, 40, 40]);
  return img;
}

/**
 * Thumbnails at 2-D coordinates (an embedding), each tinted by its label's colour, with a legend.
 * Later points are drawn over earlier ones; the caller shuffles if that matters.
 */
export function thumbnailScatter(
  points: ReadonlyArray<readonly [number, number]>,
  thumbs: readonly RgbaImage[],
  labels: readonly number[] | null,
  args: { title: string; size?: number; classNames?: readonly string[]; tint?: boolean },
): RgbaImage {
  const size = args.size ?? 900;
  const margin = 20;
  const top = 24 + GLYPH_H * 2;
  const img = blank(size + 160, size + top + margin);
  drawText(img, args.title, 8, 6, 2, [20, 20, 20]);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const tw = thumbs[0]?.width ?? 4;
  const th = thumbs[0]?.height ?? 4;
  points.forEach(([px, py], i) => {
    const x = margin + ((px - x0) / (x1 - x0 || 1)) * (size - 2 * margin - tw);
    const y = top + ((py - y0) / (y1 - y0 || 1)) * (size - 2 * margin - th);
    const colour = labels ? PALETTE[labels[i] % PALETTE.length] : ([40, 40, 40] as Rgb);
    const t = thumbs[i];
    if (args.tint === false) {
      rect(img, Math.round(x) - 2, Math.round(y) - 2, tw + 4, th + 4, colour);
      blit(img, t, Math.round(x), Math.round(y));
      return;
    }
    // Ink in the label's colour, background white: digits stay legible and classes separable by eye.
    const tinted = { width: t.width, height: t.height, data: new Uint8ClampedArray(t.data.length) };
    for (let p = 0; p < t.width * t.height; p++) {
      const v = (t.data[p * 4] + t.data[p * 4 + 1] + t.data[p * 4 + 2]) / (3 * 255);
      for (let k = 0; k < 3; k++) tinted.data[p * 4 + k] = 255 - v * (255 - colour[k]);
      tinted.data[p * 4 + 3] = 255;
    }
    rect(img, Math.round(x) - 1, Math.round(y) - 1, tw + 2, th + 2, colour);
    blit(img, tinted, Math.round(x), Math.round(y));
  });
  if (labels) {
    const classes = [...new Set(labels)].sort((a, b) => a - b);
    classes.forEach((c, i) => {
      rect(img, size + 10, top + i * 16, 12, 12, PALETTE[c % PALETTE.length]);
      drawText(
        img,
        args.classNames?.[c] ?? String(c),
        size + 28,
        top + i * 16 + 2,
        2,
        [30, 30, 30],
      );
    });
  }
  return img;
}
