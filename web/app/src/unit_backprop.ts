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

  constructor(onChange: () => void) {
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

  /** Draws the map for input x [H, W, C]; `acts` are the layer's activations for x (no batch). */
  draw(
    model: VisModel,
    layer: LayerInfo,
    unit: number,
    x: tf.Tensor3D,
    acts: { shape: number[]; values: Float32Array },
    boost: boolean,
  ): void {
    const [H, W, C] = model.input.shape;
    const spatial = acts.shape.length === 3;
    const neuron = spatial
      ? strongestNeuron(acts.values, acts.shape as [number, number, number], unit)
      : undefined;
    const target = { layer, units: [unit], neurons: neuron ? [neuron] : undefined };
    const map = tidyData(() => {
      const xb = x.expandDims(0) as tf.Tensor4D;
      return this.mode === 'deconv'
        ? deconvnet(model, xb, target)
        : this.mode === 'guided'
          ? guidedBackprop(model, xb, target)
          : saliency(model, xb, target);
    });
    const rf = spatial ? this.fields(model, layer) : null;
    const box = rf && neuron ? boxAt(rf, neuron[0], neuron[1]) : null;
    const cut = box
      ? crop(map, [H, W, C], box, rf!.size, 0)
      : { values: map, shape: [H, W, C] as [number, number, number] };
    const canvas = $canvas('unit-deconv');
    drawImage(canvas, toImage(cut.values, cut.shape, signedNorm(boost)));
    canvas.dataset.mode = this.mode;
    canvas.dataset.size = `${cut.shape[0]}x${cut.shape[1]}`;
    $('unit-deconv-caption').textContent =
      `${WORDS[this.mode]} of this frame${box ? `, zoomed to the receptive field (${cut.shape[0]}×${cut.shape[1]} pixels) of the strongest position (${neuron!.join(', ')})` : ''}`;
  }
}
