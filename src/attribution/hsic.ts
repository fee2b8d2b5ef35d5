/**
 * HSIC attribution (Novello et al. 2022), with Xplique's defaults: 500 binary designs of the Sobol'
 * sequence over an 8×8 grid of cells (rounded), masks upsampled by nearest neighbour and applied as
 * x·M + (1 − M)·neutral, and per cell the Hilbert–Schmidt independence of the cell's bit and the
 * score: HSIC_i = tr(K_i^c L^c) / n with the binary kernel K(x, x′) = 1 + ½ − (x − x′)² and a
 * Gaussian kernel on the scores whose width is their median (Xplique's BinaryEstimator). Since L^c
 * is centred, HSIC_i = 2·uᵢᵀ L^c uᵢ / n with uᵢ the designs where cell i is kept. 500 forward passes.
 */
import { perImage } from './black_box.js';
import { defineAttribution } from './method.js';
import { gridMaskScores, sobolPoints } from './sobol.js';
import { bicubic } from './upsample.js';

/** The median of `v` (linear interpolation between the middle two). */
function median(v: ArrayLike<number>): number {
  const s = Array.from(v).sort((a, b) => a - b);
  const k = (s.length - 1) / 2;
  return s[Math.floor(k)] + (s[Math.ceil(k)] - s[Math.floor(k)]) * (k - Math.floor(k));
}

/** HSIC of each cell's bit with the score, [d]. */
export function hsicScores(
  bits: Uint8Array,
  y: ArrayLike<number>,
  n: number,
  d: number,
): Float64Array {
  let width = median(y);
  if (!(width > 0))
    width = Math.max(Math.sqrt(Array.from(y).reduce((s, v) => s + v * v, 0) / n), 1e-12);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) l[i * n + j] = Math.exp(-((y[i] - y[j]) ** 2) / (2 * width ** 2));
  const rowMean = Float64Array.from(
    { length: n },
    (_, i) => l.subarray(i * n, (i + 1) * n).reduce((a, b) => a + b, 0) / n,
  );
  const grand = rowMean.reduce((a, b) => a + b, 0) / n;
  return Float64Array.from({ length: d }, (_, k) => {
    const on: number[] = [];
    for (let i = 0; i < n; i++) if (bits[i * d + k]) on.push(i);
    let s = 0;
    for (const i of on) for (const j of on) s += l[i * n + j] - rowMean[i] - rowMean[j] + grand;
    return (2 * s) / n;
  });
}

export const hsicMethod = defineAttribution({
  name: 'hsic',
  idea: "Random binary masks on a grid perturb the image, and each cell's dependence with the target score is measured by the Hilbert–Schmidt independence criterion across 500 designs. Cells whose presence the score depends on, in any non-linear way, stand out.",
  title: 'HSIC attribution',
  short: 'HSIC',
  paper: 'Novello et al. 2022',
  summary: "each grid cell's Hilbert–Schmidt dependence with the score under random binary masks",
  signed: false,
  display: 'heat',
  access: 'forward',
  options: {
    grid: { type: 'int', min: 1, help: 'cells per side (Xplique: 8)', default: 8 },
    designs: { type: 'int', min: 2, help: 'binary masks per image (Xplique: 500)', default: 500 },
  },
  footprint: (o) => ({
    bytes: 8 * o.designs ** 2 + o.designs * (9 * o.grid ** 2 + 8),
    what: `with ${o.designs.toLocaleString('en')} designs`,
    lower: 'fewer --designs',
  }),
  explain: (ctx) =>
    perImage(ctx, (job) => {
      const { grid: g, designs: n } = ctx.options;
      const d = g * g;
      const points = sobolPoints(d, n);
      // Rounded half to even, as tf.round does (0.5 → 0).
      const bits = Uint8Array.from(points, (v) => (v > 0.5 ? 1 : 0));
      const y = gridMaskScores(job, g, Float64Array.from(bits), n);
      return bicubic(hsicScores(bits, y, n, d), g, g, job.h, job.w);
    }),
});
