/**
 * Builds a VisModel from tfjs model artifacts (model.json contents + weights), telling layers and
 * graph formats apart. Used by the Node file loader and by the browser (URL or dropped files).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { fromGraphModel } from './graph_adapter.js';
import { fromLayersModel } from './layers_adapter.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from './types.js';

export type ModelFormat = 'layers' | 'graph';

export function detectFormat(
  json: { format?: string; modelTopology?: unknown },
  source: string,
): ModelFormat {
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  if (json.format === 'graph-model' || (topo != null && Array.isArray(topo.node))) return 'graph';
  if (
    json.format === 'layers-model' ||
    (topo != null && ('class_name' in topo || 'model_config' in topo))
  ) {
    return 'layers';
  }
  throw new DeepvisError(
    `${source} is not a TensorFlow.js model.json (no layers or graph topology found)`,
  );
}

export async function visModelFromArtifacts(
  artifacts: tf.io.ModelArtifacts,
  source: string,
  overrides: InputOverrides = {},
): Promise<VisModel> {
  const format = detectFormat(artifacts as { format?: string; modelTopology?: unknown }, source);
  const handler = tf.io.fromMemory(artifacts);
  try {
    if (format === 'layers') {
      const model = await tf.loadLayersModel(handler);
      return fromLayersModel(model, overrides);
    }
    const model = await tf.loadGraphModel(handler);
    const meta =
      ((artifacts.userDefinedMetadata ?? {}) as { deepvis?: DeepvisMetadata }).deepvis ?? {};
    return fromGraphModel(model, meta, overrides);
  } catch (e) {
    if (e instanceof DeepvisError) throw e;
    throw new DeepvisError(`cannot load ${source}: ${(e as Error).message.split('\n')[0]}`);
  }
}
