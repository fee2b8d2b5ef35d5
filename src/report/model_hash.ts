/**
 * The model-file hash every artifact key starts from: SHA-256 over the model file, the weight files
 * its manifest names (tfjs JSON) and the deepvis.json sidecar, plus the input overrides given on the
 * command line (they change what every image means). Renaming or copying a model keeps its
 * artifacts; retraining it (new weights) invalidates them all.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { budgetLimit, readRegular } from '../io/fence.js';
import { resolveModelJson, SIDECAR } from '../io/model_files.js';
import type { InputOverrides } from '../model/types.js';
import { stableJson } from './store.js';

export async function modelHash(
  modelPath: string,
  overrides: InputOverrides = {},
): Promise<string> {
  const file = await resolveModelJson(modelPath);
  const dir = path.dirname(file);
  const h = createHash('sha256');
  const read = (f: string) => readRegular(f, 'model file', budgetLimit());
  const bytes = await read(file);
  h.update(bytes);
  if (file.toLowerCase().endsWith('.json')) {
    let manifest: Array<{ paths?: string[] }> = [];
    try {
      manifest =
        (JSON.parse(bytes.toString('utf8')) as { weightsManifest?: Array<{ paths?: string[] }> })
          .weightsManifest ?? [];
    } catch {
      // Malformed JSON: loadModel names it; the hash of its bytes is still a key.
    }
    for (const group of manifest) {
      for (const p of group.paths ?? []) {
        // Only files inside the model's folder (a manifest path is hostile until checked).
        const full = path.resolve(dir, p);
        if (!full.startsWith(path.resolve(dir) + path.sep)) continue;
        h.update(await read(full).catch(() => Buffer.alloc(0)));
      }
    }
  }
  h.update(await read(path.join(dir, SIDECAR)).catch(() => Buffer.alloc(0)));
  h.update(stableJson(overrides));
  return h.digest('hex').slice(0, 20);
}
