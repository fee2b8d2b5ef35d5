/**
 * An attribution method as a value (Captum's attribution classes and Xplique's explainers as
 * models): its facts — name, short label, paper, whether its heat is signed, how it reads the
 * model (input gradients, a backward pass under swapped rules, forward passes only), the hidden
 * layer it needs (a spatial map: CAMs; attention maps), the targets it can explain, the options it
 * owns, how far it expands an input — and its map. One signature for every family:
 * explain(ctx) → a map shaped like the input (and its own per-pixel heat when it has one).
 * registry.ts lists every method once; attribute(), the CLI (choices, flags, help, drawing),
 * evaluate and the invariants table read that list. Wrappers build methods from methods
 * (noise_tunnel.ts: SmoothGrad, SmoothGrad², VarGrad over any method); a CAM is a weights function
 * on cam.ts's base. Future families fit the same value: black-box methods (RISE, LIME, KernelSHAP,
 * Sobol: `access: 'forward'`), rule sets (LRP: `access: 'rules'` with a `rules` option), attention
 * maps on a transformer's token layers (`layer: 'attention'`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { LayerInfo, VisModel } from '../model/types.js';
import type { ReadingKind, ResolvedTarget } from '../objectives/target.js';
import type { Options, OptionSpecs } from '../options.js';

/** What a method's map is computed from. */
export interface ExplainContext<O extends OptionSpecs = OptionSpecs> {
  readonly model: VisModel;
  /** The images [N, H, W, C] (read, not kept). */
  readonly x: tf.Tensor4D;
  /** One target per image, fixed before any work (resolveTarget). */
  readonly target: ResolvedTarget;
  /** The method's options, declared defaults filled in. */
  readonly options: Options<O>;
  /** The random seed of methods that draw noise or samples. */
  readonly seed: number;
  /** Rows per pass for methods that expand an input; default: what fits the memory budget. */
  readonly maxBatch?: number;
  /** The hidden layer, for methods that read one: the caller's, else the method's default; checked. */
  readonly layer?: LayerInfo;
  /** The caller's interpretable features: a label per pixel [H·W] (LIME, KernelSHAP, feature ablation; Captum's feature_mask). */
  readonly featureMask?: ArrayLike<number>;
}

/** A method's answer; the caller (attribute) reads and disposes it. */
export interface Explanation {
  /** [N, H, W, C], shaped like the input (a map over positions is repeated over the channels). */
  readonly map: tf.Tensor4D;
  /** [N, H, W] when the method has its own per-pixel heat (CAMs, occlusion); else attribute's rule. */
  readonly heat?: tf.Tensor3D;
}

/** A hidden layer a method reads: what kind, and which one when the caller names none. */
export interface LayerNeed {
  /** 'spatial': a map [h, w, K] (conv channels, or a ViT's patch tokens on their grid); 'attention': attention probabilities. */
  readonly kind: 'spatial' | 'attention';
  /** The kind in words ('a convolutional layer'), for "gradcam need a convolutional layer; this model has none". */
  readonly what: string;
  /** Whether the model has a layer of this kind. */
  has(model: VisModel): boolean;
  /** The default layer for a target (Grad-CAM: the last feature map before it); a model without one is a one-line error. */
  defaultFor(model: VisModel, target: ResolvedTarget, method: string): LayerInfo;
  /** Refuses a layer that cannot serve (flat, after the target) in one line. */
  check(model: VisModel, layer: LayerInfo, target: ResolvedTarget, method: string): void;
}

export interface AttributionMethod<O extends OptionSpecs = OptionSpecs> {
  /** The name on the command line and in files ('integrated-gradients'). */
  readonly name: string;
  /** A few characters for a grid label ('IG'). */
  readonly short: string;
  /** In prose and messages ('integrated gradients', 'Grad-CAM'). */
  readonly title: string;
  /** The paper, by author and year. */
  readonly paper: string;
  /** What it computes, in one line (help, docs). */
  readonly summary: string;
  /** The idea in two sentences, for its docs page (docs/build); without one the page shows the summary. */
  readonly idea?: string;
  /** Signed heat: summed over channels and drawn on a diverging scale; else max |·| over channels, from zero up. */
  readonly signed: boolean;
  /** How the CLI draws it: heat over the dimmed input, or the signed pixel map itself (guided backprop, deconvnet). */
  readonly display: 'heat' | 'pixels';
  /** How it reads the model: input gradients, a backward pass under swapped rules, or forward passes only. */
  readonly access: 'gradient' | 'rules' | 'forward';
  /** A hidden layer it reads (CAMs: a spatial map). */
  readonly layer?: LayerNeed;
  /** A transformer-native map (attention, rollout, Chefer): the atlas's class pages of a ViT show it. */
  readonly transformer?: boolean;
  /** What it needs that this model lacks, beyond a layer ("need a vision transformer with global attention"); null: nothing. */
  cannot?(model: VisModel): string | null;
  /** The target readings it explains (objectives/target.ts); default every reading. */
  readonly readings?: readonly ReadingKind[];
  /** The options it owns: flags of `attribute`, keys of AttributeArgs.options. */
  readonly options: O;
  /** Rows each input expands to (SmoothGrad's samples, the path of integrated gradients), for the memory refusal. */
  expands?(options: Options<O>): {
    readonly rows: number;
    readonly what: string;
    readonly lower: string;
  };
  /**
   * What a sampling method holds whatever its chunking (designs, coalitions, kernel matrices), in
   * bytes, for the refusal before any work: "hsic with 100,000 designs holds 74.5 GB … — fewer --designs".
   */
  footprint?(
    options: Options<O>,
    model: VisModel,
  ): { readonly bytes: number; readonly what: string; readonly lower: string };
  /** Its noise is drawn for the whole batch, so an image's map depends on its batch-mates: the invariants' one stated exception. */
  readonly stochastic?: boolean;
  /** For metrics that divide the input out of a map (infidelity): b when the map is a gradient times (x − b). */
  timesInput?(model: VisModel, options: Options<O>): number;
  explain(ctx: ExplainContext<O>): Explanation;
}

/** A method as the registry holds it. */
export type AnyAttribution = AttributionMethod<OptionSpecs>;

/** Declares a method: the options' spec types its `explain`, and the value goes into the registry as is. */
export function defineAttribution<const O extends OptionSpecs>(
  m: AttributionMethod<O>,
): AnyAttribution {
  return m as unknown as AnyAttribution;
}

/** What `method` needs that `model` lacks ("need a convolutional layer; this model has none"); null when it can explain it. */
export const unfit = (method: AnyAttribution, model: VisModel): string | null =>
  (method.layer && !method.layer.has(model)
    ? `need ${method.layer.what}; this model has none`
    : null) ??
  method.cannot?.(model) ??
  null;
