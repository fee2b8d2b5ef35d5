/**
 * RISE (Petsiuk et al. 2018), with Xplique's defaults: 4,000 random masks, each a 7×7 grid of cells
 * kept with probability 0.5, upsampled bilinearly to (7 + 1)·⌈H/7⌉ and cropped at a random shift
 * (the paper's code: smooth masks not aligned to the grid); the masked image blends toward the
 * model's neutral value. The map is the mask-weighted mean score, Σ f(x ⊙ M) M / Σ M (Xplique's
 * normalization), less its minimum: every pixel carries the mean score, and the map's message is
 * what rises above that floor (RISE's pictures are drawn so). Masks are drawn from the seed and
 * built a chunk at a time.
 */
import { Rng } from '../engine/rng.js';
import { forwardBatch } from './chunks.js';
import { perImage } from './black_box.js';
import { defineAttribution } from './method.js';

export const RISE_DEFAULTS = { masks: 4000, grid: 7, keep: 0.5 } as const;

/** Bilinear taps along one axis: output pixel i of a shifted, upsampled grid of g cells (up pixels) samples cells i0, i1 with weight (1 − f, f). */
function axisTaps(
  size: number,
  g: number,
  up: number,
  shift: number,
): Array<[number, number, number]> {
  return Array.from({ length: size }, (_, i) => {
    const src = ((i + shift + 0.5) * g) / up - 0.5;
    const i0 = Math.floor(src);
    const f = src - i0;
    return [Math.min(g - 1, Math.max(0, i0)), Math.min(g - 1, Math.max(0, i0 + 1)), f];
  });
}

export const riseMethod = defineAttribution({
  name: 'rise',
  idea: "Thousands of random coarse masks (7×7 cells, each kept with probability 0.5, upsampled) dim parts of the image, and each pixel's importance is the mean target score over the masks that kept it. It needs only forward passes, so it explains any model, at the price of many of them.",
  title: 'RISE',
  short: 'RISE',
  paper: 'Petsiuk et al. 2018',
  summary: 'the mean score under random smooth masks, weighted by each mask',
  signed: false,
  display: 'heat',
  access: 'forward',
  options: {
    masks: {
      type: 'int',
      min: 1,
      help: 'random masks per image (Xplique: 4000)',
      default: RISE_DEFAULTS.masks,
    },
    grid: {
      type: 'int',
      min: 1,
      help: 'cells per side of a mask (Xplique: 7)',
      default: RISE_DEFAULTS.grid,
    },
    keep: {
      type: 'number',
      help: 'probability that a cell is kept (Xplique: 0.5)',
      default: RISE_DEFAULTS.keep,
    },
  },
  footprint: (o) => ({
    bytes: o.masks * (o.grid ** 2 + 16),
    what: `with ${o.masks} masks of ${o.grid}×${o.grid}`,
    lower: 'fewer --masks',
  }),
  explain: (ctx) =>
    perImage(ctx, (job) => {
      const { masks, grid: g, keep } = ctx.options;
      const { h, w, c, pixels, base } = job;
      const rng = new Rng(ctx.seed);
      const cells = Uint8Array.from({ length: masks * g * g }, () => (rng.next() < keep ? 1 : 0));
      const [cy, cx] = [Math.ceil(h / g), Math.ceil(w / g)];
      const shifts = Array.from({ length: masks }, () => [rng.int(cy), rng.int(cx)]);
      const num = new Float64Array(h * w);
      const den = new Float64Array(h * w);
      const chunk = ctx.maxBatch ?? forwardBatch(ctx.model, ctx.target.layer.name);
      for (let from = 0; from < masks; from += chunk) {
        const rows = Math.min(chunk, masks - from);
        const m = new Float32Array(rows * h * w);
        for (let r = 0; r < rows; r++) {
          const k = from + r;
          const [ty, tx] = [
            axisTaps(h, g, (g + 1) * cy, shifts[k][0]),
            axisTaps(w, g, (g + 1) * cx, shifts[k][1]),
          ];
          const cell = (i: number, j: number) => cells[k * g * g + i * g + j];
          for (let y = 0; y < h; y++) {
            const [y0, y1, fy] = ty[y];
            for (let x = 0; x < w; x++) {
              const [x0, x1, fx] = tx[x];
              m[r * h * w + y * w + x] =
                (1 - fy) * ((1 - fx) * cell(y0, x0) + fx * cell(y0, x1)) +
                fy * ((1 - fx) * cell(y1, x0) + fx * cell(y1, x1));
            }
          }
        }
        const f = job.score(rows, (r, dst) => {
          for (let p = 0; p < h * w; p++) {
            const v = m[r * h * w + p];
            for (let ch = 0; ch < c; ch++)
              dst[p * c + ch] = v * pixels[p * c + ch] + (1 - v) * base;
          }
        });
        for (let r = 0; r < rows; r++)
          for (let p = 0; p < h * w; p++) {
            num[p] += f[r] * m[r * h * w + p];
            den[p] += m[r * h * w + p];
          }
      }
      const sal = Float32Array.from(num, (v, p) => v / (den[p] + 1e-4));
      // Every pixel carries the mean score; what the map says is above its floor (as RISE's pictures are drawn).
      const floor = sal.reduce((m, v) => Math.min(m, v), Infinity);
      return sal.map((v) => v - floor);
    }),
});
