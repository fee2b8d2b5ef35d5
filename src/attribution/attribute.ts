/**
 * One interface over every gradient map: images in, plain numbers out (the raw map [N, H, W, C]
 * and a per-pixel heat [N, H, W]), so the CLI, the report and the web app draw them the same way.
 * Heat: saliency-like maps take max |·| over channels (Simonyan et al. §3.1); integrated gradients
 * sum the channels (signed, so the heat still sums to score(x) − score(baseline)); Grad-CAM is its
 * own map.
 */
import * as tf from '@tensorflow/tfjs';
import { gradCam, guidedGradCam } from './gradcam.js';
import { deconvnet, guidedBackprop, integratedGradients, saliency, smoothGrad, type IntegratedGradientsArgs, type SmoothGradArgs } from './gradients.js';
import type { Unpool } from '../engine/rules.js';
import { resolveTarget, targetScores, type TargetSpec } from '../objectives/target.js';
import type { VisModel } from '../model/types.js';
import { gradCamPlusPlus, layerCam, scoreCam } from './cams.js';
import { gradientTimesInput, occlusionMap, type OcclusionMapArgs } from './input_methods.js';

export const ATTRIBUTION_METHODS = [
  'saliency', 'guided', 'deconvnet', 'smoothgrad', 'integrated-gradients', 'gradcam', 'guided-gradcam',
  'gradcam++', 'scorecam', 'layercam', 'gradient-input', 'smoothgrad2', 'vargrad', 'occlusion',
] as const;
/** Methods whose heat is signed (summed over channels, drawn on a diverging scale). */
export const SIGNED_METHODS: readonly AttributionMethod[] = ['integrated-gradients', 'gradient-input', 'occlusion'];
/** Methods that read a conv layer (and refuse a model without one). */
export const CAM_METHODS: readonly AttributionMethod[] = ['gradcam', 'guided-gradcam', 'gradcam++', 'scorecam', 'layercam'];
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

export interface AttributeArgs extends TargetSpec {
  readonly method: AttributionMethod;
  readonly smoothGrad?: SmoothGradArgs;
  readonly integratedGradients?: IntegratedGradientsArgs;
  /** Grad-CAM's conv layer (default: the last spatial layer before the target). */
  readonly camLayer?: string;
  readonly unpool?: Unpool;
  /** Occlusion as an attribution method: square, stride, fill (default: the model's neutral value). */
  readonly occlusion?: OcclusionMapArgs;
  /** Rows per pass for the methods that expand an input (IG, SmoothGrad family, Score-CAM, occlusion). */
  readonly maxBatch?: number;
}

export interface Attribution {
  readonly method: AttributionMethod;
  readonly shape: [number, number, number, number];
  /** Raw map [N, H, W, C] (Grad-CAM: the heat repeated over channels). */
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
  readonly camLayer?: string;
  readonly seconds: number;
}

export function attribute(model: VisModel, x: tf.Tensor4D, args: AttributeArgs): Attribution {
  const started = performance.now();
  const t = resolveTarget(model, x, args);
  let camLayer: string | undefined;
  const [values, heat] = tf.tidy(() => {
    let map: tf.Tensor4D;
    let heatMap: tf.Tensor3D | null = null;
    switch (args.method) {
      case 'saliency': map = saliency(model, x, t); break;
      case 'guided': map = guidedBackprop(model, x, t); break;
      case 'deconvnet': map = deconvnet(model, x, t, args.unpool); break;
      case 'smoothgrad': map = smoothGrad(model, x, t, { maxBatch: args.maxBatch, ...args.smoothGrad }); break;
      case 'smoothgrad2': map = smoothGrad(model, x, t, { maxBatch: args.maxBatch, ...args.smoothGrad, aggregate: 'square' }); break;
      case 'vargrad': map = smoothGrad(model, x, t, { maxBatch: args.maxBatch, ...args.smoothGrad, aggregate: 'variance' }); break;
      case 'gradient-input':
        map = gradientTimesInput(model, x, t, args.maxBatch);
        heatMap = map.sum(3) as tf.Tensor3D;
        break;
      case 'occlusion':
        heatMap = occlusionMap(model, x, t, { maxBatch: args.maxBatch, ...args.occlusion });
        map = heatMap.expandDims(3).tile([1, 1, 1, x.shape[3]]) as tf.Tensor4D;
        break;
      case 'gradcam++':
      case 'layercam':
      case 'scorecam': {
        const cam = args.method === 'gradcam++' ? gradCamPlusPlus(model, x, t, args.camLayer)
          : args.method === 'layercam' ? layerCam(model, x, t, args.camLayer)
            : scoreCam(model, x, t, { camLayer: args.camLayer, maxBatch: args.maxBatch });
        camLayer = cam.layer.name;
        heatMap = cam.map;
        map = cam.map.expandDims(3).tile([1, 1, 1, x.shape[3]]) as tf.Tensor4D;
        break;
      }
      case 'integrated-gradients':
        map = integratedGradients(model, x, t, { maxBatch: args.maxBatch, ...args.integratedGradients });
        heatMap = map.sum(3) as tf.Tensor3D;
        break;
      case 'gradcam': {
        const cam = gradCam(model, x, t, args.camLayer);
        camLayer = cam.layer.name;
        heatMap = cam.map;
        map = cam.map.expandDims(3).tile([1, 1, 1, x.shape[3]]) as tf.Tensor4D;
        break;
      }
      case 'guided-gradcam': {
        const g = guidedGradCam(model, x, t, args.camLayer);
        camLayer = g.cam.layer.name;
        map = g.map;
        break;
      }
    }
    heatMap ??= map.abs().max(3) as tf.Tensor3D;
    return [map, heatMap] as [tf.Tensor4D, tf.Tensor3D];
  });
  const scores = tf.tidy(() => Array.from(targetScores(model, x, t).dataSync()));
  const out: Attribution = {
    method: args.method,
    shape: x.shape as [number, number, number, number],
    values: values.dataSync() as Float32Array,
    heat: heat.dataSync() as Float32Array,
    signed: SIGNED_METHODS.includes(args.method),
    layer: t.layer.name,
    units: t.units,
    neurons: t.neurons,
    scores,
    camLayer,
    seconds: (performance.now() - started) / 1000,
  };
  tf.dispose([values, heat]);
  return out;
}
