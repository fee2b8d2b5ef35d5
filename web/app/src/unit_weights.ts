/**
 * A first-layer unit's incoming weights as an image (the maximising-images paper and Erhan et al. 2009 judge RBMs and
 * autoencoders by these: strokes, not noise): a dense or RBM unit fed by the flattened input, or a
 * first convolution's kernel. The library's firstLayerFilters; hidden for layers deeper in.
 */
import { render, type LayerInfo, type VisModel } from '../../../src/index.js';
import { firstLayerFilters } from '../../../src/analysis/filters.js';
import { hasWeights } from '../../../src/model/weight_facts.js';
import { $, $canvas, drawImage } from './draw.js';

const { diverging, toImage } = render;

export function drawWeights(
  model: VisModel,
  layer: LayerInfo,
  unit: number,
  boost: boolean,
): boolean {
  const figure = $('unit-weights-figure');
  let f;
  try {
    // Only a layer the image feeds: a conv deeper in has a kernel too, but over channels, not pixels.
    const first = model.layers.find((l) => hasWeights(model, l.name));
    if (layer.outputShape.length === 3 && first?.name !== layer.name)
      throw new Error('not a first layer');
    f = firstLayerFilters(model, layer.name, [unit]);
  } catch {
    figure.hidden = true;
    return false;
  }
  figure.hidden = false;
  // Signed weights on the blue–white–red scale; colour kernels as colour (min…max).
  const img =
    f.shape[2] === 3
      ? toImage(f.images[0], f.shape, { mode: 'minmax' })
      : diverging(f.images[0], f.shape[0], f.shape[1], boost ? 95 : 99.5);
  drawImage($canvas('unit-weights'), img);
  $('unit-weights-caption').textContent =
    `incoming weights of unit ${unit} as an image (${f.shape[0]}×${f.shape[1]}, norm ${f.norms[0].toPrecision(3)}; ${f.shape[2] === 3 ? 'colours stretched' : 'red positive, blue negative'})`;
  return true;
}
