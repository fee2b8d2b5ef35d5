/**
 * Sobol attribution (Fel et al. 2021, "Look at the Variance!"), with Xplique's defaults: an 8×8 grid
 * of mask cells, 32 designs of the (unscrambled, origin skipped) Sobol' sequence in 2·64 dimensions
 * split into matrices A and B, the replicated designs C_i (A with column i from B), masks upsampled
 * by nearest neighbour and applied as x·M + (1 − M)·neutral (Xplique's inpainting), and Jansen's
 * estimator of each cell's total-order index, S_Ti = Σ_j (f(A_j) − f(C_ij))² / (2N·Var f(A)). The
 * 8×8 indices are upsampled bicubically. N·(d + 2) = 2,112 forward passes per image.
 */
import { jansenTotal } from '../engine/sobol_indices.js';
import { DeepvisError } from '../errors.js';
import { perImage, type ImageJob } from './black_box.js';
import { defineAttribution } from './method.js';
import { SOBOL_INIT, SOBOL_POLY } from './sobol_directions.js';
import { bicubic, nearestCells } from './upsample.js';

const BITS = 30;

/** Points 1…n of the unscrambled Sobol' sequence in `dims` dimensions (Joe & Kuo's direction numbers), [n × dims] row-major. */
export function sobolPoints(dims: number, n: number): Float64Array {
  if (dims > SOBOL_POLY.length)
    throw new DeepvisError(
      `the Sobol' sequence here has ${SOBOL_POLY.length} dimensions; ${dims} were asked for (a smaller --grid)`,
    );
  const v = Array.from({ length: dims }, (_, d) => {
    const dir = new Uint32Array(BITS);
    if (d === 0) {
      for (let k = 0; k < BITS; k++) dir[k] = 1 << (BITS - 1 - k);
      return dir;
    }
    const p = SOBOL_POLY[d];
    const s = Math.floor(Math.log2(p));
    for (let k = 0; k < s; k++) dir[k] = SOBOL_INIT[d][k] << (BITS - 1 - k);
    for (let k = s; k < BITS; k++) {
      let next = dir[k - s] ^ (dir[k - s] >>> s);
      for (let i = 1; i < s; i++) if ((p >>> (s - i)) & 1) next ^= dir[k - i];
      dir[k] = next;
    }
    return dir;
  });
  const out = new Float64Array(n * dims);
  const x = new Uint32Array(dims);
  for (let i = 1; i <= n; i++) {
    // Gray code: point i differs from point i − 1 by the direction of the lowest zero bit of i − 1.
    let c = 0;
    while (((i - 1) >>> c) & 1) c++;
    for (let d = 0; d < dims; d++) {
      x[d] ^= v[d][c];
      out[(i - 1) * dims + d] = x[d] / 2 ** BITS;
    }
  }
  return out;
}

/** Scores of masks given as cell values (rows × g², in [0, 1]) upsampled to the image by nearest neighbour. */
export function gridMaskScores(
  job: ImageJob,
  g: number,
  cells: Float64Array,
  rows: number,
): Float32Array {
  const { h, w, c, pixels, base } = job;
  const of = nearestCells(g, h, w);
  return job.score(rows, (r, dst) => {
    for (let p = 0; p < h * w; p++) {
      const m = cells[r * g * g + of[p]];
      for (let ch = 0; ch < c; ch++) dst[p * c + ch] = m * pixels[p * c + ch] + (1 - m) * base;
    }
  });
}

/** Total-order Sobol' indices of the g×g cells for one image (Jansen), [g²]. */
export function sobolIndices(job: ImageJob, g: number, designs: number): Float64Array {
  const d = g * g;
  const ab = sobolPoints(2 * d, designs);
  const rows = designs * (d + 2);
  const cells = new Float64Array(rows * d);
  for (let j = 0; j < designs; j++) {
    const a = ab.subarray(j * 2 * d, j * 2 * d + d);
    const b = ab.subarray(j * 2 * d + d, (j + 1) * 2 * d);
    cells.set(a, j * d);
    cells.set(b, (designs + j) * d);
    for (let i = 0; i < d; i++) {
      const row = (2 + i) * designs + j;
      cells.set(a, row * d);
      cells[row * d + i] = b[i];
    }
  }
  const f = gridMaskScores(job, g, cells, rows);
  return jansenTotal(f, d, designs);
}

export const sobolMethod = defineAttribution({
  name: 'sobol',
  idea: "Masks drawn from a quasi-random Sobol' design perturb an 8×8 grid of cells, and each cell's total-order Sobol' index is estimated (Jansen's estimator): the share of the score's variance that involves that cell. It captures interactions between regions, which a one-at-a-time occlusion misses.",
  title: 'Sobol attribution',
  short: 'Sobol',
  paper: 'Fel et al. 2021',
  summary: "each grid cell's total-order Sobol' index of the score under random masks (Jansen)",
  signed: false,
  display: 'heat',
  access: 'forward',
  options: {
    grid: { type: 'int', min: 1, help: 'cells per side (Xplique: 8)', default: 8 },
    designs: {
      type: 'int',
      min: 2,
      help: "Sobol' designs, a power of two (Xplique: 32)",
      default: 32,
    },
  },
  footprint: (o) => ({
    bytes: o.designs * (o.grid ** 2 + 2) * (8 * o.grid ** 2 + 4),
    what: `with ${o.designs} designs on a ${o.grid}×${o.grid} grid`,
    lower: 'fewer --designs or a smaller --grid',
  }),
  explain: (ctx) => {
    const { grid: g, designs } = ctx.options;
    if ((designs & (designs - 1)) !== 0)
      throw new DeepvisError(`sobol's --designs must be a power of two; got ${designs}`);
    return perImage(ctx, (job) => bicubic(sobolIndices(job, g, designs), g, g, job.h, job.w));
  },
});
