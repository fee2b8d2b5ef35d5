/**
 * What the method commands read from their flags: the layer and units of a request, the data set
 * in the model's range, and an input image (a file, or DATASET:INDEX for an image of a data set).
 */
import * as tf from '@tensorflow/tfjs';
import { checkInputRange } from '../analysis/range_check.js';
import { batchTensor, toRange, type ImageSet } from '../data/dataset.js';
import { loadDataSplit, loadEvalSet } from '../data/load.js';
import { formatRef, parseImageRef, parseSetRef } from '../data/ref.js';
import { unitLayerOf } from '../model/tokens.js';
import { DeepvisError, printable } from '../errors.js';
import { decodeImage, describeFit, probeImage, type FitMode, type InputFit } from '../io/image.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { unitList, type Flags } from './args.js';
import { optimizedLayer } from '../model/layer_lookup.js';
import { centreNeuron, parseNeuron } from '../objectives/neuron.js';
import { checkUnits } from '../objectives/units.js';

export interface UnitFlags {
  /** The layer optimized (the pre-activation twin when --pre applies). */
  layer: LayerInfo;
  /** The layer as named by the user. */
  base: LayerInfo;
  neuron?: [number, number];
  units: number[];
}

export const UNIT_FLAGS = {
  layer: { type: 'string', help: 'layer name or index' },
  units: { type: 'ints', help: "units/channels, e.g. 0-63 or 1,5,9, or 'all'", default: 'all' },
  neuron: {
    type: 'string',
    help: "one spatial neuron x,y or 'center' of a conv channel instead of its mean ('max' needs an input image)",
  },
  pre: {
    type: 'string',
    help: 'optimize the pre-activation of a layer with a fused monotonic activation (auto: yes for relu, elu, sigmoid, tanh, …)',
    choices: ['auto', 'yes', 'no'],
    default: 'auto',
  },
} as const;

/** The parsed UNIT_FLAGS a command passes on (`layer` is given to unitsFrom apart: some commands list several). */
export type UnitFlagValues = Partial<Pick<Flags<typeof UNIT_FLAGS>, 'units' | 'neuron' | 'pre'>>;

export function unitsFrom(flags: UnitFlagValues, model: VisModel, layerRef: string): UnitFlags {
  const spec = flags.neuron ? parseNeuron(flags.neuron) : undefined;
  if (spec === 'max')
    throw new DeepvisError(
      "--neuron max is each image's strongest position, and this command starts from no image: use center or x,y",
    );
  const base = unitLayerOf(model, layerRef);
  if (base.name !== model.layer(layerRef).name)
    console.log(
      `${layerRef} is a transformer block: its units are its MLP's GELU layer, ${base.name} (Ghiasi et al. 2022)`,
    );
  // Same maximizer (the activation is monotonic), but no dead ReLU at the start and no saturated
  // sigmoid at the end, where the gradient vanishes and the image stops improving.
  const layer = optimizedLayer((r) => model.layer(r), base.name, flags.pre ?? 'auto');
  let neuron: [number, number] | undefined;
  if (spec === 'center') {
    if (layer.outputShape.length !== 3)
      throw new DeepvisError(`--neuron needs a convolutional layer; '${base.name}' is flat`);
    neuron = centreNeuron(layer);
  } else if (spec) neuron = [spec[0], spec[1]];
  const units = unitList(flags.units, layer.units);
  checkUnits(layer, units, { neuron });
  return { layer, base, neuron, units };
}

/** The data set the model says it was trained on, if it says. */
const ownDataset = (model: VisModel): string | undefined =>
  typeof model.metadata.dataset === 'string' ? model.metadata.dataset : undefined;

/** The data set a command will read: `spec`, else the model's own; undefined when neither says. */
export const dataSpecFor = (model: VisModel, spec?: string): string | undefined =>
  spec ?? ownDataset(model);

