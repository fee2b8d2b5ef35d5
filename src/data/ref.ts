/**
 * DataRef: the one parsed form of the strings that name data on the command line and in files.
 *   a data set         mnist | fashion-mnist | a folder | an IDX file, optionally ':eval' or ':all'
 *                      (the split; top-k indexes record 'mnist:eval')
 *   images of a set    mnist:7, fashion-mnist:0-7 (the evaluation split, FROM-TO inclusive)
 *   an image file      anything else given as an input image
 */
import { DeepvisError } from '../errors.js';

export const BUILTIN_SETS = ['mnist', 'fashion-mnist', 'photos'] as const;
export type BuiltinSet = (typeof BUILTIN_SETS)[number];

export interface SetRef {
  readonly kind: 'set';
  readonly name: string;
  readonly split: 'eval' | 'all';
}

export interface ImagesRef {
  readonly kind: 'images';
  readonly set: BuiltinSet;
  /** First and last index, inclusive. */
  readonly from: number;
  readonly to: number;
}

export interface FileRef {
  readonly kind: 'file';
  readonly path: string;
}

export type DataRef = SetRef | ImagesRef | FileRef;

const IMAGES = new RegExp(`^(${BUILTIN_SETS.join('|')}):(\\d+)(?:-(\\d+))?$`);

/** An input image spec: images of a built-in set, or a file. */
export function parseImageRef(text: string): ImagesRef | FileRef {
  const m = IMAGES.exec(text);
  if (!m) return { kind: 'file', path: text };
  const [from, to] = [Number(m[2]), Number(m[3] ?? m[2])];
  if (to < from) throw new DeepvisError(`'${text}': the range ends before it starts`);
  return { kind: 'images', set: m[1] as BuiltinSet, from, to };
}

/** A data set with its split; `split` is the default when the text has none. */
export function parseSetRef(text: string, split: 'eval' | 'all' = 'eval'): SetRef {
  const m = /^(.*):(eval|all)$/.exec(text);
  return m
    ? { kind: 'set', name: m[1], split: m[2] as 'eval' | 'all' }
    : { kind: 'set', name: text, split };
}

export function formatRef(ref: DataRef): string {
  if (ref.kind === 'set') return `${ref.name}:${ref.split}`;
  if (ref.kind === 'file') return ref.path;
  return ref.from === ref.to ? `${ref.set}:${ref.from}` : `${ref.set}:${ref.from}-${ref.to}`;
}
