/**
 * Figures: a picture as marks (images upscaled nearest-neighbour, rectangles, lines, text at a
 * font size) laid out in pixels, so one layout gives both
 *   - an RgbaImage (`rasterize`: text in the bitmap font; what the browser draws, no fonts needed),
 *   - an SVG document (`figureSvg`: real text, vector lines; what a paper takes), and, in Node,
 *     a PNG with the same text drawn by librsvg (io/figure_file.ts).
 * A grid, a stack or a chart is returned as an RgbaImage that also carries `figure`: its layout for
 * given figure options (the `--scale` of the CLI), which every PNG writer uses when it is there.
 */
import { drawText, GLYPH_H } from './font.js';
import { blank, blit, upscale, type RgbaImage } from './image.js';
import { FONT_FAMILY, LINE } from './text.js';

export type Rgb = readonly [number, number, number];

export interface ImageMark {
  readonly kind: 'image';
  readonly x: number;
  readonly y: number;
  readonly image: RgbaImage;
  /** Nearest-neighbour upscaling factor (display size = image size × factor). */
  readonly factor: number;
}
export interface RectMark {
  readonly kind: 'rect';
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly fill: Rgb;
}
export interface LineMark {
  readonly kind: 'line';
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly stroke: Rgb;
  readonly width?: number;
  /** Dash length in px (gaps as long); solid when absent. */
  readonly dash?: number;
}
export interface TextMark {
  readonly kind: 'text';
  /** x of the anchor; y of the top of the line box (a line is LINE × size high). */
  readonly x: number;
  readonly y: number;
  readonly text: string;
  /** Font size in px. */
  readonly size: number;
  readonly fill?: Rgb;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly bold?: boolean;
  /** The whole text when `text` is abbreviated (the SVG's tooltip). */
  readonly full?: string;
}
export type Mark = ImageMark | RectMark | LineMark | TextMark;

export interface Figure {
  readonly width: number;
  readonly height: number;
  readonly background: Rgb;
  readonly marks: readonly Mark[];
}

/**
 * How a figure is laid out: `scale` an integer upscaling factor for every tile (1 = the model's
 * pixels), or 'auto': tiles upscaled (nearest) until at least `minTile` px wide.
 */
export interface FigureOptions {
  readonly scale?: number | 'auto';
  readonly minTile?: number;
}

/** What the CLI and the PNG writers use: tiles at least 128 px. */
export const PAPER: FigureOptions = { scale: 'auto', minTile: 128 };

/** The factor a tile `width` px wide is upscaled by; `hint` is the caller's own minimum tile size. */
export function tileFactor(width: number, o: FigureOptions, hint = 0): number {
  if (typeof o.scale === 'number') return Math.max(1, Math.round(o.scale));
  return Math.max(1, Math.ceil(Math.max(o.minTile ?? PAPER.minTile!, hint) / Math.max(1, width)));
}

/** An RgbaImage that carries its figure: `grid`, `stack` and the charts return these. */
export function picture(layout: (o: FigureOptions) => Figure, raster: FigureOptions): RgbaImage {
  const fig = layout(raster);
  return Object.assign(rasterize(fig), { figure: layout });
}

/** The figure of an image: its own when it carries one, else the image as one mark. */
export function figureOf(img: RgbaImage, o: FigureOptions): Figure {
  return (
    img.figure?.(o) ?? {
      width: img.width,
      height: img.height,
      background: [255, 255, 255],
      marks: [{ kind: 'image', x: 0, y: 0, image: img, factor: 1 }],
    }
  );
}

/** `fig`'s marks moved by (dx, dy). */
export function moved(fig: Figure, dx: number, dy: number): Mark[] {
  return fig.marks.map((m): Mark => {
    if (m.kind === 'line')
      return { ...m, points: m.points.map(([x, y]) => [x + dx, y + dy] as const) };
    return { ...m, x: m.x + dx, y: m.y + dy };
  });
}

/** Baseline of a text mark's line: DejaVu's ascent (0.93 em) below the top of the line box. */
const baseline = (m: TextMark) => m.y + ((LINE - 1.16) / 2 + 0.93) * m.size;

function fillRect(img: RgbaImage, x0: number, y0: number, w: number, h: number, rgb: Rgb): void {
  for (let y = Math.max(0, Math.round(y0)); y < Math.min(img.height, Math.round(y0 + h)); y++)
    for (let x = Math.max(0, Math.round(x0)); x < Math.min(img.width, Math.round(x0 + w)); x++)
      img.data.set([rgb[0], rgb[1], rgb[2], 255], (y * img.width + x) * 4);
}

