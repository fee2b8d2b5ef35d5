/**
 * The unit panel (click a tile): the unit's activation map over the input, its deconvnet
 * projection for the current frame, its top-9 data-set images cropped to the receptive field (from
 * the server's index), its optimized image (computed here, a slice of steps per frame, with a
 * progress bar and a cancel button) and its specificity profile (computed by the server).
 */
import { tidyData } from '../../../src/engine/read.js';
import * as tf from '@tensorflow/tfjs';
import {
  barChart, boxAt, centreNeuron, crop, entryCrop, fileStem, deconvnet, itemOf, optimizedLayer as climbed, receptiveFields, refName, drive, erhanSteps, grid, heatOverlay, layerTopK,
  lucidSteps, strongestNeuron, toImage, yosinskiSteps, YOSINSKI_PRESETS, type LayerInfo, type RgbaImage, type StepInfo, type VisModel,
} from '../../../src/index.js';
import { fetchImages, fetchSpecificity } from './api.js';
import { $, $button, $canvas, drawImage, slider, upsample } from './draw.js';
import { status, type AppState } from './state.js';

/** The layer an optimization should climb: the pre-activation of a fused ReLU-like layer (its maximizer is the same). */
export function optimizedLayer(model: VisModel, layer: LayerInfo): string {
  try {
    return climbed((r) => model.layer(r), layer.name).name;
  } catch {
    return layer.name;
  }
}

/**
 * Maximizes units in the page. `neuron`: one spatial neuron of each conv channel (Erhan's unit;
 * its picture is then cropped to the receptive field) instead of the channel mean (a texture).
 */
export async function runMaximize(
  model: VisModel, layer: LayerInfo, units: number[], method: string, steps: number, signal: { aborted: boolean }, progress: (f: number) => void,
  neuron?: [number, number], live?: (images: Float32Array, step: number) => void,
): Promise<{ images: tf.Tensor4D; activations: number[] }> {
  const name = optimizedLayer(model, layer);
  // The image as it forms, a few times a second (reading it back every step would halve the speed).
  let shown = 0;
  const onStep = (info: StepInfo) => {
    progress((info.step + 1) / steps);
    const now = performance.now();
    if (!live || now - shown < 250) return;
    shown = now;
    live(info.image().dataSync() as Float32Array, info.step);
  };
  if (method === 'lucid') {
    const r = await drive(lucidSteps(model, { layer: name, units, steps, onStep, signal }));
    return { images: r.images, activations: r.units.map((u) => u.activation) };
  }
  if (method === 'yosinski') {
    const r = await drive(yosinskiSteps(model, { layer: name, units, neuron, sets: [YOSINSKI_PRESETS[0]], steps, onStep, signal }));
    return { images: r.images, activations: r.units.map((u) => u.activation) };
  }
  const r = await drive(erhanSteps(model, { layer: name, units, neuron, steps, restarts: 1, onStep, signal }));
  return { images: r.images, activations: r.units.map((u) => u.activation) };
}

export class UnitPanel {
  private signal: { aborted: boolean } | null = null;
  private running: Promise<void> | null = null;
  private frame = 0;
  private readonly steps = slider('opt-steps');

  constructor(private readonly state: AppState) {
    $button('opt-run').addEventListener('click', () => {
      this.running = this.optimize();
    });
    $button('opt-cancel').addEventListener('click', () => this.signal && (this.signal.aborted = true));
  }

  close(): void {
    $('unit-panel').hidden = true;
    $('unit-empty').hidden = false;
  }

  /** Stops a running optimization and waits until it has let go of the model. */
  async cancel(): Promise<void> {
    if (this.signal) this.signal.aborted = true;
    await this.running;
  }

  /** A unit was chosen: everything that depends only on the unit. */
  async open(unit: number): Promise<void> {
    const { model, layer } = this.state;
    if (!model || !layer) return;
    const panel = $('unit-panel');
    panel.hidden = false;
    $('unit-empty').hidden = true;
    $('unit-h').textContent = `${layer.name} — unit ${unit}`;
    const x = this.state.input.current(model);
    if (x) this.onFrame(x, true);
    await Promise.all([this.topk(model, layer, unit), this.specificity(layer, unit), this.fromReport(layer, unit)]);
  }

