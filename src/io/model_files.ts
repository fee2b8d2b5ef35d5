/**
 * Models on disk (Node): read model.json + weight shards in either tfjs format (a directory holding
 * model.json, or the .json file itself, whatever its shards are called), and save LayersModels with
 * deepvis metadata.
 */
import { onnxRuntimeRunner } from '../engine/onnxruntime.js';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DeepvisError, printable } from '../errors.js';
import { visModelFromArtifacts } from '../model/from_artifacts.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from '../model/types.js';
import { memoryBudget } from '../engine/memory.js';
import { writeFilesAtomic } from './atomic.js';
import { budgetLimit, readRegular, readRegularSync } from './fence.js';
import { insideFolder, manifestGroups } from './model_manifest.js';
import { pytorchCheckpoint } from '../model/pytorch.js';
import {
  modelFileKind,
  parseSidecar,
  SINGLE_FILE_MODEL,
  visModelFromBytes,
  withDefaults,
} from '../model/from_bytes.js';

/**
 * The model file a path names: the file itself, or in a folder its model.json, else its one
 * .onnx / .h5 / .hdf5 / .keras file, else its one .json (other than the deepvis.json sidecar).
 */
export async function resolveModelJson(modelPath: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(modelPath);
  } catch {
    throw new DeepvisError(`model not found: ${printable(modelPath)}`);
  }
  if (!stat.isDirectory()) return modelPath;
  const names = await fs.readdir(modelPath);
  if (names.includes('model.json')) return path.join(modelPath, 'model.json');
  const single = names.filter((f) => SINGLE_FILE_MODEL.test(f));
  if (single.length === 1) return path.join(modelPath, single[0]);
  const jsons = names.filter((f) => f.endsWith('.json') && f !== SIDECAR);
  if (single.length === 0 && jsons.length === 1) return path.join(modelPath, jsons[0]);
  const pt = names.find((f) => /\.(pt|pth)$/i.test(f));
  if (single.length === 0 && pt) throw pytorchCheckpoint(printable(path.join(modelPath, pt)));
  throw new DeepvisError(
    `no model file in ${printable(modelPath)} (looked for model.json, one .onnx, .h5, .hdf5 or .keras file)`,
  );
}

export const SIDECAR = 'deepvis.json';

/** The deepvis.json next to a model file, if there is one (checked to be inside the folder). */
export async function readSidecar(modelFile: string): Promise<DeepvisMetadata> {
  const dir = path.dirname(modelFile);
  const file = path.join(dir, SIDECAR);
  try {
    await fs.lstat(file);
  } catch {
    return {};
  }
  const real = await insideFolder(dir, SIDECAR, modelFile);
  return parseSidecar(
    (await readRegular(real, 'model sidecar', { maxBytes: 16 << 20 })).toString('utf8'),
    printable(file),
  );
}

export async function readModelArtifacts(modelPath: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = await resolveModelJson(modelPath);
  let json: tf.io.ModelJSON;
  const text = (await readRegular(jsonPath, 'model file', { maxBytes: 256 << 20 })).toString(
    'utf8',
  );
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (e) {
    throw new DeepvisError(`malformed model file ${jsonPath}: ${(e as Error).message}`);
  }
  if (json == null || typeof json !== 'object' || json.modelTopology == null) {
    throw new DeepvisError(`malformed model file ${jsonPath}: no modelTopology`);
  }
  // Every shard path is checked to stay inside the model's folder before anything is read.
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  let total = 0;
  const budget = memoryBudget();
  for (const group of await manifestGroups(json, jsonPath)) {
    for (const file of group.files) {
      let bytes: Buffer;
      try {
        // Non-blocking and regular files only: a FIFO named weights.bin is refused, not waited on.
        bytes = await readRegular(file, `weight file (listed in ${jsonPath})`, {
          maxBytes: budget - total,
          limitName: 'the memory budget (DEEPVIS_MEMORY_MB) left for weights',
        });
      } catch (e) {
        if (e instanceof DeepvisError) throw e;
        throw new DeepvisError(
          `weight file unreadable: ${printable(file)} (listed in ${printable(jsonPath)})`,
        );
      }
      total += bytes.byteLength;
      buffers.push(bytes);
    }
    weightSpecs.push(...group.weights);
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  const expected = weightSpecs.reduce((sum, w) => sum + bytesOf(w), 0);
  if (expected > 0 && expected !== weightData.byteLength) {
    throw new DeepvisError(
      `weights of ${jsonPath} hold ${weightData.byteLength} bytes but its manifest describes ${expected}`,
    );
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData,
    userDefinedMetadata: json.userDefinedMetadata,
    signature: json.signature,
    modelInitializer: json.modelInitializer,
  } as tf.io.ModelArtifacts;
}

function bytesOf(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.quantization) {
    const q = w.quantization.dtype;
    return n * (q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : 4);
  }
  return n * (w.dtype === 'bool' ? 1 : 4);
}

