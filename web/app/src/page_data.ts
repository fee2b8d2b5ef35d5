/**
 * The served data set in the page, for a model added in the page: the server scans only the models
 * it serves, so an added model that fits the data set gets its top-k index and specificity here,
 * from the same library functions (scanTopK, specificity) on the same images.
 */
import { analysis, data, type ImageSet, type VisModel } from '../../../src/index.js';
import type { Config } from './api.js';
import { fetchImages } from './api.js';

const { batchesOf } = data;
const { scanTopK, specificity } = analysis;
type LayerSpecificity = analysis.LayerSpecificity;
type TopKIndex = analysis.TopKIndex;

/** True when the served data set has the model's input shape. */
export function dataFits(config: Config, model: VisModel): boolean {
  return config.data != null && config.data.shape.join() === model.input.shape.join();
}

/** The whole served set in the model's value range (images arrive in [0, 1]). */
export async function pageSet(config: Config, model: VisModel): Promise<ImageSet> {
  const data = config.data!;
  const [lo, hi] = model.input.range;
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const images = new Float32Array(data.count * size);
  const labels = new Int32Array(data.count);
  // In chunks: one request for thousands of indices would be a very long URL.
  for (let from = 0; from < data.count; from += 250) {
    const idx = Array.from({ length: Math.min(250, data.count - from) }, (_, i) => from + i);
    const r = await fetchImages(idx);
    for (let i = 0; i < r.values.length; i++)
      images[from * size + i] = lo + r.values[i] * (hi - lo);
    r.labels.forEach((l, i) => (labels[from + i] = l));
  }
  return {
    name: data.spec ?? 'served',
    images,
    labels: data.labelled ? labels : null,
    shape: data.shape,
    count: data.count,
    classNames: data.classNames,
  };
}

export class PageData {
  private readonly spec = new Map<string, LayerSpecificity>();
  constructor(
    readonly set: ImageSet,
    readonly index: TopKIndex,
  ) {}

  static async scan(config: Config, model: VisModel): Promise<PageData> {
    const set = await pageSet(config, model);
    // A macrotask between batches, so the page keeps drawing frames during the scan.
    async function* paced() {
      for (const b of batchesOf(set, 100)) {
        await new Promise((r) => setTimeout(r, 0));
        yield b;
      }
    }
    return new PageData(set, await scanTopK(model, paced(), { k: 9, dataset: set.name }));
  }

  specificity(model: VisModel, layer: string): LayerSpecificity {
    let s = this.spec.get(layer);
    if (!s) {
      s = specificity(model, this.set, layer);
      this.spec.set(layer, s);
    }
    return s;
  }
}
