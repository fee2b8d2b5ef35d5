/**
 * Which files a model consists of, each checked to stay inside the model's folder. A model is
 * downloaded from strangers: a weights manifest saying "../../etc/passwd", or a symlink in the
 * folder pointing at /, must neither be read as weights nor be served by `deepvis serve`. Paths
 * are resolved with realpath (symlinks followed) before the check, and refused with one line
 * that names the model file and the entry — never the outside file's size or contents.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { DeepvisError, printable } from '../errors.js';
import { onnxExternalLocations } from '../model/formats/onnx/decode.js';
import { budgetLimit, readRegular } from './fence.js';

/** realpath of `rel` under `dir`, refused when it leaves `dir` (after symlinks) or does not exist. */
export async function insideFolder(dir: string, rel: string, listedIn: string): Promise<string> {
  const realDir = await fs.realpath(dir);
  const lexical = path.resolve(realDir, rel);
  const leaves = (p: string) => p !== realDir && !p.startsWith(realDir + path.sep);
  if (path.isAbsolute(rel) || leaves(lexical)) {
    throw new DeepvisError(
      `${printable(listedIn)} lists '${printable(rel)}', which is outside the model's folder; refused`,
    );
  }
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch {
    throw new DeepvisError(
      `weight file missing: ${printable(lexical)} (listed in ${printable(listedIn)})`,
    );
  }
  if (leaves(real))
    throw new DeepvisError(
      `${printable(listedIn)} lists '${printable(rel)}', which links outside the model's folder; refused`,
    );
  return real;
}

export interface ManifestGroup {
  /** Real paths of the group's shard files, in manifest order, each inside the model's folder. */
  files: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** The weights manifest of a model.json, checked entry by entry (shape first, then every path). */
export async function manifestGroups(
  json: { weightsManifest?: unknown },
  jsonPath: string,
): Promise<ManifestGroup[]> {
  const manifest = json.weightsManifest ?? [];
  const bad = (what: string) =>
    new DeepvisError(`malformed model file ${printable(jsonPath)}: ${what}`);
  if (!Array.isArray(manifest))
    throw bad('weightsManifest must be a list of {paths, weights} groups');
  const dir = path.dirname(jsonPath);
  const groups: ManifestGroup[] = [];
  for (const [g, group] of manifest.entries()) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string'))
      throw bad(`weightsManifest[${g}].paths must be a list of file names`);
    if (
      !Array.isArray(weights) ||
      weights.some(
        (w) =>
          w == null ||
          typeof w !== 'object' ||
          typeof w.name !== 'string' ||
          !Array.isArray(w.shape),
      )
    ) {
      throw bad(`weightsManifest[${g}].weights must be a list of {name, shape, dtype}`);
    }
    const files: string[] = [];
    for (const p of paths as string[]) {
      let rel: string;
      try {
        rel = decodeURIComponent(p);
      } catch {
        throw bad(`weight path '${printable(p)}' is not valid URI encoding`);
      }
      files.push(await insideFolder(dir, rel, jsonPath));
    }
    groups.push({ files, weights: weights as tf.io.WeightsManifestEntry[] });
  }
  return groups;
}

/** The sidecar of a single-file model (ONNX, Keras): deepvis.json next to it, if present. */
async function sidecar(file: string): Promise<string[]> {
  try {
    return [await insideFolder(path.dirname(file), 'deepvis.json', file)];
  } catch {
    // Absent, or a link out of the folder: not part of the model.
    return [];
  }
}

/**
 * Every file the model at `main` (its resolved model.json, .onnx, .h5/.hdf5/.keras file) consists
 * of, as real paths inside its folder, the main file first: what `deepvis serve` may hand out.
 */
export async function modelFiles(main: string): Promise<string[]> {
  const real = await fs.realpath(main).catch(() => {
    throw new DeepvisError(`model not found: ${printable(main)}`);
  });
  const ext = path.extname(real).toLowerCase();
  if (ext === '.json') {
    let json: { weightsManifest?: unknown };
    try {
      json = JSON.parse(
        (await readRegular(real, 'model file', { maxBytes: 256 << 20 })).toString('utf8'),
      ) as { weightsManifest?: unknown };
    } catch (e) {
      if (e instanceof DeepvisError) throw e;
      throw new DeepvisError(
        `malformed model file ${printable(main)}: ${printable((e as Error).message)}`,
      );
    }
    // Shards resolve against the folder named by the user, exactly as the loader reads them.
    const shards = (await manifestGroups(json ?? {}, main)).flatMap((g) => g.files);
    return [real, ...new Set(shards)];
  }
  if (ext === '.onnx') {
    const external = onnxExternalLocations(
      new Uint8Array(await readRegular(real, 'model file', budgetLimit())),
      printable(main),
    );
    const files = await Promise.all(
      external.map((loc) => insideFolder(path.dirname(main), loc, main)),
    );
    return [real, ...new Set(files), ...(await sidecar(real))];
  }
  if (ext === '.h5' || ext === '.hdf5' || ext === '.keras') return [real, ...(await sidecar(real))];
  throw new DeepvisError(
    `${printable(main)} is not a model file deepvis knows (.json, .onnx, .h5, .hdf5, .keras)`,
  );
}
