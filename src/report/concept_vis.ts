/**
 * The feature visualization of a concept or a dictionary atom: the image that maximizes the cosine
 * between the layer's activations and the concept's direction at every position (Xplique's
 * `cosine` direction objective; Olah et al. 2017 for directions), made by a registry method
 * (Lucid's Fourier parameterization by default, Olah et al. 2017) with all directions as one batch,
 * in consecutive chunks when they do not fit in memory. As unit pages do, a layer with a fused
 * monotonic activation is optimized at its pre-activation (model/layer_lookup.ts optimizedLayer).
 * Also the pictures of a concept's examples (CRAFT's crops, the receptive field of a map position)
 * and its attribution maps. `deepvis concepts` and the atlas's concept pages both draw here.
 */
import * as tf from '@tensorflow/tfjs';
import { boxAt, crop, receptiveFields, type ReceptiveFields } from '../analysis/receptive_field.js';
import type { ConceptExample, ConceptMap } from '../concepts/concept.js';
import type { ImageSet } from '../data/dataset.js';
import { memoryBudget } from '../engine/memory.js';
import { itemOf } from '../engine/read.js';
import { argsFor, runChunked, withDefaults } from '../methods/method.js';
import { featureVisMethod } from '../methods/registry.js';
import { optimizedLayer } from '../model/layer_lookup.js';
import { imagesThatFit } from '../model/memory.js';
import type { VisModel } from '../model/types.js';
import type { OptionValues } from '../options.js';
import { toImage, type RgbaImage } from '../render/image.js';

export const CONCEPT_VIS_DEFAULTS = { method: 'lucid', steps: 160 } as const;

export interface DirectionVisArgs {
  /** A feature-visualization method of the registry; default lucid. */
  readonly method?: string;
  readonly steps?: number;
  /** The method's own options. */
  readonly options?: OptionValues;
  readonly seed?: number;
}

export interface DirectionVis {
  readonly method: string;
  /** The layer the cosine was read at (a fused activation's pre-activation). */
  readonly optimized: string;
  readonly objective: string;
  readonly params: Record<string, unknown>;
  /** Per direction: the mean cosine over positions reached. */
  readonly cosines: number[];
  readonly seconds: number;
}

/** One image per direction (unit-length or not; the objective normalizes), with the cosine each reached. */
export function directionImages(
  model: VisModel,
  layer: string,
  directions: readonly (readonly number[])[],
  args: DirectionVisArgs = {},
): { data: DirectionVis; images: RgbaImage[] } {
  const method = featureVisMethod(args.method ?? CONCEPT_VIS_DEFAULTS.method);
  const target = optimizedLayer((r) => model.layer(r), layer, 'auto');
  const units = directions.map((_, i) => i);
  const req = {
    layer: target.name,
    units,
    seed: args.seed ?? 0,
    steps: args.steps ?? CONCEPT_VIS_DEFAULTS.steps,
    directions: { vectors: directions, cosine: true },
  };
  const plan = method.batch(model, req, withDefaults(method, args.options));
  const fit = imagesThatFit(model, memoryBudget(), { layer: target.name, copies: plan.copies });
  const result = runChunked(
    method,
    model,
    argsFor(method, req, args.options ?? {}, { model }),
    plan.chunkable ? Math.max(1, fit) : units.length,
  );
  const shape = model.input.shape;
  try {
    const values = result.images.dataSync();
    return {
      data: {
        method: method.name,
        optimized: target.name,
        objective: result.objective,
        params: result.params,
        // Copy-major items: the first of each direction's images are the first U.
        cosines: result.units.slice(0, units.length).map((u) => u.activation),
        seconds: result.seconds,
      },
      images: units.map((i) => toImage(itemOf(values, i, shape), shape)),
    };
  } finally {
    result.dispose();
  }
}

/** Pictures of examples: CRAFT's boxes, a receptive field around a map position, or the whole image. */
export class Examples {
  private rf: ReceptiveFields | null = null;
  constructor(
    private readonly model: VisModel,
    private readonly data: ImageSet,
  ) {}

  image(index: number): Float32Array {
    const size = this.data.images.length / this.data.count;
    return this.data.images.subarray(index * size, (index + 1) * size);
  }

  private draw(values: ArrayLike<number>, shape: readonly [number, number, number]): RgbaImage {
    return toImage(values, shape, { mode: 'range', range: this.model.input.range });
  }

  whole(index: number): RgbaImage {
    return this.draw(this.image(index), this.model.input.shape);
  }

  tile(e: ConceptExample, layer: string): RgbaImage {
    const shape = this.model.input.shape;
    const [lo, hi] = this.model.input.range;
    if (e.box) {
      const [y0, x0, y1, x1] = e.box;
      const c = crop(this.image(e.index), shape, { y0, x0, y1, x1 }, undefined, (lo + hi) / 2);
      return this.draw(c.values, c.shape);
    }
    if (e.at) {
      this.rf ??= receptiveFields(this.model, layer);
      const c = crop(
        this.image(e.index),
        shape,
        boxAt(this.rf, e.at[1], e.at[0]),
        this.rf.size,
        (lo + hi) / 2,
      );
      return this.draw(c.values, c.shape);
    }
    return this.whole(e.index);
  }
}

/** One image's map of concept j, bilinear to the input, values below the percentile set to zero. */
export function conceptHeat(
  m: ConceptMap,
  j: number,
  k: number,
  out: readonly [number, number],
  percentile: number,
): Float32Array {
  const v = Float32Array.from({ length: m.h * m.w }, (_, q) => m.values[q * k + j]);
  if (percentile > 0) {
    const sorted = Float32Array.from(v).sort();
    const cut = sorted[Math.min(sorted.length - 1, Math.floor((percentile / 100) * sorted.length))];
    v.forEach((x, q) => (v[q] = x < cut ? 0 : x));
  }
  const t = tf.tidy(() =>
    tf.image.resizeBilinear(tf.tensor4d(v, [1, m.h, m.w, 1]), [out[0], out[1]], true),
  );
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}