/** The evaluation split of `spec` (or of the model's own data set), in the model's value range. */
export async function evalSetFor(model: VisModel, spec?: string): Promise<ImageSet | null> {
  const name = dataSpecFor(model, spec);
  if (!name) return null;
  const set = await loadEvalSet(name, model.input.shape, 0);
  checkFeeding(model, set, name);
  return toRange(set, model.input.range);
}

/**
 * A data set at hand checks the value range and normalization the model is fed (a wrong
 * --input-range flips predictions silently): one stderr line naming the fix. Once per data set and
 * setting: a command that reloads its data set does not check (or say) it twice.
 */
function checkFeeding(model: VisModel, set01: ImageSet, spec: string): void {
  const n = model.input.normalize;
  const key = [spec, model.input.range.join(), n ? `${n.mean.join()}/${n.std.join()}` : ''].join(
    '\u0000',
  );
  if (rangeChecked.has(key)) return;
  rangeChecked.add(key);
  const warning = checkInputRange(model, set01, spec)?.warning;
  if (warning) process.stderr.write(`warning: ${printable(warning)}\n`);
}

/**
 * An input image in the model's range and channel count: a file, or DATASET:INDEX. At the model's
 * H×W unless `nativeSize` (DeepDream works on the photo's own size).
 */
export async function imageFrom(
  spec: string,
  model: VisModel,
  nativeSize = false,
): Promise<tf.Tensor3D> {
  const [h, w, c] = model.input.shape;
  const [lo, hi] = model.input.range;
  const ref = parseImageRef(spec);
  if (ref.kind === 'images') {
    if (ref.to !== ref.from)
      throw new DeepvisError(
        `'${spec}' names ${ref.to - ref.from + 1} images; give one (${ref.set}:${ref.from})`,
      );
    const set = (await evalSetFor(model, ref.set))!;
    const i = ref.from;
    if (i >= set.count)
      throw new DeepvisError(
        `${ref.set} has ${set.count} evaluation images; index ${i} is out of range`,
      );
    return tf.tidy(() => batchTensor(set, i, i + 1).squeeze([0]) as tf.Tensor3D);
  }
  let target: { height: number; width: number; channels: number } = {
    height: h,
    width: w,
    channels: c,
  };
  if (nativeSize) {
    // The header gives the size: the photo is decoded once, already downscaled.
    const probe = await probeImage(spec);
    const scale = Math.min(1, 512 / Math.max(probe.height, probe.width));
    target = {
      height: Math.max(h, Math.round(probe.height * scale)),
      width: Math.max(w, Math.round(probe.width * scale)),
      channels: c,
    };
  }
  const px = await decodeImage(spec, target, nativeSize ? 'cover' : inputFitting.mode);
  if (px.fit) {
    const note = describeFit(printable(spec), px.fit);
    if (note) console.log(`input ${note}`);
    inputFitting.record.push({ file: spec, ...px.fit, said: note });
  }
  return tf.tidy(
    () =>
      tf
        .tensor3d(px.data, px.shape)
        .mul(hi - lo)
        .add(lo) as tf.Tensor3D,
  );
}

/**
 * How this command fits input files to the model (--fit, set with the model) and what was done to
 * each: said on stdout as it happens and recorded in the command's JSON (`inputFit`).
 */
export const inputFitting: {
  mode: FitMode;
  record: Array<InputFit & { file: string; said: string | null }>;
} = { mode: 'cover', record: [] };

/**
 * How a command starts reading inputs (modelFrom calls it): its --fit, and an empty record, so a
 * second command in one process (the demo, the tests) does not report the first one's files.
 */
export function startInputFitting(mode: FitMode): void {
  inputFitting.mode = mode;
  inputFitting.record = [];
}

/** The JSON field every command that reads input images writes: each file's fit (empty: none was refitted or read). */
export const inputFitJson = (): { inputFit: typeof inputFitting.record } => ({
  inputFit: [...inputFitting.record],
});

