/**
 * Line plots for metric curves (deletion/insertion score against the fraction changed, MPRT ρ
 * against the layers randomized), as figures like plots.ts (vector lines and text in the SVG and
 * PNG, one axis and legend mechanism): one polyline per series in the shared palette (past ten
 * series the colours come round again dashed), a legend, y ticks; `ticks` names categorical x.
 */
import { picture, type Figure, type Mark } from './figure.js';
import type { RgbaImage } from './image.js';
import {
  fmt,
  hairline,
  INK,
  legend,
  legendWidth,
  PALETTE,
  titleBlock,
  yAxis,
  yLabelWidth,
  type LegendEntry,
} from './plots.js';
import { fitText, LABEL_SIZE, LINE, measureText, TITLE_SIZE } from './text.js';

export { sideBySide } from './grid.js';

export interface LinePlotArgs {
  readonly title: string;
  readonly xs: readonly number[];
  readonly series: ReadonlyArray<{ readonly label: string; readonly values: readonly number[] }>;
  readonly xLabel?: string;
  /** Labels under each x (categorical axes); default the first and last x. */
  readonly ticks?: readonly string[];
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

const TICK = 11;

export function linePlotFigure(args: LinePlotArgs): Figure {
  const pad = 10;
  const finite = args.series.flatMap((x) => x.values).filter(Number.isFinite);
  const [lo, hi] = args.yRange ?? [Math.min(0, ...finite), Math.max(...finite, 1e-9)];
  const left = pad + yLabelWidth(lo, hi);
  const plotW = args.width ?? 340;
  const plotH = args.height ?? 210;
  const entries: LegendEntry[] = args.series.map((s, i) => ({
    label: s.label,
    colour: PALETTE[i % PALETTE.length],
    line: true,
    dash: Math.floor(i / PALETTE.length) % 2 === 1 ? 4 : undefined,
  }));
  const width = Math.ceil(
    Math.max(
      left + plotW + 16 + legendWidth(entries, 200) + pad,
      Math.min(measureText(args.title, TITLE_SIZE, true), 600) + 2 * pad,
    ),
  );
  const marks: Mark[] = [];
  const t = titleBlock(args.title, width - 2 * pad, pad, 6);
  marks.push(...t.marks);
  const top = 6 + t.height + 12;
  const py = yAxis(marks, { x: left, y: top, w: plotW, h: plotH }, lo, hi);
  const x0 = args.xs[0];
  const xSpan = args.xs[args.xs.length - 1] - x0 || 1;
  const px = (x: number) => left + ((x - x0) / xSpan) * plotW;
  marks.push(hairline(left, top + plotH, left + plotW, top + plotH + 1, [90, 90, 90]));
  const ticks = args.ticks ?? [
    fmt(args.xs[0]),
    ...Array(Math.max(0, args.xs.length - 2)).fill(''),
    fmt(args.xs[args.xs.length - 1]),
  ];
  // Categorical ticks share the room between their x's; a long one wraps onto up to 3 lines.
  // Closer than 44 px, only every k-th is written.
  const room = args.xs.length > 1 ? plotW / (args.xs.length - 1) : plotW;
  const every = args.ticks ? Math.max(1, Math.ceil(44 / room)) : 1;
  let tickLines = 1;
  ticks.forEach((text, i) => {
    if (!text || i % every !== 0) return;
    const f = fitText(text, Math.max(every * room - 4, 40), TICK, 3);
    tickLines = Math.max(tickLines, f.lines.length);
    f.lines.forEach((line, k) =>
      marks.push({
        kind: 'text',
        x: px(args.xs[i]),
        y: top + plotH + 4 + k * LINE * TICK,
        text: line,
        size: TICK,
        anchor:
          i === 0 && !args.ticks
            ? 'start'
            : i === ticks.length - 1 && !args.ticks
              ? 'end'
              : 'middle',
        fill: INK,
        full: f.abbreviated ? text : undefined,
      }),
    );
  });
  let bottom = top + plotH + 4 + tickLines * LINE * TICK;
  if (args.xLabel) {
    marks.push({
      kind: 'text',
      x: left + plotW / 2,
      y: bottom + 2,
      text: args.xLabel,
      size: LABEL_SIZE,
      anchor: 'middle',
      fill: INK,
    });
    bottom += 2 + LINE * LABEL_SIZE;
  }
  args.series.forEach((ser, si) => {
    // A series is drawn as runs of finite values (a gap where a value is missing).
    let run: Array<readonly [number, number]> = [];
    const flush = () => {
      if (run.length > 1)
        marks.push({
          kind: 'line',
          points: run,
          stroke: entries[si].colour,
          width: 2,
          dash: entries[si].dash,
        });
      run = [];
    };
    args.xs.forEach((x, i) => {
      if (Number.isFinite(ser.values[i])) run.push([px(x), py(ser.values[i])]);
      else flush();
    });
    flush();
  });
  const legendH = legend(marks, entries, left + plotW + 16, top, 200);
  return {
    width,
    height: Math.ceil(Math.max(bottom, top + legendH) + pad),
    background: [255, 255, 255],
    marks,
  };
}

export function linePlot(args: LinePlotArgs): RgbaImage {
  return picture(() => linePlotFigure(args), {});
}
