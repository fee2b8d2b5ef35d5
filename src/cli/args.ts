/**
 * argv → typed options. The only place where loose strings are parsed; everything past it gets
 * numbers, tuples and string-literal unions. Unknown flags and bad values are one-line errors.
 * The spec is the type: `parseArgs(argv, SPECS)` with `SPECS = {…} as const satisfies FlagSpecs`
 * gives `flags.steps: number | undefined`, `flags.method: 'erhan' | 'lucid'`, and a flag with a
 * default is never undefined — so commands need no casts. A default written as text ('0-35') is
 * parsed like the user's text.
 */
import { DeepvisError, printable } from '../errors.js';
import type { Options, OptionSpec, OptionSpecs, OptionType } from '../options.js';
import { MAX_LIST_ENTRIES } from './limits.js';

export type FlagType = OptionType;
export type FlagSpec = OptionSpec;
export type FlagSpecs = OptionSpecs;
/** Parsed flags of a spec (options.ts: the spec is the type). */
export type Flags<S extends FlagSpecs> = Options<S>;

export interface Parsed<S extends FlagSpecs = FlagSpecs> {
  flags: Flags<S>;
  positional: string[];
  /** The flags the user gave (the others hold their defaults, or nothing). */
  given: ReadonlySet<string>;
}

/**
 * "0-63", "1,4,9", "0-3,8" → [0,1,…]. The size is checked before anything is expanded, so
 * "0-10000000000" is one line, not an array that kills V8.
 */
export function parseIntList(text: string, name: string): number[] {
  const parts: Array<[number, number, string]> = [];
  let total = 0;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(-?\d+)(?:-(\d+))?$/.exec(part);
    if (!m)
      throw new DeepvisError(
        `--${name}: '${printable(part)}' is not a number or a range like 0-63`,
      );
    const a = Number(m[1]);
    const b = m[2] != null ? Number(m[2]) : a;
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b))
      throw new DeepvisError(`--${name}: ${part} is too large a number`);
    if (b < a) throw new DeepvisError(`--${name}: range ${part} runs backwards`);
    total += b - a + 1;
    if (total > MAX_LIST_ENTRIES) {
      throw new DeepvisError(
        `--${name} lists ${total > b - a + 1 ? 'more than ' : ''}${(b - a + 1).toLocaleString('en')} entries${total > b - a + 1 ? ' in all' : ''}; the limit is ${MAX_LIST_ENTRIES.toLocaleString('en')}`,
      );
    }
    parts.push([a, b, part]);
  }
  const out: number[] = [];
  for (const [a, b] of parts) for (let i = a; i <= b; i++) out.push(i);
  if (out.length === 0) throw new DeepvisError(`--${name} is empty`);
  return out;
}

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new DeepvisError(`--${name} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
      }
      return raw;
    case 'int': {
      const v = Number(raw);
      if (!Number.isSafeInteger(v))
        throw new DeepvisError(`--${name} must be an integer; got '${raw}'`);
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new DeepvisError(`--${name} must be a number; got '${raw}'`);
      return v;
    }
    case 'bool':
      return raw !== 'false' && raw !== '0';
    case 'ints':
      return raw === 'all' ? 'all' : parseIntList(raw, name);
    case 'numbers':
    case 'range': {
      const v = raw.split(',').map(Number);
      if (v.some((x) => !Number.isFinite(x)))
        throw new DeepvisError(`--${name} must be numbers separated by commas; got '${raw}'`);
      if (spec.type === 'range' && (v.length !== 2 || v[0] >= v[1])) {
        throw new DeepvisError(`--${name} must be LO,HI with LO < HI; got '${raw}'`);
      }
      return v;
    }
  }
}

export function parseArgs<S extends FlagSpecs>(argv: readonly string[], specs: S): Parsed<S> {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    const spec = specs[name];
    if (!spec) {
      throw new DeepvisError(
        `unknown option --${name}; known: ${Object.keys(specs)
          .map((k) => '--' + k)
          .join(' ')}`,
      );
    }
    let raw: string;
    if (eq > 0) raw = arg.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      if (i + 1 >= argv.length) throw new DeepvisError(`--${name} needs a value`);
      raw = argv[++i];
    }
    const value = convert(name, spec, raw);
    if (spec.min != null && typeof value === 'number' && !(value >= spec.min))
      throw new DeepvisError(`--${name} must be at least ${spec.min}`);
    flags[name] = value;
    given.add(name);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (name in flags || spec.default === undefined) continue;
    flags[name] =
      typeof spec.default === 'string' && spec.type !== 'string'
        ? convert(name, spec, spec.default)
        : spec.default;
  }
  return { flags: flags as Flags<S>, positional, given };
}

/** One help line per flag: name, help, choices, default. */
export function flagLines(specs: FlagSpecs): string[] {
  return Object.entries(specs).map(([name, s]) => {
    const def =
      s.default !== undefined
        ? ` (default ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`
        : '';
    const choices = s.choices ? ` [${s.choices.join('|')}]` : '';
    return `  --${name.padEnd(16)} ${s.help}${choices}${def}`;
  });
}

export function usage(command: string, synopsis: string, specs: FlagSpecs): string {
  return `usage: deepvis ${command} ${synopsis}\n${flagLines(specs).join('\n')}`;
}

/** The flag's value, refused in one line when not given. */
export function required<
  T = never,
  F extends object = Record<string, unknown>,
  K extends keyof F & string = keyof F & string,
>(flags: F, name: K): [T] extends [never] ? NonNullable<F[K]> : T {
  const v = (flags as Record<string, unknown>)[name];
  if (v === undefined) throw new DeepvisError(`--${name} is required`);
  return v as [T] extends [never] ? NonNullable<F[K]> : T;
}

/** Flags that must be at least 1 when given (step counts, restarts, samples…). */
export function positive<F extends object>(flags: F, ...names: Array<keyof F & string>): void {
  for (const k of names) {
    const v = (flags as Record<string, unknown>)[k] as number | undefined;
    if (v != null && !(v >= 1)) throw new DeepvisError(`--${k} must be at least 1`);
  }
}

/** An --units value for a layer of `count` units: the list, every unit for 'all', else the first `first`. */
export function unitList(
  value: number[] | 'all' | undefined,
  count: number,
  first = count,
): number[] {
  if (value === 'all') return Array.from({ length: count }, (_, u) => u);
  return value ?? Array.from({ length: Math.min(first, count) }, (_, u) => u);
}