  /** A served model's report/ folder (maximize --unit-files) may already hold the unit's image. */
  private async fromReport(layer: LayerInfo, unit: number): Promise<void> {
    const canvas = $canvas('unit-opt');
    canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
    delete canvas.dataset.state;
    $('unit-opt-caption').textContent = 'maximized image: press Maximize';
    if (this.state.served < 0) return;
    const report = this.state.config.models[this.state.served]?.report ?? {};
    for (const stem of [fileStem(refName({ name: layer.name, pre: true })), fileStem(layer.name)]) {
      if (!report[`${stem}-erhan`]?.includes(unit)) continue;
      const res = await fetch(`./models/${this.state.served}/report/${stem}-erhan/unit-${unit}.png`);
      if (!res.ok || this.state.unit !== unit) continue;
      const bitmap = await createImageBitmap(await res.blob());
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
      canvas.dataset.state = 'report';
      $('unit-opt-caption').textContent = `erhan, from the model's report (${stem}-erhan); Maximize recomputes it here`;
      return;
    }
  }

  /** Every computed frame: the live parts (activation map always, deconvnet every few frames). */
  onFrame(x: tf.Tensor3D, now = false): void {
    const { model, layer, unit, acts } = this.state;
    if (!model || !layer || unit == null || !acts || $('unit-panel').hidden) return;
    const [H, W, C] = model.input.shape;
    const base = toImage(x.dataSync(), [H, W, C], { mode: 'range', range: model.input.range });
    $('unit-map-caption').textContent = acts.shape.length === 3 ? 'activation map over the input' : 'activation (a dense unit has no map) / the layer’s largest';
    if (acts.shape.length === 3) {
      const [h, w, c] = acts.shape;
      const map = new Float32Array(h * w);
      for (let p = 0; p < h * w; p++) map[p] = Math.max(0, acts.values[p * c + unit]);
      drawImage($canvas('unit-map'), heatOverlay(base, upsample(map, h, w, H, W)));
    } else {
      // A dense unit has no map: the input, labelled with the unit's value against the layer's largest.
      const v = acts.values[unit];
      const max = Math.max(...Array.from(acts.values));
      drawImage($canvas('unit-map'), grid([base], { labels: [`${v.toPrecision(3)} / max ${max.toPrecision(2)}`], minTile: 168 }));
    }
    if (!now && this.frame++ % 5 !== 0) return;
    const proj = tidyData(() => {
      const xb = x.expandDims(0) as tf.Tensor4D;
      const neurons = acts.shape.length === 3 ? [this.strongest(unit)] : undefined;
      return deconvnet(model, xb, { layer, units: [unit], neurons });
    });
    drawImage($canvas('unit-deconv'), toImage(proj, [H, W, C], { mode: 'symmetric', percentile: 99.5 }));
  }

  private strongest(unit: number): [number, number] {
    const { shape, values } = this.state.acts!;
    return strongestNeuron(values, shape as [number, number, number], unit);
  }

  private async topk(model: VisModel, layer: LayerInfo, unit: number): Promise<void> {
    const canvas = $canvas('unit-topk');
    canvas.dataset.count = '0';
    const index = this.state.index;
    if (!index) {
      canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
      $('unit-topk-caption').textContent = this.state.scanning
        ? 'top-9: scanning the data set for this model…'
        : !this.state.config.data
          ? 'top-9: no data set served (start deepvis serve with --data)'
          : `top-9: no index — the served data set (${this.state.config.data.shape.join('×')}) does not fit this model`;
      return;
    }
    let entry;
    try {
      entry = layerTopK(index, layer.name);
    } catch {
      $('unit-topk-caption').textContent = `top-9: layer ${layer.name} was not scanned`;
      return;
    }
    const indices = entry.indices[unit];
    const imgs = await fetchImages(indices);
    if (this.state.unit !== unit) return;
    const [h, w, c] = imgs.shape;
    const [lo, hi] = model.input.range;
    const rf = entry.receptiveField;
    const tiles: RgbaImage[] = indices.map((_, r) => {
      const px = itemOf(imgs.values, r, [h, w, c]).map((v) => lo + v * (hi - lo));
      const crop = entryCrop(entry, unit, r, px, [h, w, c], (lo + hi) / 2);
      return toImage(crop.values, crop.shape, { mode: 'range', range: [lo, hi] });
    });
    drawImage(canvas, grid(tiles, { cols: 3, labels: entry.values[unit].map((v) => v.toPrecision(3)), minTile: 56 }));
    canvas.dataset.count = String(tiles.length);
    $('unit-topk-caption').textContent = `top-${tiles.length} of ${index.dataset.count} data-set images${entry.positions ? `, receptive field ${rf.size.join('×')}` : ''}`;
  }

