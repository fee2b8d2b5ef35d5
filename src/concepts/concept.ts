/**
 * What every concept method returns: concepts as directions in a layer's activation space (any
 * objective can maximize one — objectives/layer.ts `direction` — and any page can show one), each
 * with its importance where the method measures one and the data-set examples that carry it most.
 */

/** One example of a concept: a data-set image, and where in it (a crop, a map position). */
export interface ConceptExample {
  /** Index of the image in the data set the run read (the CLI's --data and --split). */
  readonly index: number;
  /** The concept's value there (an NMF coefficient, a code, a projection). */
  readonly value: number;
  /** The crop in input pixels, [y0, x0, y1, x1) (CRAFT's patches). */
  readonly box?: readonly [y0: number, x0: number, y1: number, x1: number];
  /** The position [row, column] in the layer's map (DFF, SAE atoms and TCAV on maps): pictures crop its receptive field. */
  readonly at?: readonly [y: number, x: number];
}

export interface Concept {
  readonly id: number;
  /** A name when the method gives one (TCAV's folder, DFF's classes from the head). */
  readonly name?: string;
  readonly layer: string;
  /** The direction in the layer's channel space (unit length), or in its flattened space for TCAV on a flat layer. */
  readonly direction: readonly number[];
  /** CRAFT: the total Sobol index on the class score; TCAV: the TCAV score (the share of class images the concept pushes up). */
  readonly importance?: number;
  /** Gradient × coefficient contribution to the class score (Fel et al. 2023b), in percent of all concepts' contributions in absolute value (signed). */
  readonly logitShare?: number;
  /**
   * The concept's part of the class logit, in percent of the logit (mean over the class's images):
   * the gradient × coefficient contribution over the class score. Exact where the head is linear in
   * the layer (pooling and a dense layer): the rest of the logit is the head's bias and what the
   * concepts do not reconstruct.
   */
  readonly logitPercent?: number;
  /** Cosine with the class's direction at the layer: the class score's gradient there, averaged over images and positions (split.ts classGradients). */
  readonly alignment?: number;
  /** Where the concept is strongest in the data set, best first. */
  readonly top: readonly ConceptExample[];
  /** The most negative examples, when the concept can go below zero (SAE pre-codes, CAV projections). */
  readonly bottom?: readonly ConceptExample[];
  /** Method-specific numbers (TCAV's p-value, an atom's frequency…). */
  readonly numbers?: Readonly<Record<string, number | string | boolean | null>>;
}

/** One image's coefficient map [h · w, k] at the layer: the concepts' attribution maps (CRAFT, DFF). */
export interface ConceptMap {
  /** Index of the image in the data set. */
  readonly index: number;
  readonly h: number;
  readonly w: number;
  readonly values: Float32Array;
}

/** A run's concepts and everything the JSON records about it. */
export interface ConceptSet {
  readonly method: string;
  readonly layer: string;
  /** The class explained (CRAFT, TCAV), when there is one. */
  readonly classIndex?: number;
  readonly className?: string;
  /** Every parameter of the run, defaults resolved. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly concepts: readonly Concept[];
  /** Run-level numbers (NMF error, SAE metrics, class-image count…). */
  readonly metrics: Readonly<Record<string, number | string | null>>;
  readonly seconds: number;
  /** Coefficient maps of a few images, for attribution maps (CRAFT, DFF). */
  readonly maps?: readonly ConceptMap[];
}

/** Indices of the `k` largest of `values` (descending), ties by index. */
export function topIndices(values: ArrayLike<number>, k: number, sign: 1 | -1 = 1): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => sign * (values[b] - values[a]) || a - b);
  return order.slice(0, Math.min(k, order.length));
}

/** Unit-length copy of a vector (zero stays zero). */
export function unitVector(v: ArrayLike<number>): number[] {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s) || 1;
  return Array.from(v, (x) => x / n);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
