/** RgbaImage → PNG file, atomically; a grid or chart (an image carrying its figure) with real-font text. */
import { PAPER, type FigureOptions } from '../render/figure.js';
import type { RgbaImage } from '../render/image.js';
import { writeFileAtomic } from './atomic.js';
import { figurePng } from './figure_file.js';
import { encodePng } from './image.js';

/** PNG bytes of `img`; one that carries a figure is laid out for `o` (default: tiles ≥ 128 px). */
export async function pngBytes(img: RgbaImage, o: FigureOptions = PAPER): Promise<Buffer> {
  if (img.figure) return figurePng(img.figure(o));
  return encodePng(
    new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    img.width,
    img.height,
    4,
  );
}

export async function writePng(file: string, img: RgbaImage, o?: FigureOptions): Promise<void> {
  await writeFileAtomic(file, await pngBytes(img, o));
}
