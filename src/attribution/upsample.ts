/**
 * Host-side resizing of small maps to the input's size, as the black-box methods' references do it:
 * nearest neighbour for masks (Xplique's Sobol and HSIC masks) and bicubic for the low-resolution
 * index maps (TensorFlow's ResizeMethod.BICUBIC: Keys' kernel with a = −0.5, half-pixel centres,
 * edges clamped).
 */

/** Keys' cubic convolution kernel, a = −0.5. */
function cubic(t: number): number {
  const x = Math.abs(t);
  const a = -0.5;
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

/** The weights and source indices of each output coordinate along one axis. */
function taps(from: number, to: number): Array<Array<[number, number]>> {
  return Array.from({ length: to }, (_, o) => {
    const src = ((o + 0.5) * from) / to - 0.5;
    const base = Math.floor(src);
    const ws: Array<[number, number]> = [];
    for (let k = -1; k <= 2; k++)
      ws.push([Math.min(from - 1, Math.max(0, base + k)), cubic(src - (base + k))]);
    const sum = ws.reduce((s, [, v]) => s + v, 0);
    return ws.map(([i, v]) => [i, v / sum] as [number, number]);
  });
}

/** A [h, w] map resized to [H, W] bicubically. */
export function bicubic(
  map: ArrayLike<number>,
  h: number,
  w: number,
  H: number,
  W: number,
): Float32Array {
  const [ty, tx] = [taps(h, H), taps(w, W)];
  const rows = new Float64Array(h * W);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < W; x++)
      rows[y * W + x] = tx[x].reduce((s, [i, v]) => s + v * map[y * w + i], 0);
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      out[y * W + x] = ty[y].reduce((s, [i, v]) => s + v * rows[i * W + x], 0);
  return out;
}

/** The source cell of each output pixel for a [g, g] grid over [H, W] (nearest neighbour, half-pixel centres). */
export function nearestCells(g: number, H: number, W: number): Int32Array {
  const cy = (y: number) => Math.min(g - 1, Math.floor(((y + 0.5) * g) / H));
  const cx = (x: number) => Math.min(g - 1, Math.floor(((x + 0.5) * g) / W));
  return Int32Array.from({ length: H * W }, (_, p) => cy(Math.floor(p / W)) * g + cx(p % W));
}
