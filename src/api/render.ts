/**
 * `render`: tensors and numbers to pictures (RgbaImage: width, height, RGBA bytes), the same in
 * Node and the browser — normalized images, grids, heat maps and overlays, activation grids, plots.
 */
export {
  toImage,
  diverging,
  upscale,
  blank,
  type RgbaImage,
  type Normalize,
} from '../render/image.js';
export { grid, gridFigure, stack, sideBySide, type GridArgs } from '../render/grid.js';
export {
  figureSvg,
  rasterize,
  PAPER,
  type Figure,
  type FigureOptions,
  type Mark,
} from '../render/figure.js';
export { fitText, measureText, FONT_FAMILY } from '../render/text.js';
export { linePlot } from '../render/curves.js';
export { imagesGrid } from '../render/tensor_grid.js';
export {
  activationGrid,
  gridLayout,
  unitAt,
  tileOrigin,
  type GridLayout,
} from '../render/activation_grid.js';
export { heatOverlay, heatImage } from '../render/heat.js';
export { barChart, heatmap, thumbnailScatter } from '../render/plots.js';
export { triptych } from '../render/triptych.js';
export { fileStem } from '../render/names.js';
