/**
 * A registry's method options as flags: the union every method's options (parsing accepts any of
 * them; one name means one type everywhere), the check that a given option belongs to a chosen
 * method, the options a method gets from the flags, and the help — every method's options under
 * its name, or one method's alone (`maximize --method lucid --help`).
 */
import { DeepvisError } from '../errors.js';
import type { OptionSpecs, OptionValues } from '../options.js';
import { flagLines, type FlagSpecs } from './args.js';

/** What a registry row shows the CLI. */
export interface MethodRow {
  readonly name: string;
  readonly options: OptionSpecs;
  /** One line: what it is and where it comes from. */
  readonly about: string;
}

/** Every method's options as one flag spec; an option two methods declare with different types is a bug, refused here. */
export function methodFlags(methods: readonly MethodRow[], common: FlagSpecs): FlagSpecs {
  const out: Record<string, FlagSpecs[string]> = {};
  for (const m of methods) {
    for (const [name, spec] of Object.entries(m.options)) {
      if (name in common)
        throw new Error(`${m.name}'s option --${name} is a flag every method has`);
      const known = out[name];
      if (known && (known.type !== spec.type || String(known.choices) !== String(spec.choices)))
        throw new Error(`--${name} means two things: ${m.name}'s differs from another method's`);
      out[name] ??= spec;
    }
  }
  return out;
}

/** Refuses a given option no chosen method owns, naming the methods that do and what the chosen ones take. */
export function checkMethodFlags(
  given: ReadonlySet<string>,
  chosen: readonly MethodRow[],
  all: readonly MethodRow[],
): void {
  for (const flag of given) {
    const owners = all.filter((m) => flag in m.options);
    if (owners.length === 0 || owners.some((m) => chosen.some((c) => c.name === m.name))) continue;
    const takes = [...new Set(chosen.flatMap((m) => Object.keys(m.options)))].map((k) => `--${k}`);
    throw new DeepvisError(
      `--${flag} is an option of ${owners.map((m) => m.name).join(', ')}; --method ${chosen.map((m) => m.name).join(',')} takes ${takes.length ? takes.join(', ') : 'no options of its own'}`,
    );
  }
}

/** The method's options out of the parsed flags (the given ones and their declared defaults). */
export function optionsOf(
  method: Pick<MethodRow, 'options'>,
  flags: Readonly<Record<string, unknown>>,
): OptionValues {
  return Object.fromEntries(
    Object.keys(method.options)
      .filter((k) => flags[k] !== undefined)
      .map((k) => [k, flags[k]]),
  );
}

/** The help: the common flags, then every method's own (or only `chosen`'s) under its name. */
export function methodHelp(
  command: string,
  synopsis: string,
  common: FlagSpecs,
  methods: readonly MethodRow[],
  chosen?: string,
): string {
  const shown = chosen ? methods.filter((m) => m.name === chosen) : methods;
  const sections = shown.map((m) => {
    const own = flagLines(m.options);
    return [
      `--method ${m.name}: ${m.about}`,
      ...(own.length ? own : ['  (no options of its own)']),
    ].join('\n');
  });
  const more = chosen ? '' : `\n(--method NAME --help shows one method's options)`;
  return `usage: deepvis ${command} ${synopsis}\n${flagLines(common).join('\n')}\n\n${sections.join('\n\n')}${more}`;
}

/** The --method value in argv (`--method X` or `--method=X`), for the help. */
export function methodIn(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--method' || a.startsWith('--method='));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice('--method='.length) : argv[i + 1];
}
