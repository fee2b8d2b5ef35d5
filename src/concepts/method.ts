/**
 * A concept method as a value, as attribution/method.ts makes an attribution method one: its facts
 * (name, title, paper, what it needs: a class, concept folders) and the options it owns, and one
 * signature for every family: run(ctx) → a ConceptSet (concept.ts). registry.ts lists every
 * method once; the CLI's `concepts --method` (choices, flags, help), the library's `concepts()`
 * and the docs read that list.
 */
import type { ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { checkOptions, type Options, type OptionSpecs, type OptionValues } from '../options.js';
import type { ConceptSet } from './concept.js';

/** Images [count, H, W, C] in the model's range, with a name (a concept folder's). */
export interface ImageGroup {
  readonly name: string;
  readonly images: Float32Array;
  readonly count: number;
}

export interface ConceptContext<O extends OptionSpecs = OptionSpecs> {
  readonly model: VisModel;
  /** The data set, in the model's range: the class's images (CRAFT, TCAV), the images factorized (DFF). */
  readonly data: ImageSet;
  /** The layer; undefined: the method's default. */
  readonly layer?: string;
  /** The class explained; undefined when the method takes none or it is optional. */
  readonly classIndex?: number;
  /** Concept folders and the random pool (TCAV). */
  readonly groups?: { readonly concepts: readonly ImageGroup[]; readonly random?: ImageGroup };
  readonly options: Options<O>;
  readonly seed: number;
  readonly onProgress?: (p: {
    readonly phase: string;
    readonly done: number;
    readonly total: number;
  }) => void;
}

export interface ConceptMethod<O extends OptionSpecs = OptionSpecs> {
  /** The name on the command line and in files ('craft'). */
  readonly name: string;
  /** In prose ('CRAFT', 'Deep Feature Factorization'). */
  readonly title: string;
  /** The paper, by author and year. */
  readonly paper: string;
  /** What it finds, in one line. */
  readonly summary: string;
  /** Whether it explains one class: 'required' (CRAFT, TCAV), 'optional' (DFF: the class's images only). */
  readonly needsClass: 'required' | 'optional';
  /** It reads concept folders (TCAV's --concepts). */
  readonly folders?: boolean;
  readonly options: O;
  run(ctx: ConceptContext<O>): ConceptSet;
}

export type AnyConceptMethod = ConceptMethod<OptionSpecs>;

export function defineConcept<const O extends OptionSpecs>(m: ConceptMethod<O>): AnyConceptMethod {
  return m as unknown as AnyConceptMethod;
}

export interface ConceptsArgs {
  readonly layer?: string;
  readonly classIndex?: number;
  readonly groups?: ConceptContext['groups'];
  readonly options?: OptionValues;
  readonly seed?: number;
  readonly onProgress?: ConceptContext['onProgress'];
}

/** Runs a method: what it needs checked first, each in one line, its options checked against its spec. */
export function runConcepts(
  method: AnyConceptMethod,
  model: VisModel,
  data: ImageSet,
  args: ConceptsArgs = {},
): ConceptSet {
  if (method.needsClass === 'required' && args.classIndex == null)
    throw new DeepvisError(`${method.name} explains a class: give --class`);
  if (method.folders && !args.groups?.concepts.length)
    throw new DeepvisError(`${method.name} needs concept folders: give --concepts DIR[,DIR…]`);
  const options = checkOptions(method.options, args.options ?? {});
  return method.run({
    model,
    data,
    layer: args.layer,
    classIndex: args.classIndex,
    groups: args.groups,
    options,
    seed: args.seed ?? 0,
    onProgress: args.onProgress,
  });
}
