/**
 * Keras model files → VisModel. Recognizes the file by its first bytes — HDF5 (legacy Keras 2 .h5 /
 * .hdf5) or zip (Keras 3 .keras) — so a misnamed file still loads; reads config and weights,
 * converts a Keras 3 config to the Keras 2 form, checks and cleans it (prepare.ts), builds the tfjs
 * LayersModel, sets the weights (checked), attaches deepvis metadata and hands the model to
 * fromLayersModel, so every method treats it as a tfjs layers model. Works on bytes in memory,
 * the same in Node and in the browser (see h5module.ts for where h5wasm comes from).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../../../errors.js';
import { fromLayersModel } from '../../layers_adapter.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from '../../types.js';
import { assignWeights } from './assign.js';
import { readH5 } from './h5tree.js';
import { readKeras3 } from './keras3_file.js';
import { readLegacyH5, type KerasParts } from './legacy_h5.js';
import { registerKerasLayers } from './register.js';
import { prepareModel } from './prepare.js';

const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP = [0x50, 0x4b, 0x03, 0x04];

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  return bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
}

/** 'hdf5' | 'zip' | null. HDF5 allows a user block before the superblock (512, 1024, … bytes). */
export function kerasKind(bytes: Uint8Array): 'hdf5' | 'zip' | null {
  if (startsWith(bytes, ZIP)) return 'zip';
  for (let at = 0; at < bytes.length && at <= 1 << 16; at = at ? at * 2 : 512)
    if (startsWith(bytes, HDF5, at)) return 'hdf5';
  return null;
}

/** The tfjs LayersModel of a Keras file, weights set. The caller owns (disposes) it. */
export async function kerasLayersModel(bytes: Uint8Array, source: string): Promise<tf.LayersModel> {
  const kind = kerasKind(bytes);
  if (!kind) throw new DeepvisError(`${source}: not a Keras file (neither HDF5 nor a .keras zip)`);
  const parts: KerasParts =
    kind === 'hdf5'
      ? readLegacyH5(await readH5(bytes, source), source)
      : await readKeras3(bytes, source);
  registerKerasLayers();
  const topology = prepareModel(parts.topology, { source, kerasMajor: parts.kerasMajor });
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({
      modelTopology: topology,
    } as unknown as tf.io.ModelJSON);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
    throw new DeepvisError(`${source}: tfjs cannot build the model from its config: ${why}`);
  }
  try {
    assignWeights(model, parts.weights, source);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

export async function loadKeras(
  bytes: Uint8Array,
  source: string,
  meta: DeepvisMetadata,
  overrides: InputOverrides,
): Promise<VisModel> {
  const model = await kerasLayersModel(bytes, source);
  model.setUserDefinedMetadata({ deepvis: meta });
  try {
    return fromLayersModel(model, overrides);
  } catch (e) {
    model.dispose();
    throw e;
  }
}
