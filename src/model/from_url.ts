/**
 * Browser loading: a model from a URL (model.json next to its shards) or from files the user
 * dropped into the page (model.json + weight files).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { detectFormat, visModelFromArtifacts } from './from_artifacts.js';
import { fromGraphModel } from './graph_adapter.js';
import { fromLayersModel } from './layers_adapter.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from './types.js';

export async function loadModelFromUrl(url: string, overrides: InputOverrides = {}): Promise<VisModel> {
  let json: { format?: string; modelTopology?: unknown; userDefinedMetadata?: { deepvis?: DeepvisMetadata } };
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    json = await res.json();
  } catch (e) {
    throw new DeepvisError(`cannot fetch model ${url}: ${(e as Error).message}`);
  }
  if (detectFormat(json, url) === 'layers') return fromLayersModel(await tf.loadLayersModel(url), overrides);
  return fromGraphModel(await tf.loadGraphModel(url), json.userDefinedMetadata?.deepvis ?? {}, overrides);
}

export async function loadModelFromFiles(files: readonly File[], overrides: InputOverrides = {}): Promise<VisModel> {
  const json = files.find((f) => f.name.endsWith('.json'));
  if (!json) throw new DeepvisError('no model.json among the dropped files');
  const weights = files.filter((f) => f !== json);
  const artifacts = await tf.io.browserFiles([json, ...weights]).load!();
  return visModelFromArtifacts(artifacts, json.name, overrides);
}
