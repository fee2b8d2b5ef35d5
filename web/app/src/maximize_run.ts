/**
 * Maximization in the page, for the unit panel and the Maximize view: every method of the
 * library's registry that offers an interactive run (its `interactive` options: one restart, a
 * faster set), driven a slice of steps per frame, with the image as it forms a few times a second.
 * Nothing of the recipes is restated here. A method that needs data on this model (MaCo's fixed
 * magnitude on a one-channel model) gets the served data set (up to 256 of its images, fetched
 * once per model); one that needs a start image gets the current input.
 */
import * as tf from '@tensorflow/tfjs';
import {
  featureVis,
  models,
  type ImageSet,
  type LayerInfo,
  type StepInfo,
  type VisModel,
} from '../../../src/index.js';
import type { Config } from './api.js';
import { fetchImages } from './api.js';

const { drive } = featureVis;
const { optimizedLayer: climbed } = models;

/** The methods the page offers, in the registry's order: value and label of each choice. */
export function maximizeMethods(): Array<{ value: string; label: string; title: string }> {
  return featureVis.methods
    .filter((m) => m.interactive !== false)
    .map((m) => ({
      value: m.name,
      label: `${m.title[0].toUpperCase()}${m.title.slice(1)} (${m.tagline})`,
      title: m.title,
    }));
}

/** Fills a <select> with the methods (once, at start). */
export function fillMethodSelect(select: HTMLSelectElement): void {
  select.replaceChildren(
    ...maximizeMethods().map((m) =>
      Object.assign(document.createElement('option'), { value: m.value, textContent: m.label }),
    ),
  );
}

/** The layer an optimization should climb: the pre-activation of a fused ReLU-like layer (its maximizer is the same). */
export function optimizedLayer(model: VisModel, layer: LayerInfo): string {
  try {
    return climbed((r) => model.layer(r), layer.name).name;
  } catch {
    return layer.name;
  }
}

const served = new WeakMap<VisModel, ImageSet>();
/** Up to 256 images of the served data set in the model's range, for a method that needs data on this model. */
async function servedSet(
  config: Config | undefined,
  model: VisModel,
  why: string,
  title: string,
): Promise<ImageSet> {
  const known = served.get(model);
  if (known) return known;
  const data = config?.data;
  if (!data || data.shape.join() !== model.input.shape.join())
    throw new Error(`${title} ${why}: serve a data set that fits the model (deepvis serve --data)`);
  const n = Math.min(256, data.count);
  const r = await fetchImages(Array.from({ length: n }, (_, i) => i));
  const [lo, hi] = model.input.range;
  const set = {
    name: data.spec ?? 'served',
    images: r.values.map((v) => lo + v * (hi - lo)),
    labels: null,
    shape: data.shape,
    count: n,
    classNames: null,
  };
  served.set(model, set);
  return set;
}

export interface MaximizeExtras {
  /** One spatial neuron per conv channel (the picture is cropped to its receptive field), for methods that read one. */
  readonly neuron?: [number, number];
  /** The image as it forms: values [U, h, w, c] row-major, the step, and [h, w, c]. */
  readonly live?: (images: Float32Array, step: number, shape: [number, number, number]) => void;
  /** The current input [H, W, C], for a method that starts from an image (read, not kept). */
  readonly start?: tf.Tensor3D | null;
  readonly config?: Config;
}

/** A run's steps on WebGPU for its caption: "8 steps' gradients on WebGPU", and why not more when something went wrong there. */
export const aheadWords = (a: { steps: number; why: string }): string =>
  `${a.steps} steps' gradients on WebGPU${a.why.startsWith('attached') ? '' : ` (${a.why})`}`;

/** Whether the method reads a conv unit at a neuron (else as its channel mean). */
export const readsNeuron = (method: string) =>
  (featureVis.method(method).interactive || {}).neuron !== false;

/**
 * Maximizes `units` of `layer`; the caller disposes `images` [U, H, W, C] (at the model's size).
 * `ahead`: how many steps took their gradient from the engine the model runs ahead on (WebGPU), and
 * what happened there (attached; a graph it failed on; let go for not answering); null when none
 * was attached.
 */
export async function runMaximize(
  model: VisModel,
  layer: LayerInfo,
  units: number[],
  method: string,
  steps: number,
  signal: { aborted: boolean },
  progress: (f: number) => void,
  extras: MaximizeExtras = {},
): Promise<{
  images: tf.Tensor4D;
  activations: number[];
  ahead: { steps: number; why: string } | null;
}> {
  const m = featureVis.method(method);
  const usedBefore = model.ahead?.used ?? 0;
  const { live } = extras;
  // The image as it forms, a few times a second (reading it back every step would halve the speed).
  let shown = 0;
  const onStep = (info: StepInfo) => {
    progress((info.step + 1) / steps);
    const now = performance.now();
    if (!live || now - shown < 250) return;
    shown = now;
    const img = info.image();
    live(img.dataSync() as Float32Array, info.step, img.shape.slice(1) as [number, number, number]);
  };
  const neuron = readsNeuron(method) ? extras.neuron : undefined;
  const why = m.needs?.data?.(model);
  const data = why != null ? await servedSet(extras.config, model, why, m.title) : null;
  if (m.needs?.image && !extras.start)
    throw new Error(
      `${m.title} starts from the current input: choose one first (webcam, image or data set)`,
    );
  const image = m.needs?.image ? tf.tidy(() => extras.start!.expandDims(0) as tf.Tensor4D) : null;
  try {
    const req = { layer: optimizedLayer(model, layer), units, steps, onStep, signal, neuron };
    const options = (m.interactive && m.interactive.options) || {};
    const r = await drive(
      m.steps(model, featureVis.argsFor(m, req, options, { model, data, image })),
    );
    const images = r.images.clone();
    r.dispose();
    const ahead = model.ahead;
    return {
      images,
      activations: r.units.map((u: { activation: number }) => u.activation),
      ahead:
        ahead && (ahead.engine || ahead.why !== 'none attached')
          ? { steps: ahead.used - usedBefore, why: ahead.why }
          : null,
    };
  } finally {
    image?.dispose();
  }
}
