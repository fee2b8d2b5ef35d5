/**
 * One model file's bytes → VisModel, whatever the format: ONNX (PyTorch's export), Keras (.h5 /
 * .hdf5 legacy files and .keras zips, loaded as tfjs layers), told apart by name and magic bytes.
 * Shared by the Node loader (io/model_files.ts) and the page (dropped files). Also the sidecar
 * (deepvis.json next to a model: range, mean/std, channel order, class names) and the defaults
 * a model that says nothing gets.
 */
import type { ForwardRunnerFactory } from '../engine/forward_runner.js';
import { DeepvisError } from '../errors.js';
import { loadKeras, kerasKind } from './formats/keras/load.js';
import type { ExternalReader } from './formats/onnx/decode.js';
import { loadOnnx } from './formats/onnx/load.js';
import { IMAGENET_CLASSES } from './imagenet_classes.js';
import { withFields } from './labels.js';
import { pytorchCheckpoint } from './pytorch.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from './types.js';

export type ModelFileKind = 'onnx' | 'keras' | 'tfjs';

/** What a file holds, from its name and first bytes; null when it is none of the formats. */
export function modelFileKind(name: string, bytes: Uint8Array): ModelFileKind | null {
  const lower = name.toLowerCase();
  if (kerasKind(bytes) || /\.(h5|hdf5|keras)$/.test(lower)) return 'keras';
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.json')) return 'tfjs';
  return null;
}

/** A model that is one file (plus its sidecar and external data): ONNX or Keras. */
export const SINGLE_FILE_MODEL = /\.(onnx|h5|hdf5|keras)$/i;

export async function visModelFromBytes(
  bytes: Uint8Array,
  source: string,
  readExternal: ExternalReader,
  meta: DeepvisMetadata = {},
  overrides: InputOverrides = {},
  runners?: ForwardRunnerFactory,
): Promise<VisModel> {
  if (/\.(pt|pth)$/i.test(source)) throw pytorchCheckpoint(source);
  const kind = modelFileKind(source, bytes);
  if (kind === 'keras')
    return withDefaults({ ...(await loadKeras(bytes, source, meta, overrides)), format: 'keras' });
  if (kind === 'onnx')
    return withDefaults(await loadOnnx(bytes, source, readExternal, meta, overrides, runners));
  throw new DeepvisError(
    `${source} is not a model file deepvis reads (ONNX .onnx, Keras .h5/.hdf5/.keras, or a tfjs model.json)`,
  );
}

/** A 1000-class model that names no classes gets ImageNet's (inspect says it is an assumption). */
export function withDefaults(model: VisModel): VisModel {
  if (model.labels) return model;
  const out = model.layers[model.layers.length - 1];
  if (out?.outputShape.length !== 1 || out.units !== 1000) return model;
  return withFields(model, {
    labels: IMAGENET_CLASSES,
    metadata: {
      ...model.metadata,
      labelsFrom: 'assumed: ImageNet-1k (1000 outputs, no names in the model)',
    },
  });
}

const ORDERS = ['gray', 'rgb', 'bgr'];

/** deepvis.json → metadata, every field checked; unknown fields are refused (a typo would be silent). */
export function parseSidecar(text: string, source: string): DeepvisMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DeepvisError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (json == null || typeof json !== 'object' || Array.isArray(json))
    throw new DeepvisError(`${source}: must be a JSON object`);
  const o = json as Record<string, unknown>;
  const bad = (field: string, want: string) =>
    new DeepvisError(`${source}: '${field}' must be ${want}`);
  const nums = (v: unknown) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    switch (k) {
      case 'inputRange':
        if (!nums(v) || (v as number[]).length !== 2 || (v as number[])[0] >= (v as number[])[1])
          throw bad(k, '[low, high] with low < high');
        break;
      case 'mean':
      case 'std':
        if (!nums(v)) throw bad(k, 'a list of numbers (one per channel)');
        break;
      case 'imageShape':
        if (
          !nums(v) ||
          (v as number[]).length !== 3 ||
          (v as number[]).some((d) => !Number.isInteger(d) || d <= 0)
        )
          throw bad(k, '[H, W, C]');
        break;
      case 'channelOrder':
        if (typeof v !== 'string' || !ORDERS.includes(v))
          throw bad(k, `one of ${ORDERS.join(', ')}`);
        break;
      case 'labels':
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          throw bad(k, 'a list of class names');
        break;
      case 'logitsLayer':
        if (typeof v !== 'string') throw bad(k, 'a layer name');
        break;
      default:
        throw new DeepvisError(
          `${source}: unknown field '${k}' (known: inputRange, mean, std, imageShape, channelOrder, labels, logitsLayer)`,
        );
    }
    meta[k] = v;
  }
  return meta as DeepvisMetadata;
}
