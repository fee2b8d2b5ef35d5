/**
 * The charts the analyses need, as figures (render/figure.ts): vector bars, lines and text in the
 * SVG and PNG a command writes, the bitmap font in the RgbaImage the browser draws. Grouped bars,
 * a labelled heatmap, and a scatter of thumbnails coloured by label; the axes (nice ticks, light
 * grid lines) and the legend are shared with the line plots (curves.ts).
 */
import { picture, type Figure, type Mark, type Rgb } from './figure.js';
import type { RgbaImage } from './image.js';
import { fitText, LABEL_SIZE, LINE, measureText, TITLE_SIZE } from './text.js';

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

export const INK: Rgb = [30, 30, 30];
const AXIS: Rgb = [90, 90, 90];
const GRID: Rgb = [225, 225, 225];
const TICK = 11;

export const fmt = (v: number) =>
  Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

/** About `n` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    ticks.push(Math.abs(v) < 1e-12 * step ? 0 : +v.toPrecision(12));
  return ticks;
}

/** A title wrapped to `width`, from (x, y); returns its marks and height. */
export function titleBlock(title: string, width: number, x: number, y: number) {
  const lines = fitText(title, width, TITLE_SIZE, 1e6, true).lines;
  const marks: Mark[] = lines.map((text, i) => ({
    kind: 'text',
    x,
    y: y + i * LINE * TITLE_SIZE,
    text,
    size: TITLE_SIZE,
    bold: true,
    fill: [20, 20, 20],
  }));
  return { marks, height: lines.length * LINE * TITLE_SIZE };
}

/** Tick values with as many decimals as their step needs ("0", "0.5", "1.0"). */
export function tickLabels(ticks: readonly number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(ticks[0]) || 1;
  const big = Math.max(...ticks.map(Math.abs));
  if (big >= 1e5 || (big > 0 && big < 1e-3))
    return ticks.map((t) => (t === 0 ? '0' : t.toExponential(1)));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return ticks.map((t) => (t === 0 ? '0' : t.toFixed(decimals)));
}

/** Width of the y tick labels of [lo, hi]. */
export const yLabelWidth = (lo: number, hi: number) =>
  Math.max(...tickLabels(niceTicks(lo, hi)).map((t) => measureText(t, TICK))) + 8;

/** An axis-aligned 1 px line as a rectangle: pixels in the PNG, drawn in order under the bars. */
export const hairline = (x0: number, y0: number, x1: number, y1: number, fill: Rgb): Mark => ({
  kind: 'rect',
  x: Math.round(Math.min(x0, x1)),
  y: Math.round(Math.min(y0, y1)),
  w: Math.max(1, Math.round(Math.abs(x1 - x0))),
  h: Math.max(1, Math.round(Math.abs(y1 - y0))),
  fill,
});

/** The y axis of a plot box (x0, y0, w, h) over [lo, hi]: grid lines, ticks and their values. */
export function yAxis(
  marks: Mark[],
  box: { x: number; y: number; w: number; h: number },
  lo: number,
  hi: number,
): (v: number) => number {
  const yOf = (v: number) => box.y + box.h - ((v - lo) / (hi - lo || 1)) * box.h;
  const ticks = niceTicks(lo, hi);
  const labels = tickLabels(ticks);
  ticks.forEach((t, i) => {
    const y = yOf(t);
    marks.push(hairline(box.x, y, box.x + box.w, y, GRID));
    marks.push({
      kind: 'text',
      x: box.x - 5,
      y: y - (LINE * TICK) / 2,
      text: labels[i],
      size: TICK,
      anchor: 'end',
      fill: AXIS,
    });
  });
  marks.push(hairline(box.x - 1, box.y, box.x, box.y + box.h + 1, AXIS));
  return yOf;
}

export interface LegendEntry {
  readonly label: string;
  readonly colour: Rgb;
  /** A line sample (dashed when `dash`) instead of a filled square. */
  readonly line?: boolean;
  readonly dash?: number;
}

