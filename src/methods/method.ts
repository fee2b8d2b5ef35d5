/**
 * A feature-visualization method as a value, in the spirit of Lucid's render_vis recipes and
 * Captum's method classes: its facts (name, paper, the options it owns), how a caller's request,
 * options and context become the recipe's arguments, its resolved parameters, how its units share
 * a batch, its run (a generator, so a page can drive it a slice at a time), and what its result
 * holds besides the images. registry.ts lists every method once; the CLI (flags, help, checks),
 * --compare-methods, the web app, the atlas and the invariants table iterate that list, so a new
 * method is one file with its recipe and this value, and one row there.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { drain, type Steps } from '../optimize/drive.js';
import type { Options, OptionSpecs, OptionValues } from '../options.js';
import type { RgbaImage } from '../render/image.js';
import { disposable, type MethodResult, type UnitRequest } from './recipe.js';
import { inUnitChunks } from './unit_chunks.js';

/** A caller's request: the units, and a step size for methods that take one (each its own unit). */
export interface VisRequest extends UnitRequest {
  readonly lr?: number;
}

/** What a caller has besides the units: natural data, a start image. Read, not kept. */
export interface VisContext {
  readonly model: VisModel;
  /** Natural inputs in the model's range (the CLI's --data, the served set), when there are some. */
  readonly data?: ImageSet | null;
  /** A start image [1 or U, H, W, C] in the model's range (the CLI's --input, the page's input). */
  readonly image?: tf.Tensor4D | null;
  /** The start image's name, for captions. */
  readonly imageName?: string;
}

/** How a run's units share memory: the refusal, the chunking and the grid read it. */
export interface BatchPlan {
  /** Images per unit in one optimization batch. */
  readonly copies: number;
  /** What the copies are ('restarts', 'crops and a canvas'), for the one-line refusal. */
  readonly what: string;
  /** The option that lowers them, besides --units. */
  readonly lower?: string;
  /** Units may run in consecutive batches (no term couples one unit's images to another's). */
  readonly chunkable: boolean;
  /** Images per unit in the result; several are drawn a row each. */
  readonly rows: number;
}

/** Files a run writes beside its grid (read from the result before it is disposed). */
export interface VisExtras {
  readonly json?: Record<string, unknown>;
  readonly figures?: ReadonlyArray<{ readonly suffix: string; readonly image: RgbaImage }>;
}

/** The atlas's use of a method: its settings, where it goes, when it is on by default. */
export interface AtlasUse {
  /** Options (steps included) for a whole layer at a time: fewer steps than the command's. */
  readonly settings: Readonly<Record<string, number>>;
  /** Position among the layer's methods (the first is the headline); absent: not used there. */
  readonly conv?: number;
  readonly dense?: number;
  /** Off by default unless this says so (`--NAME auto|on|off`), with the flag's help. */
  readonly auto?: { readonly when: (model: VisModel) => boolean; readonly help: string };
  /** Scored against the layer's first method (with data): a unit's tile shows this one's image where the network finds it more natural. */
  readonly challenger?: boolean;
}

export interface FeatureVisMethod<
  O extends OptionSpecs = OptionSpecs,
  A extends UnitRequest = UnitRequest,
  R extends MethodResult = MethodResult,
