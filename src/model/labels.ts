/**
 * Class names from wherever the user has them: the model (tfjs metadata, Keras config), the
 * sidecar (deepvis.json), a `--labels FILE` (one name a line, or a JSON list: for a model folder
 * the user cannot write into), or the data set the model is shown with. One helper puts them on
 * the model, so the atlas's model page, the unit pages, the app's predictions and `--units
 * happy,sad` all read the same names.
 */
import { DeepvisError, printable } from '../errors.js';
import type { VisModel } from './types.js';

/** How many classes the model scores: the units of its last layer. */
export const classCount = (model: VisModel): number =>
  model.layers[model.layers.length - 1]?.units ?? 0;

/** `model` with `labels` as its class names (`from` is recorded for inspect and the atlas); the count must match. */
export function withLabels(model: VisModel, labels: readonly string[], from: string): VisModel {
  const n = classCount(model);
  if (labels.length !== n)
    throw new DeepvisError(`${from} names ${labels.length} classes; the model scores ${n}`);
  return withFields(model, { labels, metadata: { ...model.metadata, labels, labelsFrom: from } });
}

/**
 * `model` with some fields replaced, its getters kept live. A spread would call every getter: an
 * ONNX model's engines would be frozen as they were, and its rule-set routes would build gradient
 * graphs (reading a 346 MB file twice more while loading ViT-B/16).
 */
export function withFields(model: VisModel, fields: Partial<VisModel>): VisModel {
  const copy = Object.create(
    Object.getPrototypeOf(model) as object,
    Object.getOwnPropertyDescriptors(model),
  ) as VisModel;
  for (const [k, value] of Object.entries(fields))
    Object.defineProperty(copy, k, { value, enumerable: true });
  return copy;
}

/** A data set's class names as the model's when it has none and they fit (else the model as it is). */
export function withDatasetLabels(
  model: VisModel,
  names: readonly string[] | null | undefined,
  spec: string,
): VisModel {
  if (model.labels || !names || names.length !== classCount(model)) return model;
  return withLabels(model, names, `the data set (${spec})`);
}

/** A labels file: a JSON list of strings, or one name a line (blank lines and a trailing newline ignored). */
export function parseLabelsFile(text: string, file: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new DeepvisError(
        `--labels ${printable(file)}: not valid JSON (${(e as Error).message})`,
      );
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw new DeepvisError(
        `--labels ${printable(file)}: a JSON labels file must be a list of strings`,
      );
    return v as string[];
  }
  const names = t
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (names.length === 0) throw new DeepvisError(`--labels ${printable(file)} is empty`);
  return names;
}

/**
 * Unit names → class indices ("happy,sad" → [3, 4]): exact, then case-insensitive; numbers and
 * ranges pass through. One line naming the unknown name and the known ones.
 */
export function classUnits(text: string, model: VisModel): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const out: number[] = [];
  for (const part of parts) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (range) {
      for (let u = Number(range[1]); u <= Number(range[2] ?? range[1]); u++) out.push(u);
      continue;
    }
    if (!model.labels)
      throw new DeepvisError(
        `--units ${printable(part)}: the model names no classes (give --labels FILE, or labels in a deepvis.json next to the model)`,
      );
    let i = model.labels.indexOf(part);
    if (i < 0) i = model.labels.findIndex((l) => l.toLowerCase() === part.toLowerCase());
    if (i < 0)
      throw new DeepvisError(
        `--units: '${printable(part)}' is not a class name; the classes are ${model.labels.slice(0, 20).join(', ')}${model.labels.length > 20 ? ', …' : ''}`,
      );
    out.push(i);
  }
  if (out.length === 0) throw new DeepvisError('--units is empty');
  return out;
}

/** Whether an --units value names classes (so it is resolved once the model is loaded). */
export const namesClasses = (text: string): boolean =>
  text.trim() !== 'all' &&
  text.split(',').some((p) => p.trim() && !/^-?\d+(?:-\d+)?$/.test(p.trim()));

/** The class a unit stands for: a name when `layer` scores the classes (the output or logits layer) and names are known. */
export function classNameOf(model: VisModel, layer: string, unit: number): string | null {
  const isClass =
    layer === model.layers[model.layers.length - 1]?.name || layer === model.logitsLayer;
  return isClass ? (model.labels?.[unit] ?? null) : null;
}
