/**
 * Image files ↔ pixels through sharp. Decoding resizes (cover + centre crop) to the model's H×W and
 * converts to its channel count; values come back in [0, 1]. The resize happens inside sharp's
 * decoding pipeline (libvips streams the rows; JPEG and WebP shrink on load), so a 16000×16000 PNG
 * never becomes 4 GB of floats; without a target the result is capped at MAX_DECODED_PIXELS.
 */
import sharp from 'sharp';
import { DeepvisError } from '../errors.js';
import { readRegular } from './fence.js';

/** Largest image file read (bytes): a compressed image past this is past the pixel limit anyway. */
export const MAX_IMAGE_FILE = 1 << 30;

/** A path is opened non-blocking and must be a regular file (a FIFO named x.png would hang libvips). */
const opened = async (file: string | Uint8Array): Promise<Uint8Array | Buffer> =>
  typeof file === 'string' ? readRegular(file, 'image', { maxBytes: MAX_IMAGE_FILE }) : file;

export interface Pixels {
  data: Float32Array;
  shape: [number, number, number];
}

/** Largest image sharp is asked to open (its own default): about 268 megapixels. */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;
/** Largest image handed back as floats when no target size is given (4096×4096). */
export const MAX_DECODED_PIXELS = 4096 * 4096;

/** Width and height from the file's header, without decoding its pixels. */
export async function probeImage(
  file: string | Uint8Array,
): Promise<{ width: number; height: number }> {
  const name = typeof file === 'string' ? file : 'image data';
  try {
    const m = await sharp(await opened(file), { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    if (!m.width || !m.height) throw new Error('no image size in its header');
    if (m.width * m.height > MAX_INPUT_PIXELS)
      throw new Error(
        `${m.width}×${m.height} is past the limit of ${Math.round(MAX_INPUT_PIXELS / 1e6)} megapixels`,
      );
    return { width: m.width, height: m.height };
  } catch (e) {
    if (e instanceof DeepvisError) throw e;
    throw new DeepvisError(`cannot read image ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** How an input file was made to fit the model: what a user needs told (and the JSON records). */
export interface InputFit {
  /** The file's width, height and channels. */
  readonly from: readonly [number, number, number];
  /** The model's width, height and channels. */
  readonly to: readonly [number, number, number];
  /** 'cover': scaled to fill and centre-cropped; 'pad': scaled to fit and padded with black. */
  readonly fit: 'cover' | 'pad';
  /** Share of the scaled image cut away (cover) or of the input left as padding (pad). */
  readonly lost: number;
  readonly colour: 'colour to grey' | 'grey to colour' | null;
}

/** How `decodeImage` fits an image to the model: crop to fill (default) or pad to keep it whole. */
export type FitMode = 'cover' | 'pad';

/** "photo.jpg: 2048×1536 colour resized to 64×64, centre-cropped (25% of it cut), converted to grey", or null when nothing changed. */
export function describeFit(name: string, f: InputFit): string | null {
  const [w0, h0] = f.from;
  const [w, h] = f.to;
  const parts: string[] = [];
  if (w0 !== w || h0 !== h) parts.push(`resized from ${w0}×${h0} to ${w}×${h}`);
  if (f.lost > 0.005)
    parts.push(
      f.fit === 'cover'
        ? `centre-cropped to the model's aspect (${(100 * f.lost).toFixed(0)}% cut; --fit pad keeps it whole)`
        : `padded with black to the model's aspect (${(100 * f.lost).toFixed(0)}% of the input)`,
    );
  if (f.colour) parts.push(`converted from ${f.colour}`);
  return parts.length ? `${name}: ${parts.join(', ')}` : null;
}

export async function decodeImage(
  file: string | Uint8Array,
  target?: { height: number; width: number; channels: number },
  fitMode: FitMode = 'cover',
): Promise<Pixels & { fit?: InputFit }> {
  const name = typeof file === 'string' ? file : 'image data';
  try {
    let img = sharp(await opened(file), {
      limitInputPixels: MAX_INPUT_PIXELS,
      sequentialRead: true,
    }).removeAlpha();
    let fit: InputFit | undefined;
    if (!target) {
      const side = Math.floor(Math.sqrt(MAX_DECODED_PIXELS));
      img = img.resize(side, side, { fit: 'inside', withoutEnlargement: true });
    } else {
      const m = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
      const w0 = m.width ?? target.width,
        h0 = m.height ?? target.height;
      const c0 = m.channels === 1 || m.channels === 2 || m.space === 'b-w' ? 1 : 3;
      const a0 = w0 / h0,
        a = target.width / target.height;
      fit = {
        from: [w0, h0, c0],
        to: [target.width, target.height, target.channels],
        fit: fitMode,
        lost: 1 - Math.min(a0, a) / Math.max(a0, a),
        colour: c0 === target.channels ? null : c0 === 1 ? 'grey to colour' : 'colour to grey',
      };
      img = img.resize(
        target.width,
        target.height,
        fitMode === 'pad'
          ? { fit: 'contain', position: 'centre', background: { r: 0, g: 0, b: 0 } }
          : { fit: 'cover', position: 'centre' },
      );
      img = target.channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    }
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    let channels: number = info.channels;
    let bytes = data;
    if (target && channels !== target.channels) {
      // grayscale() can still hand back 3 channels for some inputs: keep the first.
      const n = info.width * info.height;
      const out = Buffer.alloc(n * target.channels);
      for (let i = 0; i < n; i++)
        for (let c = 0; c < target.channels; c++)
          out[i * target.channels + c] = data[i * channels + Math.min(c, channels - 1)];
      bytes = out;
      channels = target.channels;
    }
    const f = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) f[i] = bytes[i] / 255;
    return { data: f, shape: [info.height, info.width, channels], ...(fit ? { fit } : {}) };
  } catch (e) {
    if (e instanceof DeepvisError) throw e;
    throw new DeepvisError(`cannot read image ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Encodes RGBA or gray bytes as PNG. */
export async function encodePng(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
): Promise<Buffer> {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width, height, channels },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