function drawLine(img: RgbaImage, m: LineMark): void {
  const w = Math.max(1, Math.round(m.width ?? 1));
  let run = 0;
  for (let k = 1; k < m.points.length; k++) {
    const [x0, y0] = m.points[k - 1];
    const [x1, y1] = m.points[k];
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= n; i++, run++) {
      if (m.dash && Math.floor(run / m.dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / n;
      const y = y0 + ((y1 - y0) * i) / n;
      fillRect(img, x - (w - 1) / 2, y - (w - 1) / 2, w, w, m.stroke);
    }
  }
}

/** Marks of the given kinds drawn into `img` in order (text in the bitmap font). */
function drawMarks(img: RgbaImage, marks: readonly Mark[], kinds: ReadonlySet<Mark['kind']>) {
  for (const m of marks) {
    if (!kinds.has(m.kind)) continue;
    if (m.kind === 'image') blit(img, upscale(m.image, m.factor), Math.round(m.x), Math.round(m.y));
    else if (m.kind === 'rect') fillRect(img, m.x, m.y, m.w, m.h, m.fill);
    else if (m.kind === 'line') drawLine(img, m);
    else {
      const s = Math.max(1, Math.round(m.size / 7));
      const w = [...m.text].length * 4 * s - s;
      const x = m.anchor === 'middle' ? m.x - w / 2 : m.anchor === 'end' ? m.x - w : m.x;
      const y = m.y + (LINE * m.size - GLYPH_H * s) / 2;
      drawText(img, m.text, Math.round(x), Math.round(y), s, [
        ...(m.fill ?? [30, 30, 30]),
      ] as never);
    }
  }
}

const ALL = new Set<Mark['kind']>(['image', 'rect', 'line', 'text']);
/** What the PNG writer draws as pixels; the rest (text, lines) it draws as vectors over them. */
export const PIXEL_KINDS = new Set<Mark['kind']>(['image', 'rect']);

/** The figure as pixels, text in the bitmap font (no fonts, the same in Node and the browser). */
export function rasterize(fig: Figure, kinds: ReadonlySet<Mark['kind']> = ALL): RgbaImage {
  const img = blank(Math.ceil(fig.width), Math.ceil(fig.height), [...fig.background] as never);
  drawMarks(img, fig.marks, kinds);
  return img;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const rgb = (c: Rgb) => `rgb(${c[0]},${c[1]},${c[2]})`;
const num = (v: number) => String(+v.toFixed(2));

/**
 * The figure as an SVG document. `href` gives an image mark's picture as a URL (a PNG data URI
 * in Node); images are drawn at their display size with nearest-neighbour upscaling.
 * `kinds` limits the marks drawn (the PNG writer draws only text and lines this way).
 */
export function figureSvg(
  fig: Figure,
  href: (img: RgbaImage) => string,
  kinds: ReadonlySet<Mark['kind']> = ALL,
  background = true,
): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${Math.ceil(fig.width)}" height="${Math.ceil(fig.height)}" viewBox="0 0 ${Math.ceil(fig.width)} ${Math.ceil(fig.height)}" font-family="${esc(FONT_FAMILY)}">`,
  ];
  if (background) out.push(`<rect width="100%" height="100%" fill="${rgb(fig.background)}"/>`);
  for (const m of fig.marks) {
    if (!kinds.has(m.kind)) continue;
    if (m.kind === 'image') {
      const url = href(m.image);
      out.push(
        `<image x="${num(m.x)}" y="${num(m.y)}" width="${m.image.width * m.factor}" height="${m.image.height * m.factor}" preserveAspectRatio="none" image-rendering="pixelated" style="image-rendering:pixelated;image-rendering:crisp-edges" xlink:href="${url}" href="${url}"/>`,
      );
    } else if (m.kind === 'rect')
      out.push(
        `<rect x="${num(m.x)}" y="${num(m.y)}" width="${num(m.w)}" height="${num(m.h)}" fill="${rgb(m.fill)}"/>`,
      );
    else if (m.kind === 'line')
      out.push(
        `<polyline points="${m.points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" fill="none" stroke="${rgb(m.stroke)}" stroke-width="${m.width ?? 1}"${m.dash ? ` stroke-dasharray="${m.dash}"` : ''}/>`,
      );
    else {
      const anchor = m.anchor && m.anchor !== 'start' ? ` text-anchor="${m.anchor}"` : '';
      const weight = m.bold ? ' font-weight="bold"' : '';
      const tip = m.full && m.full !== m.text ? `<title>${esc(m.full)}</title>` : '';
      out.push(
        `<text x="${num(m.x)}" y="${num(baseline(m))}" font-size="${m.size}"${anchor}${weight} fill="${rgb(m.fill ?? [30, 30, 30])}">${tip}${esc(m.text)}</text>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
