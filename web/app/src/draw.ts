/** RgbaImages (the library's pure pictures) onto canvases. */
import type { RgbaImage } from '../../../src/index.js';

export function drawImage(canvas: HTMLCanvasElement, img: RgbaImage): void {
  if (canvas.width !== img.width || canvas.height !== img.height) {
    canvas.width = img.width;
    canvas.height = img.height;
    fitPixels(canvas);
  } else if (canvas.dataset.unfit) fitPixels(canvas);
  canvas
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
}

/**
 * Canvases marked data-fit="<largest CSS width>" (or "auto": the container's width) are shown at a
 * whole number of device pixels per image pixel, the largest that fits: a fractional stretch
 * (2.66×) smears pixelated tiles. A picture too wide even at 1× is scaled down to fit.
 */
export function fitPixels(canvas: HTMLCanvasElement): void {
  const spec = canvas.dataset.fit;
  if (!spec || !canvas.width) return;
  const dpr = window.devicePixelRatio || 1;
  // A fixed size is capped by the panel, not by the figure around the canvas: a figure shrinks to its
  // content, so measuring it would shrink the picture a little more at every redraw.
  const box = spec === 'auto' ? canvas.parentElement : canvas.closest('section');
  // A hidden panel has no width to measure: fit at the next draw, once it shows.
  if (!box || box.clientWidth === 0) {
    canvas.dataset.unfit = 'true';
    return;
  }
  delete canvas.dataset.unfit;
  const room = roomFor(canvas, box);
  const limit = spec === 'auto' ? room : Math.min(room, Number(spec));
  const cap = Number(canvas.dataset.maxScale ?? 12);
  const k = Math.min(cap, Math.floor((limit * dpr) / canvas.width));
  if (k >= 1) {
    canvas.style.width = `${(canvas.width * k) / dpr}px`;
    canvas.style.height = `${(canvas.height * k) / dpr}px`;
  } else {
    canvas.style.width = `${limit}px`;
    canvas.style.height = 'auto';
  }
}

/** CSS pixels available to a canvas: its container's content width, less the canvas's border. */
export function roomFor(
  canvas: HTMLCanvasElement,
  parent: HTMLElement | null = canvas.parentElement,
): number {
  if (!parent) return canvas.width;
  const cs = getComputedStyle(parent);
  return Math.max(
    1,
    parent.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 2,
  );
}

let fitting = false;
/** Re-fits every marked canvas when the window (or the device pixel ratio) changes. */
export function fitOnResize(): void {
  if (fitting) return;
  fitting = true;
  window.addEventListener('resize', () =>
    document.querySelectorAll<HTMLCanvasElement>('canvas[data-fit]').forEach(fitPixels),
  );
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
export function upsample(
  map: ArrayLike<number>,
  h: number,
  w: number,
  H: number,
  W: number,
): Float32Array {
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
