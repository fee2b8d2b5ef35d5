/**
 * Browser loading: a model from a URL (model.json next to its shards, or an .onnx / .h5 / .keras
 * file next to its external data and deepvis.json sidecar) or from files the user dropped into
 * the page (model.json + weight files, or one .onnx / .h5 / .keras file, its sidecar and external
 * data files).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { detectFormat, visModelFromArtifacts } from './from_artifacts.js';
import { fromGraphModel } from './graph_adapter.js';
import { fromLayersModel } from './layers_adapter.js';
import { parseSidecar, SINGLE_FILE_MODEL, visModelFromBytes } from './from_bytes.js';
import type { ForwardRunnerFactory } from '../engine/forward_runner.js';
import type { DeepvisMetadata, InputOverrides, VisModel } from './types.js';

/** A native engine in the page (engine/onnxruntime_web.ts's OrtWeb): forwards and gradients of ONNX files. */
export interface PageNativeEngine {
  runners(bytes: Uint8Array): ForwardRunnerFactory;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new DeepvisError(`cannot fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function loadModelFromUrl(
  url: string,
  overrides: InputOverrides = {},
  native?: PageNativeEngine,
): Promise<VisModel> {
  if (SINGLE_FILE_MODEL.test(new URL(url, 'http://x/').pathname)) {
    const bytes = await fetchBytes(url);
    const res = await fetch(new URL('deepvis.json', new URL(url, location.href)).href);
    const sidecar = res.ok ? parseSidecar(await res.text(), 'deepvis.json') : {};
    const relative = (loc: string) => fetchBytes(new URL(loc, new URL(url, location.href)).href);
    return visModelFromBytes(
      bytes,
      url.split('/').pop() ?? url,
      relative,
      sidecar,
      overrides,
      native?.runners(bytes),
    );
  }
  let json: {
    format?: string;
    modelTopology?: unknown;
    userDefinedMetadata?: { deepvis?: DeepvisMetadata };
  };
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    json = await res.json();
  } catch (e) {
    throw new DeepvisError(`cannot fetch model ${url}: ${(e as Error).message}`);
  }
  if (detectFormat(json, url) === 'layers')
    return fromLayersModel(await tf.loadLayersModel(url), overrides);
  return fromGraphModel(
    await tf.loadGraphModel(url),
    json.userDefinedMetadata?.deepvis ?? {},
    overrides,
  );
}

export async function loadModelFromFiles(
  files: readonly File[],
  overrides: InputOverrides = {},
  native?: PageNativeEngine,
): Promise<VisModel> {
  const single = files.find((f) => SINGLE_FILE_MODEL.test(f.name));
  if (single) {
    const side = files.find((f) => f.name === 'deepvis.json');
    const sidecar = side ? parseSidecar(await side.text(), 'deepvis.json') : {};
    const external = async (loc: string) => {
      const f = files.find((g) => g.name === loc.split('/').pop());
      if (!f)
        throw new DeepvisError(
          `${single.name} needs its external data file '${loc}': drop it together with the model`,
        );
      return new Uint8Array(await f.arrayBuffer());
    };
    const bytes = new Uint8Array(await single.arrayBuffer());
    return visModelFromBytes(
      bytes,
      single.name,
      external,
      sidecar,
      overrides,
      native?.runners(bytes),
    );
  }
  // A whole model folder holds other JSON too (metrics.json, deepvis.json): the model is the one with a topology.
  let json: File | undefined;
  let manifest: Array<{ paths?: string[] }> = [];
  for (const f of files.filter((g) => /\.json$/i.test(g.name) && g.name !== 'deepvis.json')) {
    try {
      const parsed = JSON.parse(await f.text()) as {
        modelTopology?: unknown;
        weightsManifest?: Array<{ paths?: string[] }>;
      };
      if (parsed.modelTopology != null) [json, manifest] = [f, parsed.weightsManifest ?? []];
    } catch {
      // Not JSON at all: not the model.
    }
    if (json) break;
  }
  if (!json)
    throw new DeepvisError(
      'no model.json (a JSON file with modelTopology), .onnx, .h5 or .keras file among the dropped files',
    );
  // tfjs wants exactly the manifest's weight files, so the folder's other files stay out.
  const wanted = new Set(manifest.flatMap((g) => g.paths ?? []).map((p) => p.split('/').pop()));
  const weights = files.filter((f) => f !== json && wanted.has(f.name));
  const artifacts = await tf.io.browserFiles([json, ...weights]).load!();
  return visModelFromArtifacts(artifacts, json.name, overrides);
}