> {
  /** The name on the command line and in files ('erhan'). */
  readonly name: string;
  /** In prose and on buttons ('Erhan', 'feature accentuation'). */
  readonly title: string;
  /** What it does, in a few words ('gradient ascent'). */
  readonly tagline: string;
  /** The paper, by author and year. */
  readonly paper: string;
  /** Its defaults in words, for the help ('300 steps, lr 0.03 of the range, 9 restarts'). */
  readonly defaults: string;
  /** What a run costs against another method, as measured on a real model (for the help). */
  readonly cost?: string;
  /** The idea in two sentences, for its docs page (docs/build); without one the page shows the tagline. */
  readonly idea?: string;
  /**
   * The docs page's run (docs/build: a 28×28 MNIST ResNet's class logits, units 0–3): flag values —
   * `steps` and the method's options — that show the method in a few seconds; absent: its defaults.
   */
  readonly example?: Readonly<Record<string, string | number | boolean>>;
  /** The options it owns: flags of `maximize --method NAME`, keys of a caller's options. */
  readonly options: O;
  /** What the run cannot do without: a reason it needs data on this model (null: it does not), a start image. */
  readonly needs?: { readonly data?: (model: VisModel) => string | null; readonly image?: boolean };
  /** The recipe's arguments from a unit request, the method's options and the caller's context. */
  args(req: VisRequest, options: Options<O>, ctx: VisContext): A;
  /** Every parameter of a run, defaults resolved (the JSON's `params`); at least its step count. */
  params(model: VisModel, args: A): { readonly steps: number };
  /** How the units share a batch, from the request and options alone (checked before any work). */
  batch(model: VisModel, req: VisRequest, options: Options<O>): BatchPlan;
  /** The run, a step at a time. */
  steps(model: VisModel, args: A): Steps<R>;
  /** Labels of the result's rows, when a unit has several images. */
  rows?(result: R): string[] | null;
  /** Extra files of a run; `stem` names them (LAYER-METHOD). */
  extras?(result: R, args: A, ctx: VisContext & { readonly stem: string }): VisExtras;
  /** In the web app: the options of an interactive run, and whether a conv unit is read at its centre neuron (default) or as the channel mean. */
  readonly interactive?: false | { readonly options?: OptionValues; readonly neuron?: boolean };
  /** --compare-methods' variants (default: the method with its defaults); false: not compared. */
  readonly compare?:
    false | ReadonlyArray<{ readonly label: string; readonly options: OptionValues }>;
  /** Options of a quick run that still exercises the method's parts (the invariants table). */
  readonly quick?: OptionValues;
  readonly atlas?: AtlasUse;
}

/** A method as the registry holds it: options and arguments loosely typed, checked by the method. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds methods of every argument type
export type AnyFeatureVis = FeatureVisMethod<OptionSpecs, any, any>;

/** Declares a method: the options' spec types its `args`, and the value goes into the registry as is. */
export function defineFeatureVis<
  const O extends OptionSpecs,
  A extends UnitRequest,
  R extends MethodResult,
>(m: FeatureVisMethod<O, A, R>): AnyFeatureVis {
  return m as unknown as AnyFeatureVis;
}

/** What a run lacks to start, as the CLI says it (`give --data …`); null when it has what it needs. */
export function missing(
  method: AnyFeatureVis,
  model: VisModel,
  has: { readonly data: boolean; readonly image: boolean },
): string | null {
  const data = method.needs?.data?.(model);
  if (data != null && !has.data)
    return `--method ${method.name} ${data}: give --data (mnist, fashion-mnist, a folder)`;
  if (method.needs?.image && !has.image)
    return `--method ${method.name} starts from an image: give --input FILE or --input mnist:N`;
  return null;
}

/** The options with their declared defaults filled in (a spec's default is the library's). */
export const withDefaults = (
  method: AnyFeatureVis,
  options: OptionValues = {},
): Options<OptionSpecs> =>
  ({
    ...Object.fromEntries(
      Object.entries(method.options)
        .filter(([, s]) => s.default !== undefined)
        .map(([k, s]) => [k, s.default]),
    ),
    ...options,
  }) as Options<OptionSpecs>;

/** The recipe's arguments for a caller's request, options and context; refuses in one line what the run lacks. */
export function argsFor(
  method: AnyFeatureVis,
  req: VisRequest,
  options: OptionValues,
  ctx: VisContext,
): VisRequest {
  const lack = missing(method, ctx.model, { data: ctx.data != null, image: ctx.image != null });
  if (lack) throw new DeepvisError(lack);
  return method.args(req, withDefaults(method, options), ctx);
}

/**
 * Runs prepared arguments to the end, in consecutive batches of `chunk` units when the method
 * allows it (unit_chunks.ts: chunk j is seeded seed + j); the result is the caller's to dispose.
 */
export function runChunked(
  method: AnyFeatureVis,
  model: VisModel,
  args: UnitRequest,
  chunk = args.units.length,
): MethodResult {
  const seed = args.seed ?? 0;
  const one = (units: readonly number[], s: number) =>
    drain(method.steps(model, { ...args, units, seed: s })) as MethodResult;
  return disposable(inUnitChunks(args.units, chunk, seed, one));
}