  private async specificity(layer: LayerInfo, unit: number): Promise<void> {
    const canvas = $canvas('unit-spec');
    const data = this.state.config.data;
    const fits = data != null && this.state.model != null && data.shape.join() === this.state.model.input.shape.join();
    const page = this.state.page;
    if ((this.state.served < 0 && !page) || !data?.labelled || !fits) {
      canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
      $('unit-spec-caption').textContent = this.state.scanning ? 'specificity: scanning the data set for this model…'
        : !data ? 'specificity: no data set served (start deepvis serve with --data)'
          : !data.labelled ? 'specificity: the served data set has no labels'
            : `specificity: the served data set (${data.shape.join('×')}) does not fit this model`;
      return;
    }
    try {
      const s = this.state.served < 0 ? page!.specificity(this.state.model!, layer.name) : await fetchSpecificity(this.state.served, layer.name);
      if (this.state.unit !== unit) return;
      const u = s.units[unit];
      const classes = u.classMeans.map((_, k) => this.state.model?.labels?.[k] ?? this.state.config.data?.classNames?.[k] ?? String(k));
      drawImage(canvas, barChart({ title: `${u.modality}${u.specificTo.length ? ': ' + u.specificTo.map((k) => classes[k]).join(', ') : ''}`, groups: classes, series: [{ label: `unit ${unit}`, values: u.classMeans }], lines: [{ label: 'mean', value: u.overallMean }, { label: `+${Math.round(100 * s.threshold)}%`, value: u.overallMean * (1 + s.threshold) }], height: 90 }));
      $('unit-spec-caption').textContent = `specificity: mean activation per class; the unit is specific to the classes more than ${Math.round(100 * s.threshold)}% above its overall mean`;
    } catch (e) {
      $('unit-spec-caption').textContent = `specificity: ${(e as Error).message}`;
    }
  }

  private async optimize(): Promise<void> {
    const { model, layer, unit } = this.state;
    if (!model || !layer || unit == null) return;
    const signal = { aborted: false };
    this.signal = signal;
    const run = $button('opt-run');
    const cancel = $button('opt-cancel');
    const bar = $('opt-progress') as HTMLProgressElement;
    run.disabled = true;
    cancel.disabled = false;
    bar.value = 0;
    const method = ($('opt-method') as HTMLSelectElement).value;
    const steps = this.steps();
    const t0 = performance.now();
    const canvas = $canvas('unit-opt');
    try {
      const spatial = layer.outputShape.length === 3 && method !== 'lucid';
      const neuron = spatial ? centreNeuron(layer) : undefined;
      const [h, w, c] = model.input.shape;
      const box = neuron ? boxAt(receptiveFields(model, layer.name), neuron[0], neuron[1]) : null;
      const picture = (v: Float32Array) => {
        const cut = box ? crop(v, [h, w, c], box) : { values: v, shape: [h, w, c] as [number, number, number] };
        drawImage(canvas, toImage(cut.values, cut.shape));
      };
      // The previous result goes: what shows now is this run, as it forms.
      canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.state = 'running';
      $('unit-opt-caption').textContent = `${method}: starting…`;
      const r = await runMaximize(model, layer, [unit], method, steps, signal, (f) => (bar.value = f), neuron, (v, step) => {
        if (signal.aborted) return;
        picture(itemOf(v, 0, [h, w, c]));
        $('unit-opt-caption').textContent = `${method}: running, step ${step + 1} of ${steps}`;
      });
      const v = itemOf(r.images.dataSync() as Float32Array, 0, [h, w, c]);
      r.images.dispose();
      picture(v);
      const what = signal.aborted ? 'cancelled' : 'done';
      if (!signal.aborted) bar.value = 1;
      $('unit-opt-caption').textContent = `${method}${neuron ? ` (centre neuron, receptive field)` : ''}: activation ${r.activations[0].toPrecision(3)} (${what}, ${((performance.now() - t0) / 1000).toFixed(1)}s)`;
      $canvas('unit-opt').dataset.state = what;
    } catch (e) {
      status(`optimization failed: ${(e as Error).message}`);
    } finally {
      run.disabled = false;
      cancel.disabled = true;
      this.signal = null;
    }
  }
}