/** A legend's width (up to `max`, longer labels wrap). */
export const legendWidth = (entries: readonly LegendEntry[], max = 220) =>
  entries.length
    ? Math.min(max, Math.max(...entries.map((e) => measureText(e.label, LABEL_SIZE)))) + 26
    : 0;

/** A legend from (x, y), one entry a row (a long label wraps); returns its height. */
export function legend(
  marks: Mark[],
  entries: readonly LegendEntry[],
  x: number,
  y: number,
  max = 220,
): number {
  let at = y;
  for (const e of entries) {
    const mid = at + (LINE * LABEL_SIZE) / 2;
    if (e.line)
      marks.push({
        kind: 'line',
        points: [
          [x, mid],
          [x + 18, mid],
        ],
        stroke: e.colour,
        width: 2,
        dash: e.dash,
      });
    else marks.push({ kind: 'rect', x: x + 3, y: mid - 6, w: 12, h: 12, fill: e.colour });
    const lines = fitText(e.label, max, LABEL_SIZE, 3).lines;
    lines.forEach((text, i) =>
      marks.push({
        kind: 'text',
        x: x + 24,
        y: at + i * LINE * LABEL_SIZE,
        text,
        size: LABEL_SIZE,
        fill: INK,
        full: e.label,
      }),
    );
    at += lines.length * LINE * LABEL_SIZE + 3;
  }
  return at - y;
}

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

const LINE_COLOURS: readonly Rgb[] = [
  [0, 0, 0],
  [200, 0, 0],
  [0, 110, 0],
];

export function barChartFigure(args: BarChartArgs): Figure {
  const pad = 10;
  // Past 40 groups (an ImageNet profile) bars are thin and every k-th group is named.
  const many = args.groups.length > 40;
  const every = many ? Math.ceil(args.groups.length / 40) : 1;
  const bar = many ? 2 : Math.max(8, Math.floor(48 / args.series.length));
  const names = args.groups.map((g) => measureText(g, LABEL_SIZE));
  // A group is as wide as its bars, or as its name up to 84 px (longer names wrap, then abbreviate).
  const groupW = many
    ? bar * args.series.length + 1
    : Math.max(bar * args.series.length + 12, Math.min(Math.max(0, ...names) + 8, 84));
  const nameFits = args.groups.map((g, i) =>
    i % every === 0
      ? fitText(g, every * groupW - 4, LABEL_SIZE, many ? 1 : 3)
      : { lines: [], abbreviated: false },
  );
  const nameLines = Math.max(1, ...nameFits.map((f) => f.lines.length));
  const all = [
    ...args.series.flatMap((x) => x.values),
    ...(args.lines ?? []).map((l) => l.value),
    0,
  ];
  const ticks = niceTicks(Math.min(...all), Math.max(...all));
  const [lo, hi] = [Math.min(ticks[0], ...all), Math.max(ticks[ticks.length - 1], ...all)];
  const left = pad + yLabelWidth(lo, hi);
  const plotW = args.groups.length * groupW;
  const plotH = args.height ?? 180;
  const entries: LegendEntry[] = [
    ...args.series.map((s, i) => ({ label: s.label, colour: PALETTE[i % PALETTE.length] })),
    ...(args.lines ?? []).map((l, i) => ({
      label: `${l.label} (${fmt(l.value)})`,
      colour: LINE_COLOURS[i % LINE_COLOURS.length],
      line: true,
      dash: 5,
    })),
  ];
  const width = Math.ceil(
    Math.max(
      left + plotW + 16 + legendWidth(entries) + pad,
      Math.min(measureText(args.title, TITLE_SIZE, true), 700) + 2 * pad,
    ),
  );
  const marks: Mark[] = [];
  const t = titleBlock(args.title, width - 2 * pad, pad, 6);
  marks.push(...t.marks);
  const top = 6 + t.height + 12;
  const yOf = yAxis(marks, { x: left, y: top, w: plotW, h: plotH }, lo, hi);
  args.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - bar * args.series.length) / 2;
    args.series.forEach((ser, si) => {
      const v = ser.values[gi];
      const y0 = Math.min(yOf(v), yOf(0));
      marks.push({
        kind: 'rect',
        x: gx + si * bar,
        y: y0,
        w: bar - 1,
        h: Math.max(1, Math.abs(yOf(v) - yOf(0))),
        fill: PALETTE[si % PALETTE.length],
      });
    });
    nameFits[gi].lines.forEach((text, k) =>
      marks.push({
        kind: 'text',
        x: left + gi * groupW + groupW / 2,
        y: top + plotH + 4 + k * LINE * LABEL_SIZE,
        text,
        size: LABEL_SIZE,
        anchor: 'middle',
        fill: INK,
        full: nameFits[gi].abbreviated ? g : undefined,
      }),
    );
  });
  marks.push(hairline(left, yOf(0), left + plotW, yOf(0), AXIS));
  (args.lines ?? []).forEach((l, i) =>
    marks.push({
      kind: 'line',
      points: [
        [left, yOf(l.value)],
        [left + plotW, yOf(l.value)],
      ],
      stroke: LINE_COLOURS[i % LINE_COLOURS.length],
      width: 1.5,
      dash: 5,
    }),
  );
  const legendH = legend(marks, entries, left + plotW + 16, top);
  return {
    width,
    height: Math.ceil(
      Math.max(top + plotH + 8 + nameLines * LINE * LABEL_SIZE, top + legendH) + pad,
    ),
    background: [255, 255, 255],
    marks,
  };
}