/** A digest of a model file's bytes. BLAKE2b: 346 MB in 0.27 s here, against SHA-256's 0.65 s. */
const digestOf = (b: Uint8Array) => createHash('blake2b512').update(b).digest('hex');

/**
 * Any model file: a tfjs model.json (layers or graph), ONNX, or Keras. The sidecar's facts fill in
 * what the model's own metadata does not say; flags override both.
 */
export async function loadModel(
  modelPath: string,
  overrides: InputOverrides = {},
): Promise<VisModel> {
  const file = await resolveModelJson(modelPath);
  const sidecar = await readSidecar(file);
  if (file.toLowerCase().endsWith('.json')) {
    const artifacts = await readModelArtifacts(file);
    const own =
      ((artifacts.userDefinedMetadata ?? {}) as { deepvis?: DeepvisMetadata }).deepvis ?? {};
    artifacts.userDefinedMetadata = {
      ...artifacts.userDefinedMetadata,
      deepvis: { ...sidecar, ...own },
    };
    return withDefaults(await visModelFromArtifacts(artifacts, modelPath, overrides));
  }
  // A plain view of the file's bytes: no second copy of a file that can be hundreds of MB (a Buffer
  // itself sends protobufjs down its Buffer reader, whose byte fields decoded to garbage weights).
  const bytes = plainView(await readRegular(file, 'model file', budgetLimit()));
  const dir = path.dirname(file);
  // ONNX external data: names from the file, read only inside the model's folder, regular files only.
  const readExternal = async (location: string): Promise<Uint8Array> =>
    plainView(
      await readRegular(
        await insideFolder(dir, location, file),
        `external data of ${file}`,
        budgetLimit(),
      ),
    );
  // Only an ONNX file gets a forward runner (and its first session pays for the hash, 0.3 s per 346 MB).
  const runners =
    modelFileKind(file, bytes) === 'onnx' ? onnxRuntimeRunner(rereading(file, bytes)) : undefined;
  return visModelFromBytes(bytes, printable(file), readExternal, sidecar, overrides, runners);
}

/**
 * The file's bytes for each session onnxruntime makes: the first session takes the bytes the loader
 * read, every later one reads the file again and checks it against the hash of those. Nothing is
 * kept in between, so the bytes are garbage once a session holds the weights (the session's opener
 * collects them: NativeGraphs.release). A file changed in between fails that read: the model's
 * forwards stay on tfjs with what was loaded, or, for a model whose tfjs weights wait for their
 * first use (formats/onnx/weights.ts) and were not made yet, its tfjs paths fail in one line.
 * A function of its own so the closure keeps nothing of the loader's locals.
 */
function rereading(file: string, bytes: Uint8Array): () => Uint8Array {
  // Hashed when handed out, not at load: a model that never makes a session never pays for it
  // (0.3 s for ViT-B/16's 346 MB), and the bytes hashed are still the ones loaded.
  let digest = '';
  let first: Uint8Array | null = bytes;
  return () => {
    if (first) {
      const b = first;
      first = null;
      digest = digestOf(b);
      return b;
    }
    const b = plainView(readRegularSync(file, 'model file'));
    if (digestOf(b) !== digest)
      throw new DeepvisError(`${printable(file)} changed on disk since it was loaded`);
    return b;
  };
}

/** Saves a LayersModel as model.json + weights.bin, with deepvis metadata, atomically. */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  meta: DeepvisMetadata,
): Promise<void> {
  const prior = (model.getUserDefinedMetadata?.() ?? {}) as Record<string, unknown>;
  // tfjs accepts plain JSON only: drop undefined fields.
  model.setUserDefinedMetadata(JSON.parse(JSON.stringify({ ...prior, deepvis: meta })));
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      await writeFilesAtomic(dir, {
        'weights.bin': new Uint8Array(weightData),
        'model.json': JSON.stringify(json),
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

const plainView = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