export interface InputImages {
  /** [N, H, W, C] in the model's range. Caller disposes. */
  images: tf.Tensor4D;
  /** One short name per image (file stem or DATASET:INDEX). */
  names: string[];
  /** Labels when the images come from a labelled data set. */
  labels: Array<number | null>;
}

/** Comma-separated images: files, DATASET:INDEX, or DATASET:FROM-TO (e.g. mnist:0-7). */
export async function imagesFrom(spec: string, model: VisModel): Promise<InputImages> {
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new DeepvisError('--input is empty');
  const tensors: tf.Tensor3D[] = [];
  const names: string[] = [];
  const labels: Array<number | null> = [];
  try {
    for (const part of parts) {
      const ref = parseImageRef(part);
      if (ref.kind === 'images') {
        const set = (await evalSetFor(model, ref.set))!;
        if (ref.to >= set.count)
          throw new DeepvisError(
            `${ref.set} has ${set.count} evaluation images; ${ref.from}-${ref.to} is out of range`,
          );
        for (let i = ref.from; i <= ref.to; i++) {
          tensors.push(tf.tidy(() => batchTensor(set, i, i + 1).squeeze([0]) as tf.Tensor3D));
          names.push(formatRef({ ...ref, from: i, to: i }));
          labels.push(set.labels ? set.labels[i] : null);
        }
        continue;
      }
      tensors.push(await imageFrom(part, model));
      names.push(part.replace(/^.*\//, '').replace(/\.[^.]+$/, ''));
      labels.push(null);
    }
    return { images: tf.stack(tensors) as tf.Tensor4D, names, labels };
  } finally {
    tf.dispose(tensors);
  }
}

export const DATA_FLAGS = {
  data: {
    type: 'string',
    help: "data set: mnist, fashion-mnist, photos (64×64 colour crops of skimage's photographs), a folder of images, or an IDX file (default: the model's own)",
  },
  split: {
    type: 'string',
    help: "which images: 'eval' (the held-out split) or 'all'",
    choices: ['eval', 'all'],
    default: 'eval',
  },
} as const;

/** The data set named by --data/--split in the model's range (the model's own set when not given). */
export async function dataFrom(
  flags: Partial<Flags<typeof DATA_FLAGS>>,
  model: VisModel,
): Promise<{ set: ImageSet; spec: string }> {
  const spec = flags.data ?? ownDataset(model);
  if (!spec)
    throw new DeepvisError(
      '--data is required: the model does not say which data set it was trained on',
    );
  const split = await loadDataSplit(spec, model.input.shape, 0);
  const set = flags.split === 'all' ? concatSets(split.test, split.train) : split.test;
  if (set.shape.join() !== model.input.shape.join()) {
    throw new DeepvisError(
      `data set '${spec}' has images [${set.shape.join(', ')}]; the model takes [${model.input.shape.join(', ')}]`,
    );
  }
  checkFeeding(model, set, spec);
  return {
    set: toRange(set, model.input.range),
    spec: formatRef({ kind: 'set', name: spec, split: flags.split === 'all' ? 'all' : 'eval' }),
  };
}

const rangeChecked = new Set<string>();

/** Reloads a data set recorded in a top-k index ("mnist:eval"). */
export async function dataFromSpec(spec: string, model: VisModel): Promise<ImageSet> {
  const ref = parseSetRef(spec);
  return (await dataFrom({ data: ref.name, split: ref.split }, model)).set;
}

function concatSets(a: ImageSet, b: ImageSet): ImageSet {
  const images = new Float32Array(a.images.length + b.images.length);
  images.set(a.images);
  images.set(b.images, a.images.length);
  const labels = a.labels && b.labels ? Int32Array.from([...a.labels, ...b.labels]) : null;
  return { ...a, name: a.name.replace(/\/test$/, ''), images, labels, count: a.count + b.count };
}
