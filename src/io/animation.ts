/** Animated GIF from RGBA frames of one size (DeepDream's zoom), through sharp. */
import sharp from 'sharp';
import { DeepvisError } from '../errors.js';
import type { RgbaImage } from '../render/image.js';

export async function animatedGif(frames: readonly RgbaImage[], delayMs = 100): Promise<Buffer> {
  if (frames.length === 0) throw new DeepvisError('no frames to animate');
  const { width, height } = frames[0];
  if (frames.some((f) => f.width !== width || f.height !== height))
    throw new DeepvisError('animation frames differ in size');
  const joined = Buffer.concat(
    frames.map((f) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)),
  );
  // A tall image of stacked frames, cut into pages of `height` rows.
  return sharp(joined, {
    raw: { width, height: height * frames.length, channels: 4, pageHeight: height } as never,
  })
    .gif({ loop: 0, delay: Array(frames.length).fill(delayMs) })
    .toBuffer();
}
