/**
 * Figures to files (Node): the SVG document (text as text in DejaVu Sans, vector lines and bars,
 * tiles as embedded PNGs drawn pixelated) and the PNG, whose tiles and rectangles are the exact
 * pixels and whose text and lines librsvg (through sharp) draws over them from the same SVG marks,
 * so the PNG's labels are a real font at display size.
 */
import sharp from 'sharp';
import {
  figureSvg,
  PAPER,
  PIXEL_KINDS,
  rasterize,
  type Figure,
  type FigureOptions,
  type Mark,
} from '../render/figure.js';
import type { RgbaImage } from '../render/image.js';
import { encodePng } from './image.js';

const VECTOR_KINDS = new Set<Mark['kind']>(['text', 'line']);

const rawPng = (img: RgbaImage) =>
  encodePng(
    new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    img.width,
    img.height,
    4,
  );

/** The figure as a PNG: its pixels, then its text and lines drawn by librsvg. */
export async function figurePng(fig: Figure): Promise<Buffer> {
  const base = rasterize(fig, PIXEL_KINDS);
  const vectors = fig.marks.some((m) => VECTOR_KINDS.has(m.kind));
  const img = sharp(Buffer.from(base.data.buffer, base.data.byteOffset, base.data.byteLength), {
    raw: { width: base.width, height: base.height, channels: 4 },
  });
  if (vectors)
    img.composite([
      { input: Buffer.from(figureSvg(fig, () => '', VECTOR_KINDS, false)), top: 0, left: 0 },
    ]);
  return img.png({ compressionLevel: 6 }).toBuffer();
}

/** The figure as a standalone SVG document (tiles embedded as PNG data URIs). */
export async function figureSvgText(fig: Figure): Promise<string> {
  const urls = new Map<RgbaImage, string>();
  for (const m of fig.marks)
    if (m.kind === 'image' && !urls.has(m.image))
      urls.set(m.image, `data:image/png;base64,${(await rawPng(m.image)).toString('base64')}`);
  return figureSvg(fig, (img) => urls.get(img)!);
}

/** An image that carries a figure, as PNG bytes and SVG text laid out for `o`; null for plain pixels. */
export async function figureFiles(
  img: RgbaImage,
  o: FigureOptions = PAPER,
): Promise<{ png: Buffer; svg: string } | null> {
  if (!img.figure) return null;
  const fig = img.figure(o);
  return { png: await figurePng(fig), svg: await figureSvgText(fig) };
}
