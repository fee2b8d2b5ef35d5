/**
 * The CLI's side of targets and ground truth: --target in the one vocabulary of
 * objectives/target.ts (cosine:REF takes its reference embedding from a .npy file or a JSON array
 * of numbers — a CLIP text embedding computed elsewhere — or embeds an image, a file or DATASET:N,
 * at the target layer), --feature-mask (a PNG
 * whose grey levels label the interpretable features of LIME, KernelSHAP and ablation) and --masks
 * (a folder of ground-truth masks for the localisation metrics, one PNG per input, named after it:
 * `cat.png` for cat.jpg, `mnist_3.png` for mnist:3). A mask that is missing or of another size is
 * one line naming the file, before any work.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeepvisError } from '../errors.js';
import { decodeImage } from '../io/image.js';
import type { VisModel } from '../model/types.js';
import { parseReading, TARGET_VOCABULARY, type TargetReading } from '../objectives/target.js';
import type { FlagSpecs } from './args.js';
import { referencesFrom } from './reference.js';

export const READING_FLAGS = {
  target: {
    type: 'string',
    help: `what the map explains: ${TARGET_VOCABULARY} (REFERENCE: a .npy file, a JSON array, or an image embedded at the target layer)`,
    default: 'logit',
  },
} as const satisfies FlagSpecs;

/**
 * --target parsed; cosine:REF reads REF.npy (io/npy.ts) or REF.json (an array of numbers, nested
 * arrays flattened), else takes REF as an image and its activations at `layer` as the reference.
 */
export async function readingFrom(
  text: string,
  model: VisModel,
  layer: string,
): Promise<TargetReading> {
  let reference: Float32Array | undefined;
  if (text.startsWith('cosine:') && text.length > 'cosine:'.length) {
    // The whole output, flattened (a spatial layer's every position): the reading compares it so.
    const info = model.layer(layer);
    const [v, ...more] = await referencesFrom(
      text.slice('cosine:'.length),
      model,
      info,
      info.outputShape.reduce((p, d) => p * d, 1),
    );
    if (more.length)
      throw new DeepvisError(
        `--target ${text} holds ${more.length + 1} reference vectors; attribution explains one`,
      );
    reference = Float32Array.from(v);
  }
  return parseReading(text, () => reference!);
}

/** A label per pixel from a PNG's first channel (its grey levels), checked against the model's input size. */
export async function featureMaskFrom(file: string, model: VisModel): Promise<Int32Array> {
  const [h, w] = model.input.shape;
  const img = await decodeImage(file);
  const [ih, iw, c] = img.shape;
  if (ih !== h || iw !== w)
    throw new DeepvisError(`--feature-mask ${file} is ${ih}×${iw}; the model's input is ${h}×${w}`);
  return Int32Array.from({ length: h * w }, (_, p) => Math.round(img.data[p * c] * 255));
}

/** The file name a mask of input `name` has: the name with ':' and '/' as '_', then .png. */
export const maskFileOf = (name: string): string => `${name.replace(/[:/\\]/g, '_')}.png`;

/** Ground-truth masks [N·H·W] (1 where the mask's grey level is at least half) for the inputs `names`. */
export async function masksFrom(
  dir: string,
  names: readonly string[],
  h: number,
  w: number,
): Promise<Uint8Array> {
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat?.isDirectory()) throw new DeepvisError(`--masks ${dir} is not a folder`);
  const out = new Uint8Array(names.length * h * w);
  for (const [i, name] of names.entries()) {
    const file = path.join(dir, maskFileOf(name));
    if (!(await fs.stat(file).catch(() => null)))
      throw new DeepvisError(
        `--masks ${dir} has no mask for input ${name} (expected ${maskFileOf(name)})`,
      );
    const img = await decodeImage(file);
    const [mh, mw, c] = img.shape;
    if (mh !== h || mw !== w)
      throw new DeepvisError(`mask ${maskFileOf(name)} is ${mh}×${mw}; input ${name} is ${h}×${w}`);
    for (let p = 0; p < h * w; p++) out[i * h * w + p] = img.data[p * c] >= 0.5 ? 1 : 0;
  }
  return out;
}
