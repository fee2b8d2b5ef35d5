/** RgbaImages (the library's pure pictures) onto canvases. */
import type { RgbaImage } from '../../../src/index.js';

export function drawImage(canvas: HTMLCanvasElement, img: RgbaImage): void {
  if (canvas.width !== img.width || canvas.height !== img.height) {
    canvas.width = img.width;
    canvas.height = img.height;
  }
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page has no #${id}`);
  return el;
}

export const $canvas = (id: string) => $(id) as HTMLCanvasElement;
export const $input = (id: string) => $(id) as HTMLInputElement;
export const $button = (id: string) => $(id) as HTMLButtonElement;

/** A range input and its <output> stay in step. */
export function slider(id: string): () => number {
  const input = $input(id);
  const out = document.getElementById(`${id}-out`);
  const sync = () => out && (out.textContent = input.value);
  input.addEventListener('input', sync);
  sync();
  return () => Number(input.value);
}

/** Bilinear upsampling of a [h, w] map to [H, W] (the activation map over the input). */
export function upsample(map: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const fy = h === 1 ? 0 : (y * (h - 1)) / Math.max(1, H - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = w === 1 ? 0 : (x * (w - 1)) / Math.max(1, W - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      const top = map[y0 * w + x0] * (1 - tx) + map[y0 * w + x1] * tx;
      const bottom = map[y1 * w + x0] * (1 - tx) + map[y1 * w + x1] * tx;
      out[y * W + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}