export function barChart(args: BarChartArgs): RgbaImage {
  return picture(() => barChartFigure(args), {});
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
  const layout = (): Figure => {
    const pad = 10;
    const cell = Math.max(args.cell ?? 14, 16);
    const rows = matrix.length;
    const cols = matrix[0]?.length ?? 0;
    const rowFits = args.rowLabels.map((l) => fitText(l, 160, TICK, 1));
    const left = pad + Math.max(8, ...rowFits.map((f) => measureText(f.lines[0] ?? '', TICK))) + 6;
    const every = cols > 24 ? Math.ceil(cols / 24) : 1;
    const colW = Math.max(...args.colLabels.map((l) => measureText(l, TICK)), 0);
    // Column labels stand above their cells; wider than a cell, only every few are written.
    const colEvery = Math.max(every, Math.ceil((colW + 4) / cell));
    const width = Math.ceil(
      Math.max(
        left + cols * cell + 80,
        Math.min(measureText(args.title, TITLE_SIZE, true), 700) + 2 * pad,
      ),
    );
    const marks: Mark[] = [];
    const t = titleBlock(args.title, width - 2 * pad, pad, 6);
    marks.push(...t.marks);
    const top = 6 + t.height + 8 + LINE * TICK;
    const flat = matrix.flat();
    const lo = Math.min(...flat);
    // One outlier cell must not wash out the rest: the colour scale tops out at the 98th percentile.
    const sorted = [...flat].sort((a, b) => a - b);
    const hi =
      sorted[Math.min(sorted.length - 1, Math.floor(0.98 * (sorted.length - 1)))] ||
      Math.max(...flat);
    const colour = (v: number): Rgb => {
      const u = hi > lo ? Math.max(0, Math.min(1, (v - lo) / (hi - lo))) : 0;
      return [255 - 105 * u, 255 - 235 * u, 255 - 235 * u];
    };
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++)
        marks.push({
          kind: 'rect',
          x: left + c * cell,
          y: top + r * cell,
          w: cell - 1,
          h: cell - 1,
          fill: colour(matrix[r][c]),
        });
      marks.push({
        kind: 'text',
        x: left - 6,
        y: top + r * cell + (cell - LINE * TICK) / 2,
        text: rowFits[r]?.lines[0] ?? '',
        size: TICK,
        anchor: 'end',
        fill: INK,
        full: rowFits[r]?.abbreviated ? args.rowLabels[r] : undefined,
      });
    }
    args.colLabels.forEach((l, c) => {
      if (c % colEvery !== 0) return;
      marks.push({
        kind: 'text',
        x: left + c * cell + cell / 2,
        y: top - LINE * TICK - 2,
        text: l,
        size: TICK,
        anchor: 'middle',
        fill: INK,
      });
    });
    let y = top + rows * cell + 6;
    for (const axis of [args.colAxis, args.rowAxis]) {
      if (!axis) continue;
      marks.push({ kind: 'text', x: left, y, text: axis, size: LABEL_SIZE, fill: INK });
      y += LINE * LABEL_SIZE;
    }
    // The colour scale: lowest to highest (the 98th percentile).
    const sx = left + cols * cell + 16;
    for (let k = 0; k < 10; k++)
      marks.push({
        kind: 'rect',
        x: sx,
        y: top + (9 - k) * 12,
        w: 14,
        h: 12,
        fill: colour(lo + ((hi - lo) * k) / 9),
      });
    marks.push({ kind: 'text', x: sx + 18, y: top - 4, text: fmt(hi), size: TICK, fill: AXIS });
    marks.push({
      kind: 'text',
      x: sx + 18,
      y: top + 120 - LINE * TICK + 4,
      text: fmt(lo),
      size: TICK,
      fill: AXIS,
    });
    return {
      width,
      height: Math.ceil(Math.max(y, top + 124) + pad),
      background: [255, 255, 255],
      marks,
    };
  };
  return picture(layout, {});
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
  const layout = (): Figure => {
    const size = args.size ?? 900;
    const margin = 20;
    const marks: Mark[] = [];
    const classes = labels ? [...new Set(labels)].sort((a, b) => a - b) : [];
    const entries = classes.map((c) => ({
      label: args.classNames?.[c] ?? String(c),
      colour: PALETTE[c % PALETTE.length],
    }));
    const width = size + (entries.length ? legendWidth(entries, 200) + 20 : 0);
    const t = titleBlock(args.title, width - 2 * margin, 8, 6);
    marks.push(...t.marks);
    const top = 6 + t.height + 10;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const tw = thumbs[0]?.width ?? 4;
    const th = thumbs[0]?.height ?? 4;
    points.forEach(([px, py], i) => {
      const x = Math.round(margin + ((px - x0) / (x1 - x0 || 1)) * (size - 2 * margin - tw));
      const y = Math.round(top + ((py - y0) / (y1 - y0 || 1)) * (size - 2 * margin - th));
      const colour = labels ? PALETTE[labels[i] % PALETTE.length] : ([40, 40, 40] as Rgb);
      const thumb = thumbs[i];
      if (args.tint === false) {
        marks.push({ kind: 'rect', x: x - 2, y: y - 2, w: tw + 4, h: th + 4, fill: colour });
        marks.push({ kind: 'image', x, y, image: thumb, factor: 1 });
        return;
      }
      // Ink in the label's colour, background white: digits stay legible and classes separable by eye.
      const tinted = {
        width: thumb.width,
        height: thumb.height,
        data: new Uint8ClampedArray(thumb.data.length),
      };
      for (let p = 0; p < thumb.width * thumb.height; p++) {
        const v = (thumb.data[p * 4] + thumb.data[p * 4 + 1] + thumb.data[p * 4 + 2]) / (3 * 255);
        for (let k = 0; k < 3; k++) tinted.data[p * 4 + k] = 255 - v * (255 - colour[k]);
        tinted.data[p * 4 + 3] = 255;
      }
      marks.push({ kind: 'rect', x: x - 1, y: y - 1, w: tw + 2, h: th + 2, fill: colour });
      marks.push({ kind: 'image', x, y, image: tinted, factor: 1 });
    });
    legend(marks, entries, size + 10, top, 200);
    return { width, height: size + top + margin, background: [255, 255, 255], marks };
  };
  return picture(layout, {});
}
