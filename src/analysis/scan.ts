/**
 * The data-set scan behind top-k images, deconvolution and the web app's unit panels (Cavojska 2015 §5,
 * Yosinski et al. 2015 "dataset centric"; Zeiler & Fergus's top-9): one streaming pass over a data set in
 * batches, every requested layer from the same forward pass, keeping for every unit the k inputs
 * that excite it most. A conv channel is scored by its strongest position, which is kept with the
 * entry so its receptive field can be cropped. Memory: layers × units × k, whatever the set's size.
 * The result is plain data (the index file), so later commands reuse it instead of rescanning.
 */
import * as tf from '@tensorflow/tfjs';
import { batchesOf, type Batch, type ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { boxAt, crop, receptiveFields, type ReceptiveFields } from './receptive_field.js';
import { TopK } from './topk.js';

export interface LayerTopK {
  readonly layer: string;
  readonly kind: string;
  readonly outputShape: readonly number[];
  readonly units: number;
  /** Per unit, best first: activation, image index, and for conv channels the position [x, y]. */
  readonly values: number[][];
  readonly indices: number[][];
  readonly positions: Array<Array<[number, number]>> | null;
  readonly receptiveField: ReceptiveFields;
  /**
   * With ScanArgs.bottomK: per unit, the inputs with the lowest score, lowest first (a conv
   * channel scored by its weakest position, kept in `positions`). Absent otherwise.
   */
  readonly bottom?: {
    readonly values: number[][];
    readonly indices: number[][];
    readonly positions: Array<Array<[number, number]>> | null;
  };
}

export interface TopKIndex {
  readonly version: 1;
  /** Where the images came from, so a later command can load them again. */
  readonly dataset: { readonly name: string; readonly count: number; readonly spec?: string };
  readonly model?: string;
  readonly k: number;
  readonly seconds: number;
  readonly layers: LayerTopK[];
}

export interface ScanArgs {
  /** Layer names; default every layer but the ones that only reshape or copy (Flatten, Dropout, Reshape). */
  readonly layers?: readonly string[];
  readonly k?: number;
  readonly batchSize?: number;
  readonly onBatch?: (done: number, total: number) => void;
  /** Recorded in the index for later reloading. */
  readonly datasetSpec?: string;
  readonly modelPath?: string;
  /** Also keep the k most negative inputs per unit (the report's "most negative examples"); default 0. */
  readonly bottomK?: number;
}

const COPIES = new Set(['Flatten', 'Dropout', 'Reshape', 'InputLayer', 'Identity']);

export function scannableLayers(model: VisModel): LayerInfo[] {
  return model.layers.filter((l) => !COPIES.has(l.kind));
}

export { batchesOf, type Batch } from '../data/dataset.js';

/** Examples kept per unit and images per forward pass when none are given (the CLI shows these too). */
export const TOPK_DEFAULTS = { k: 9, batchSize: 256 } as const;

/**
 * Scans an in-memory set, or any stream of batches (then `dataset` names it): memory is the top-k
 * tables plus one batch.
 */
export async function scanTopK(
  model: VisModel,
  source: ImageSet | Iterable<Batch> | AsyncIterable<Batch>,
  args: ScanArgs & { dataset?: string } = {},
): Promise<TopKIndex> {
  const started = performance.now();
  const k = args.k ?? TOPK_DEFAULTS.k;
  if (!(k >= 1)) throw new DeepvisError(`k must be at least 1; got ${k}`);
  const batches =
    'images' in source ? batchesOf(source, args.batchSize ?? TOPK_DEFAULTS.batchSize) : source;
  const name = 'images' in source ? source.name : (args.dataset ?? 'stream');
  const layers = args.layers ? args.layers.map((l) => model.layer(l)) : scannableLayers(model);
  const names = layers.map((l) => l.name);
  const tops = layers.map((l) => new TopK(l.units, k));
  const bottomK = args.bottomK ?? 0;
  // The lowest scores are the top scores of the negated activations.
  const bottoms = bottomK > 0 ? layers.map((l) => new TopK(l.units, bottomK)) : null;
  let seen = 0;
  for await (const batch of batches) {
    const from = batch.offset;
    const to = from + batch.count;
    const reduced = tf.tidy(() => {
      const acts = model.activations(
        tf.tensor4d(batch.images, [batch.count, ...model.input.shape]),
        names,
      );
      return acts.map((a) => {
        const flat =
          a.rank === 4
            ? a.reshape([a.shape[0], a.shape[1]! * a.shape[2]!, a.shape[3]!])
            : a.reshape([to - from, -1]);
        const top = a.rank === 4 ? [flat.max(1), flat.argMax(1)] : [flat];
        if (!bottoms) return top;
        const neg = flat.neg();
        return [...top, ...(a.rank === 4 ? [neg.max(1), neg.argMax(1)] : [neg])];
      });
    });
    reduced.forEach((r, i) => {
      const conv = layers[i].outputShape.length === 3;
      const [v, pos] = conv ? r : [r[0], undefined];
      tops[i].push(v.dataSync(), to - from, from, pos?.dataSync());
      if (bottoms) {
        const [nv, npos] = conv ? r.slice(2) : [r[1], undefined];
        bottoms[i].push(nv.dataSync(), to - from, from, npos?.dataSync());
      }
    });
    tf.dispose(reduced.flat());
    seen += batch.count;
    args.onBatch?.(seen, 'images' in source ? source.count : NaN);
  }
  if (seen === 0) throw new DeepvisError(`data set '${name}' is empty`);
  const out = layers.map((l, i): LayerTopK => {
    const units = Array.from({ length: l.units }, (_, u) => tops[i].unit(u));
    const w = l.outputShape.length === 3 ? l.outputShape[1] : 0;
    const low = bottoms ? Array.from({ length: l.units }, (_, u) => bottoms[i].unit(u)) : null;
    return {
      layer: l.name,
      kind: l.kind,
      outputShape: l.outputShape,
      units: l.units,
      values: units.map((u) => u.values),
      indices: units.map((u) => u.indices),
      positions: w
        ? units.map((u) => u.aux.map((p): [number, number] => [p % w, Math.floor(p / w)]))
        : null,
      receptiveField: receptiveFields(model, l.name),
      ...(low
        ? {
            bottom: {
              values: low.map((u) => u.values.map((v) => -v)),
              indices: low.map((u) => u.indices),
              positions: w
                ? low.map((u) => u.aux.map((p): [number, number] => [p % w, Math.floor(p / w)]))
                : null,
            },
          }
        : {}),
    };
  });
  return {
    version: 1,
    dataset: { name, count: seen, spec: args.datasetSpec },
    model: args.modelPath,
    k,
    seconds: (performance.now() - started) / 1000,
    layers: out,
  };
}

export function layerTopK(index: TopKIndex, layer: string): LayerTopK {
  const found = index.layers.find((l) => l.layer === layer);
  if (!found)
    throw new DeepvisError(
      `the top-k index has no layer '${layer}'; it has: ${index.layers.map((l) => l.layer).join(', ')}`,
    );
  return found;
}

/**
 * What entry `rank` of `unit` saw: for a conv channel its receptive-field crop at the layer's
 * interior field size (outside the image: `fill`), else the whole image. `pixels` is that image.
 */
export function entryCrop(
  entry: LayerTopK,
  unit: number,
  rank: number,
  pixels: ArrayLike<number>,
  shape: readonly [number, number, number],
  fill: number,
): { values: Float32Array; shape: [number, number, number] } {
  const pos = entry.positions?.[unit][rank];
  if (!pos) return { values: Float32Array.from(pixels), shape: [...shape] };
  const rf = entry.receptiveField;
  return crop(pixels, shape, boxAt(rf, pos[0], pos[1]), rf.size, fill);
}
