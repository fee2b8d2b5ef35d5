/**
 * First-layer filters as images: the weights of a dense unit fed by the (flattened) input, reshaped
 * to the input image, or the kernel of a first convolution. The maximising-images paper and Erhan et al. 2009 judge RBMs and
 * denoising autoencoders by these pictures (strokes, not noise).
 */
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { hasWeights } from '../model/weight_facts.js';
import { checkUnitRange } from '../objectives/units.js';

export interface FilterImages {
  layer: string;
  /** One image per unit, [H, W, C] values, row-major. */
  images: Float32Array[];
  shape: [number, number, number];
  /** L2 norm of each filter. */
  norms: number[];
}

export function firstLayerFilters(
  model: VisModel,
  layerRef?: string,
  units?: readonly number[],
): FilterImages {
  const layer = layerRef
    ? model.layer(layerRef)
    : model.layers.find((l) => hasWeights(model, l.name));
  if (!layer) throw new DeepvisError('the model has no layer with weights');
  const [kernel] = model.weightsOf(layer.name);
  if (!kernel) throw new DeepvisError(`layer '${layer.name}' has no weights`);
  const values = kernel.dataSync() as Float32Array;
  const [h, w, c] = model.input.shape;
  let shape: [number, number, number];
  let count: number;
  let pick: (u: number, i: number) => number;
  if (kernel.rank === 2) {
    const [rows, cols] = kernel.shape as [number, number];
    if (rows !== h * w * c) {
      throw new DeepvisError(
        `layer '${layer.name}' is not fed by the input image (${rows} inputs, the image has ${h * w * c}); pick a first layer`,
      );
    }
    shape = [h, w, c];
    count = cols;
    pick = (u, i) => values[i * cols + u];
  } else if (kernel.rank === 4) {
    const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
    shape = [kh, kw, cin];
    count = cout;
    pick = (u, i) => values[i * cout + u];
  } else {
    throw new DeepvisError(
      `layer '${layer.name}' has a rank-${kernel.rank} kernel; filters are drawn for dense and conv layers`,
    );
  }
  const list = units ?? Array.from({ length: Math.min(count, 100) }, (_, i) => i);
  checkUnitRange(list, count, layer.name);
  const size = shape[0] * shape[1] * shape[2];
  const images = list.map((u) => Float32Array.from({ length: size }, (_, i) => pick(u, i)));
  const norms = images.map((img) => Math.hypot(...img));
  return { layer: layer.name, images, shape, norms };
}
