/**
 * One interface over every attribution method of the registry: images in, plain numbers out (the
 * raw map [N, H, W, C] and a per-pixel heat [N, H, W]), so the CLI, the report and the web app
 * draw them the same way. The target is fixed once (resolveTarget), the hidden layer a method reads
 * is resolved and checked, the method's options get their declared defaults, all before any work.
 * Heat: a method's own (CAMs, occlusion), else the channel sum for signed maps (so integrated
 * gradients' heat still sums to score(x) − score(baseline)) and max |·| over channels for the
 * others (Simonyan et al. 2013 §3.1).
 */
import * as tf from '@tensorflow/tfjs';
import { formatBytes, memoryBudget } from '../engine/memory.js';
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';
import { resolveTarget, targetScores, type TargetSpec } from '../objectives/target.js';
import { checkOptions, type OptionValues } from '../options.js';
import type { AnyAttribution } from './method.js';
import { attributionMethod } from './registry.js';

export interface AttributeArgs extends TargetSpec {
  /** A registry name ('saliency', 'gradcam', …) or a method value (a wrapper's, a caller's own). */
  readonly method: string | AnyAttribution;
  /** The method's options by name (its `options`: samples, noise, ig-steps, baseline, unpool, size, stride); defaults are its own. */
  readonly options?: OptionValues;
  /** The hidden layer of a method that reads one (CAMs; default: the last spatial layer before the target). */
  readonly camLayer?: string;
  /** Seed of the methods that draw noise or samples; default 0. */
  readonly seed?: number;
  /** Rows per pass for the methods that expand an input (IG, the noise tunnel, Score-CAM, occlusion). */
  readonly maxBatch?: number;
  /** Interpretable features of LIME, KernelSHAP and feature ablation: a label per pixel [H·W] (default: their superpixels). */
  readonly featureMask?: ArrayLike<number>;
}

export interface Attribution {
  readonly method: string;
  readonly shape: [number, number, number, number];
  /** Raw map [N, H, W, C] (a map over positions: repeated over channels). */
  readonly values: Float32Array;
  /** [N, H, W]. */
  readonly heat: Float32Array;
  /** Signed heats are drawn on a diverging scale, the others from zero up. */
  readonly signed: boolean;
  readonly layer: string;
  readonly units: number[];
  readonly neurons?: Array<[number, number]>;
  /** The target's score per image. */
  readonly scores: number[];
  /** The hidden layer read, for methods that read one. */
  readonly camLayer?: string;
  readonly seconds: number;
}

export function attribute(model: VisModel, x: tf.Tensor4D, args: AttributeArgs): Attribution {
  const started = performance.now();
  const method = typeof args.method === 'string' ? attributionMethod(args.method) : args.method;
  const options = checkOptions(method.options, args.options ?? {});
  const held = method.footprint?.(options, model);
  if (held && held.bytes > memoryBudget()) {
    throw new DeepvisError(
      `${method.name} ${held.what} holds about ${formatBytes(held.bytes)}; the memory budget is ${formatBytes(memoryBudget())} — ${held.lower}`,
    );
  }
  const [, h, w] = x.shape;
  if (args.featureMask && args.featureMask.length !== h * w)
    throw new DeepvisError(
      `the feature mask has ${args.featureMask.length} labels; the input has ${h}×${w} = ${h * w} pixels`,
    );
  const target = resolveTarget(model, x, args);
  const reading = target.reading?.kind ?? 'unit';
  if (method.readings && !method.readings.includes(reading))
    throw new DeepvisError(
      `${method.title} explains ${method.readings.join(', ')} targets, not ${reading}`,
    );
  let layer: LayerInfo | undefined;
  if (method.layer) {
    layer = args.camLayer
      ? model.layer(args.camLayer)
      : method.layer.defaultFor(model, target, method.title);
    method.layer.check(model, layer, target, method.title);
  }
  const [values, heat] = tf.tidy(() => {
    const e = method.explain({
      model,
      x,
      target,
      options,
      seed: args.seed ?? 0,
      maxBatch: args.maxBatch,
      layer,
      featureMask: args.featureMask,
    });
    const h = e.heat ?? (method.signed ? e.map.sum(3) : e.map.abs().max(3));
    return [e.map, h] as [tf.Tensor4D, tf.Tensor3D];
  });
  const scores = tf.tidy(() => Array.from(targetScores(model, x, target).dataSync()));
  const out: Attribution = {
    method: method.name,
    shape: x.shape as [number, number, number, number],
    values: values.dataSync() as Float32Array,
    heat: heat.dataSync() as Float32Array,
    signed: method.signed,
    layer: target.layer.name,
    units: target.units,
    neurons: target.neurons,
    scores,
    camLayer: layer?.name,
    seconds: (performance.now() - started) / 1000,
  };
  tf.dispose([values, heat]);
  return out;
}
