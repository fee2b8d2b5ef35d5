/**
 * The unit panel's backprop view (Yosinski et al. 2015's toolbox: "deconv" / "backprop" toggle): for the
 * current frame, the unit's deconvnet projection (Zeiler & Fergus), its plain gradient (saliency)
 * or its guided backpropagation — the library's attribution functions — zoomed to the receptive
 * field of the unit's strongest neuron (a conv channel), or the whole input (a dense unit).
 */
import * as tf from '@tensorflow/tfjs';
import {
  analysis,
  attribution,
  engine,
  objectives,
  render,
  type LayerInfo,
  type VisModel,
} from '../../../src/index.js';
import { signedNorm } from './contrast.js';
import { $, $button, $canvas, drawImage } from './draw.js';
import { GONE, type GpuGradients } from './webgpu_gradients.js';

const { boxAt, crop, receptiveFields } = analysis;
const { deconvnet, guidedBackprop, saliency } = attribution;
const { strongestNeuron } = objectives;
const { tidyData } = engine;
const { toImage } = render;
type ReceptiveFields = analysis.ReceptiveFields;

export const BACKPROP_MODES = ['deconv', 'gradient', 'guided'] as const;
export type BackpropMode = (typeof BACKPROP_MODES)[number];
const WORDS: Record<BackpropMode, string> = {
  deconv: 'deconvnet projection',
  gradient: 'gradient (saliency)',
  guided: 'guided backpropagation',
};

export class BackpropView {
  mode: BackpropMode = 'deconv';
  private rf: { key: string; rf: ReceptiveFields } | null = null;

  constructor(private readonly onChange: () => void) {
    for (const m of BACKPROP_MODES) {
      $button(`bp-${m}`).addEventListener('click', () => {
        this.setMode(m);
        onChange();
      });
    }
    this.setMode(this.mode);
  }

  setMode(mode: BackpropMode): void {
    this.mode = mode;
    for (const m of BACKPROP_MODES)
      $button(`bp-${m}`).setAttribute('aria-pressed', String(m === mode));
  }

  /** The next mode (the `b` shortcut). */
  cycle(): void {
    this.setMode(BACKPROP_MODES[(BACKPROP_MODES.indexOf(this.mode) + 1) % BACKPROP_MODES.length]);
  }

  private fields(model: VisModel, layer: LayerInfo): ReceptiveFields {
    const key = `${model.layers.length}|${layer.name}`;
    if (this.rf?.key !== key) this.rf = { key, rf: receptiveFields(model, layer.name) };
    return this.rf.rf;
  }

  /** Where the maps come from when not from tfjs's tape: WebGPU (webgpu_gradients.ts), or none. */
  private gpu: GpuGradients | null = null;
  /** A WebGPU map under way: frames skip until it is drawn. */
  private pending: Promise<void> | null = null;
  private queued: (() => void) | null = null;
  /** Layers whose WebGPU maps could not be made (a token view, a failed run), and why: the tape draws them. */
  readonly refused = new Map<string, string>();

  /** Sends the maps to WebGPU (or, with null, back to the tape). */
  useGpu(gpu: GpuGradients | null): void {
    this.gpu?.dispose();
    this.gpu = gpu;
    this.queued = null;
    this.refused.clear();
  }

  /** Draws the map for input x [H, W, C]; `acts` are the layer's activations for x (no batch). */
  draw(
    model: VisModel,
    layer: LayerInfo,
    unit: number,
    x: tf.Tensor3D,
    acts: { shape: number[]; values: Float32Array },
    boost: boolean,
  ): void {
    const spatial = acts.shape.length === 3;
    const neuron = spatial
      ? strongestNeuron(acts.values, acts.shape as [number, number, number], unit)
      : undefined;
    const gpu = this.gpu?.model === model ? this.gpu : null;
    if (gpu && !this.refused.has(layer.name)) {
      this.drawGpu(gpu, layer, unit, x.dataSync() as Float32Array, acts, neuron, boost);
      return;
    }
    const target = { layer, units: [unit], neurons: neuron ? [neuron] : undefined };
    const t = performance.now();
    const map = tidyData(() => {
      const xb = x.expandDims(0) as tf.Tensor4D;
      return this.mode === 'deconv'
        ? deconvnet(model, xb, target)
        : this.mode === 'guided'
          ? guidedBackprop(model, xb, target)
          : saliency(model, xb, target);
    });
    this.show(model, layer, map, neuron, boost, performance.now() - t, 'tape');
  }

