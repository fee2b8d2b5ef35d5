/**
 * The right halves of Erhan et al. 2009's figs. 1 and 2: every random restart of a unit side by side, one
 * row per unit, the row labelled with the restarts' mean pairwise correlation (1 = one pattern).
 * The best restart (the one the left half keeps) is marked with '*'.
 */
import { grid } from './grid.js';
import { toImage, type RgbaImage } from './image.js';

export interface RestartRow {
  readonly unit: number;
  readonly restartActivations: readonly number[];
  readonly restartCorrelation: number | null;
}

/** `values` is unit-major [U·R, H, W, C] (erhan's restartImages); each tile min–max scaled. */
export function restartsGrid(
  values: ArrayLike<number>,
  shape: readonly [number, number, number],
  rows: readonly RestartRow[],
  title?: string,
): RgbaImage {
  const size = shape[0] * shape[1] * shape[2];
  const r = rows[0]?.restartActivations.length ?? 0;
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  rows.forEach((row, k) => {
    const best = row.restartActivations.indexOf(Math.max(...row.restartActivations));
    for (let i = 0; i < r; i++) {
      const at = (k * r + i) * size;
      tiles.push(toImage(Array.prototype.slice.call(values, at, at + size) as number[], shape));
      labels.push(`${i === best ? '*' : ''}${row.restartActivations[i].toPrecision(3)}`);
    }
  });
  const rowLabels = rows.map(
    (row) =>
      `u${row.unit} r=${row.restartCorrelation == null ? '-' : row.restartCorrelation.toFixed(2)}`,
  );
  return grid(tiles, { cols: r, labels, rowLabels, title, minTile: 56 });
}
