/** `data`: image sets in memory (ImageSet), split and subset, and their batches (files and data sets on disk: `deepvis/node`). */
export {
  split,
  subset,
  batchTensor,
  batchesOf,
  batchRanges,
  type Batch,
  type ImageSet,
} from '../data/dataset.js';
