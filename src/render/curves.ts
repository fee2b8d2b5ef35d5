/**
 * Line plots for metric curves (deletion/insertion score against the fraction changed, MPRT ρ
 * against the layers randomized), drawn with the bitmap font like plots.ts: one polyline per
 * series in the shared palette, a legend, the axes' ends labelled; `ticks` names categorical x.
 */
import { drawText, GLYPH_H, textWidth } from './font.js';
import { blank, blit, type RgbaImage } from './image.js';
import { PALETTE } from './plots.js';

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

function dot(img: RgbaImage, x: number, y: number, rgb: readonly number[]): void {
  for (let dy = 0; dy < 2; dy++)
    for (let dx = 0; dx < 2; dx++) {
      const px = Math.round(x) + dx;
      const py = Math.round(y) + dy;
      if (px >= 0 && py >= 0 && px < img.width && py < img.height)
        img.data.set([rgb[0], rgb[1], rgb[2], 255], (py * img.width + px) * 4);
    }
}

function line(
  img: RgbaImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  rgb: readonly number[],
  dashed = false,
): void {
  const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
  for (let i = 0; i <= n; i++)
    if (!dashed || Math.floor(i / 4) % 2 === 0)
      dot(img, x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n, rgb);
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

export function linePlot(args: LinePlotArgs): RgbaImage {
  const s = 2;
  const left = 44;
  const top = 16 + GLYPH_H * s;
  const plotW = args.width ?? 320;
  const plotH = args.height ?? 200;
  const legendW = Math.max(0, ...args.series.map((x) => textWidth(x.label, s))) + 30;
  const img = blank(
    Math.max(left + plotW + legendW + 10, textWidth(args.title, s) + 20),
    Math.max(top + plotH + 28 + GLYPH_H * s * 2, top + args.series.length * 14 + 4),
  );
  drawText(img, args.title, 8, 6, s, [20, 20, 20]);
  const finite = args.series.flatMap((x) => x.values).filter(Number.isFinite);
  const [lo, hi] = args.yRange ?? [Math.min(0, ...finite), Math.max(...finite, 1e-9)];
  const span = hi - lo || 1;
  const x0 = args.xs[0];
  const xSpan = args.xs[args.xs.length - 1] - x0 || 1;
  const px = (x: number) => left + ((x - x0) / xSpan) * plotW;
  const py = (v: number) => top + plotH - ((v - lo) / span) * plotH;
  line(img, left, top, left, top + plotH, [60, 60, 60]);
  line(img, left, top + plotH, left + plotW, top + plotH, [60, 60, 60]);
  if (lo < 0 && hi > 0)
    for (let x = left; x < left + plotW; x += 6) dot(img, x, py(0), [150, 150, 150]);
  drawText(img, fmt(hi), 2, top, 1, [60, 60, 60]);
  drawText(img, fmt(lo), 2, top + plotH - GLYPH_H, 1, [60, 60, 60]);
  const ticks = args.ticks ?? [
    fmt(args.xs[0]),
    ...Array(Math.max(0, args.xs.length - 2)).fill(''),
    fmt(args.xs[args.xs.length - 1]),
  ];
  const tickScale = ticks.every(
    (t, i) => i === 0 || textWidth(t, 2) < px(args.xs[i]) - px(args.xs[i - 1]) - 4,
  )
    ? 2
    : 1;
  ticks.forEach((t, i) => {
    if (t)
      drawText(
        img,
        t,
        Math.max(
          0,
          Math.min(
            img.width - textWidth(t, tickScale) - 2,
            px(args.xs[i]) - textWidth(t, tickScale) / 2,
          ),
        ),
        top + plotH + 6,
        tickScale,
        [40, 40, 40],
      );
  });
  if (args.xLabel)
    drawText(
      img,
      args.xLabel,
      left + plotW / 2 - textWidth(args.xLabel, s) / 2,
      top + plotH + 20,
      s,
      [40, 40, 40],
    );
  args.series.forEach((ser, si) => {
    // Past the palette's ten colours, the colours come round again dashed.
    const rgb = PALETTE[si % PALETTE.length];
    const dashed = Math.floor(si / PALETTE.length) % 2 === 1;
    for (let i = 1; i < args.xs.length; i++) {
      if (Number.isFinite(ser.values[i - 1]) && Number.isFinite(ser.values[i]))
        line(
          img,
          px(args.xs[i - 1]),
          py(ser.values[i - 1]),
          px(args.xs[i]),
          py(ser.values[i]),
          rgb,
          dashed,
        );
    }
    const ly = top + si * 14;
    if (dashed)
      for (let j = 0; j < 3; j++)
        line(img, left + plotW + 14, ly + 2 + 3 * j, left + plotW + 24, ly + 2 + 3 * j, rgb, true);
    else
      for (let k = 0; k < 10; k++)
        for (let j = 0; j < 10; j++) dot(img, left + plotW + 16 + k, ly + j, rgb);
    drawText(img, ser.label, left + plotW + 30, ly, s, [30, 30, 30]);
  });
  return img;
}

/** Images side by side, tops aligned. */
export function sideBySide(images: readonly RgbaImage[], gap = 12): RgbaImage {
  const out = blank(
    images.reduce((w, im) => w + im.width + gap, -gap),
    Math.max(...images.map((im) => im.height)),
  );
  let x = 0;
  for (const im of images) {
    blit(out, im, x, 0);
    x += im.width + gap;
  }
  return out;
}
