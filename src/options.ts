/**
 * Options declared once, as data: a method owns its options (type, help, choices, bounds, the
 * library's default), and the CLI turns them into flags, `--method M --help` lists them, the web
 * app and the docs read them. The spec is the type: `Options<typeof SPECS>` is the parsed object
 * (`steps: number | undefined`, `param: 'fourier' | 'pixels'`; a value with a default is never
 * undefined). Parsing loose text into these values happens only in the CLI (cli/args.ts).
 */

import { DeepvisError } from './errors.js';

export type OptionType = 'string' | 'int' | 'number' | 'bool' | 'range' | 'ints' | 'numbers';

export interface OptionSpec {
  readonly type: OptionType;
  readonly help: string;
  readonly default?: unknown;
  readonly choices?: readonly string[];
  /** The smallest value allowed (checked before any work: `--restarts must be at least 1`). */
  readonly min?: number;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The value an option of type T parses to. */
export type OptionValueOf<T extends OptionType> = T extends 'string'
  ? string
  : T extends 'int' | 'number'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'range'
        ? [number, number]
        : T extends 'ints'
          ? number[] | 'all'
          : number[];

type ValueOfSpec<F extends OptionSpec> = F extends {
  readonly type: 'string';
  readonly choices: readonly (infer C)[];
}
  ? C
  : OptionValueOf<F['type']>;

/** Parsed options of a spec: each option's value type; optional unless it has a default (or is a bool). */
export type Options<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends { readonly default: unknown }
    ? ValueOfSpec<S[K]>
    : S[K] extends { readonly type: 'bool' }
      ? boolean | undefined
      : ValueOfSpec<S[K]> | undefined;
};

/** Options given loosely (a caller's partial object, the CLI's parsed flags): checked by their owner. */
export type OptionValues = Readonly<Record<string, unknown>>;

/**
 * A caller's options checked against their spec, declared defaults filled in: an unknown name or a
 * value below its `min` is one line (the CLI checks flags the same way as it parses them).
 */
export function checkOptions<S extends OptionSpecs>(specs: S, values: OptionValues): Options<S> {
  for (const [name, v] of Object.entries(values)) {
    const spec = specs[name];
    if (!spec)
      throw new DeepvisError(
        `unknown option '${name}'; known: ${Object.keys(specs).join(', ') || 'none'}`,
      );
    if (spec.min != null && typeof v === 'number' && !(v >= spec.min))
      throw new DeepvisError(`${name} must be at least ${spec.min}; got ${v}`);
  }
  const defaults = Object.entries(specs)
    .filter(([, s]) => s.default !== undefined)
    .map(([k, s]) => [k, s.default]);
  return { ...Object.fromEntries(defaults), ...values } as Options<S>;
}

/** The values a spec knows, of a set meant for several owners (one option set over a list of methods). */
export const pickOptions = (specs: OptionSpecs, values: OptionValues): OptionValues =>
  Object.fromEntries(Object.entries(values).filter(([k]) => k in specs));