  /** The map from a WebGPU run, drawn when it comes; the newest request waits for the run under way. */
  private drawGpu(
    gpu: GpuGradients,
    layer: LayerInfo,
    unit: number,
    image: Float32Array,
    acts: { shape: number[]; values: Float32Array },
    neuron: [number, number] | undefined,
    boost: boolean,
  ): void {
    if (this.pending) {
      this.queued = () => this.drawGpu(gpu, layer, unit, image, acts, neuron, boost);
      return;
    }
    // The deconvnet sends the neuron's own value down (or the unit's, for a dense layer).
    const c = acts.shape.length === 3 ? acts.shape[2] : 0;
    const at = neuron ? (neuron[1] * acts.shape[1] + neuron[0]) * c + unit : unit;
    const mode = this.mode;
    const [rules, scale] =
      mode === 'deconv'
        ? [{ relu: 'deconvnet' as const, unpool: 'switches' as const }, acts.values[at]]
        : [{ relu: mode === 'guided' ? ('guided' as const) : ('gradient' as const) }, 1];
    this.pending = gpu
      .gradient(layer.name, rules, image, unit, neuron, scale)
      .then((map) => {
        if (this.mode === mode && this.gpu === gpu)
          this.show(gpu.model, layer, map, neuron, boost, gpu.lastMs, 'webgpu');
      })
      .catch((e: Error) => {
        // A run of an engine put away since (another choice, another model) says nothing of the layer.
        if (this.gpu !== gpu || e.message === GONE) return;
        this.refused.set(layer.name, e.message.split('\n')[0]);
        this.onChange();
      })
      .finally(() => {
        this.pending = null;
        const next = this.queued;
        this.queued = null;
        // Queued since the last useGpu, so for the engine in use now.
        next?.();
      });
  }

  /** Draws a map [H, W, C] made in `ms`, zoomed to the neuron's receptive field. */
  private show(
    model: VisModel,
    layer: LayerInfo,
    map: Float32Array,
    neuron: [number, number] | undefined,
    boost: boolean,
    ms: number,
    engine: 'webgpu' | 'tape',
  ): void {
    const [H, W, C] = model.input.shape;
    const rf = neuron ? this.fields(model, layer) : null;
    const box = rf && neuron ? boxAt(rf, neuron[0], neuron[1]) : null;
    const cut = box
      ? crop(map, [H, W, C], box, rf!.size, 0)
      : { values: map, shape: [H, W, C] as [number, number, number] };
    const canvas = $canvas('unit-deconv');
    drawImage(canvas, toImage(cut.values, cut.shape, signedNorm(boost)));
    canvas.dataset.mode = this.mode;
    canvas.dataset.size = `${cut.shape[0]}x${cut.shape[1]}`;
    // Which engine made the map and how long it took (the page's frame-rate measure reads these).
    canvas.dataset.engine = engine;
    canvas.dataset.ms = ms.toFixed(1);
    canvas.dataset.maps = String(Number(canvas.dataset.maps ?? 0) + 1);
    const refused = this.gpu && this.refused.get(layer.name);
    $('unit-deconv-caption').textContent =
      `${WORDS[this.mode]} of this frame${box ? `, zoomed to the receptive field (${cut.shape[0]}×${cut.shape[1]} pixels) of the strongest position (${neuron!.join(', ')})` : ''}${engine === 'webgpu' ? ` (WebGPU, ${ms.toFixed(0)} ms)` : refused ? ` (on tfjs's tape: ${refused})` : ''}`;
  }
}
