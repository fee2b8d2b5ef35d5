/**
 * Image files ↔ pixels through sharp. Decoding resizes (cover + centre crop) to the model's H×W and
 * converts to its channel count; values come back in [0, 1].
 */
import sharp from 'sharp';
import { DeepvisError } from '../errors.js';

export interface Pixels {
  data: Float32Array;
  shape: [number, number, number];
}

export async function decodeImage(
  file: string | Uint8Array,
  target?: { height: number; width: number; channels: number },
): Promise<Pixels> {
  const name = typeof file === 'string' ? file : 'image data';
  try {
    let img = sharp(file).removeAlpha();
    if (target) {
      img = img.resize(target.width, target.height, { fit: 'cover', position: 'centre' });
      img = target.channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    }
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    let channels: number = info.channels;
    let bytes = data;
    if (target && channels !== target.channels) {
      // grayscale() can still hand back 3 channels for some inputs: keep the first.
      const n = info.width * info.height;
      const out = Buffer.alloc(n * target.channels);
      for (let i = 0; i < n; i++) for (let c = 0; c < target.channels; c++) out[i * target.channels + c] = data[i * channels + Math.min(c, channels - 1)];
      bytes = out;
      channels = target.channels;
    }
    const f = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) f[i] = bytes[i] / 255;
    return { data: f, shape: [info.height, info.width, channels] };
  } catch (e) {
    throw new DeepvisError(`cannot read image ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Encodes RGBA or gray bytes as PNG. */
export async function encodePng(data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4): Promise<Buffer> {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
