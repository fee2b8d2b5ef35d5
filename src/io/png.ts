/** RgbaImage → PNG file, atomically. */
import type { RgbaImage } from '../render/image.js';
import { writeFileAtomic } from './atomic.js';
import { encodePng } from './image.js';

export async function pngBytes(img: RgbaImage): Promise<Buffer> {
  return encodePng(
    new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    img.width,
    img.height,
    4,
  );
}

export async function writePng(file: string, img: RgbaImage): Promise<void> {
  await writeFileAtomic(file, await pngBytes(img));
}
