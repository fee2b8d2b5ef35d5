/**
 * Maximization in the page, for the unit panel and the Maximize view: the library's recipes
 * (Erhan, Yosinski, Lucid, MaCo, feature accentuation) driven a slice of steps per frame, with
 * the image as it forms a few times a second. Nothing of the recipes is restated here.
 * MaCo's fixed magnitude on a one-channel model is the served data set's mean spectrum (the
 * library's datasetSpectrum over 256 of its images), fetched once per model.
 */
import * as tf from '@tensorflow/tfjs';
import {
  accentuateSteps, datasetSpectrum, drive, erhanSteps, lucidSteps, macoSteps, optimizedLayer as climbed, yosinskiSteps, YOSINSKI_PRESETS,
  type LayerInfo, type Spectrum, type StepInfo, type VisModel,
} from '../../../src/index.js';
import type { Config } from './api.js';
import { fetchImages } from './api.js';

export const MAXIMIZE_METHODS = ['erhan', 'yosinski', 'lucid', 'maco', 'accentuate'] as const;
export type MaximizeMethod = (typeof MAXIMIZE_METHODS)[number];

/** The layer an optimization should climb: the pre-activation of a fused ReLU-like layer (its maximizer is the same). */
export function optimizedLayer(model: VisModel, layer: LayerInfo): string {
  try {
    return climbed((r) => model.layer(r), layer.name).name;
  } catch {
    return layer.name;
  }
}

const spectra = new WeakMap<VisModel, Spectrum>();
/** The served data set's magnitude spectrum in the model's range (MaCo on one-channel models). */
export async function servedSpectrum(config: Config, model: VisModel): Promise<Spectrum | undefined> {
  if (model.input.shape[2] === 3) return undefined;
  const known = spectra.get(model);
  if (known) return known;
  const data = config.data;
  if (!data || data.shape.join() !== model.input.shape.join()) {
    throw new Error('MaCo on a one-channel model fixes the magnitude to its data’s spectrum: serve a data set that fits it (deepvis serve --data)');
  }
  const n = Math.min(256, data.count);
  const r = await fetchImages(Array.from({ length: n }, (_, i) => i));
  const [lo, hi] = model.input.range;
  const images = r.values.map((v) => lo + v * (hi - lo));
  const s = datasetSpectrum(model, { name: data.spec ?? 'served', images, labels: null, shape: data.shape, count: n, classNames: null });
  spectra.set(model, s);
  return s;
}

export interface MaximizeExtras {
  /** One spatial neuron per conv channel (Erhan's unit; the picture is cropped to its receptive field). */
  readonly neuron?: [number, number];
  /** The image as it forms: values [U, h, w, c] row-major, the step, and [h, w, c]. */
  readonly live?: (images: Float32Array, step: number, shape: [number, number, number]) => void;
  /** Feature accentuation's seed: the current input [H, W, C] (read, not kept). */
  readonly seed?: tf.Tensor3D | null;
  readonly config?: Config;
}

/** Maximizes `units` of `layer`; the caller disposes `images` [U, H, W, C] (at the model's size). */
export async function runMaximize(
  model: VisModel, layer: LayerInfo, units: number[], method: string, steps: number, signal: { aborted: boolean }, progress: (f: number) => void,
  extras: MaximizeExtras = {},
): Promise<{ images: tf.Tensor4D; activations: number[] }> {
  const name = optimizedLayer(model, layer);
  const { neuron, live } = extras;
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
  const common = { layer: name, units, steps, onStep, signal };
  const done = (r: { images: tf.Tensor4D; units: Array<{ activation: number }> }) => ({ images: r.images, activations: r.units.map((u) => u.activation) });
  if (method === 'lucid') return done(await drive(lucidSteps(model, common)));
  if (method === 'yosinski') return done(await drive(yosinskiSteps(model, { ...common, neuron, sets: [YOSINSKI_PRESETS[0]] })));
  if (method === 'maco') {
    const magnitude = extras.config ? await servedSpectrum(extras.config, model) : undefined;
    const r = await drive(macoSteps(model, { ...common, neuron, magnitude }));
    r.canvas.dispose();
    r.transparency.dispose();
    return done(r);
  }
  if (method === 'accentuate') {
    if (!extras.seed) throw new Error('feature accentuation starts from the current input: choose one first (webcam, image or data set)');
    const image = tf.tidy(() => extras.seed!.expandDims(0) as tf.Tensor4D);
    try {
      const r = await drive(accentuateSteps(model, { ...common, neuron, image }));
      r.seeds.dispose();
      return done(r);
    } finally {
      image.dispose();
    }
  }
  return done(await drive(erhanSteps(model, { ...common, neuron, restarts: 1 })));
}
