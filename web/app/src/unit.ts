/**
 * The unit panel (click a tile), Yosinski et al. 2015's toolbox and Zeiler & Fergus's fig. 2 for one unit: its
 * activation map over the input; a deconvnet / gradient / guided-backprop view of the current
 * frame zoomed to its receptive field (unit_backprop.ts); its top-9 data-set images whole, cropped
 * and projected (unit_topk.ts); its incoming weights for a first-layer unit (unit_weights.ts); its
 * maximized image (computed here by any of the library's recipes, a slice of steps per frame);
 * its class specificity as SVG; the report's pictures when serve has them (unit_report.ts); and a
 * contrast boost for all of these.
 */
import * as tf from '@tensorflow/tfjs';
import {
  analysis,
  engine,
  featureVis,
  objectives,
  render,
  type LayerInfo,
} from '../../../src/index.js';
import { fetchSpecificity } from './api.js';
import { heatPercentile, pictureNorm } from './contrast.js';
import { $, $button, $canvas, drawImage, slider, upsample } from './draw.js';
import { aheadWords, maximizeMethods, readsNeuron, runMaximize } from './maximize_run.js';
import { specificityChart, specificityVerdict } from './spec_chart.js';
import { status, type AppState } from './state.js';
import { BackpropView } from './unit_backprop.js';
import { atlasImages, unitFileImage } from './unit_report.js';
import { drawTopK } from './unit_topk.js';
import { drawWeights } from './unit_weights.js';

const { boxAt, crop, receptiveFields } = analysis;
const { centreNeuron } = objectives;
const { grid, heatOverlay, toImage } = render;
const { itemOf } = engine;

export class UnitPanel {
  private signal: { aborted: boolean } | null = null;
  private running: Promise<void> | null = null;
  private frame = 0;
  private boost = false;
  private readonly steps = slider('opt-steps');
  readonly backprop: BackpropView;

  constructor(private readonly state: AppState) {
    this.backprop = new BackpropView(() => this.redrawFrame());
    $button('opt-run').addEventListener('click', () => {
      this.running = this.optimize();
    });
    $button('opt-cancel').addEventListener(
      'click',
      () => this.signal && (this.signal.aborted = true),
    );
    $button('unit-boost').addEventListener('click', () => this.setBoost(!this.boost));
  }

  /** The `b` shortcut: the next backprop mode, drawn now. */
  cycleBackprop(): void {
    this.backprop.cycle();
    this.redrawFrame();
  }

  setBoost(on: boolean): void {
    this.boost = on;
    $button('unit-boost').setAttribute('aria-pressed', String(on));
    if (this.state.unit != null && !$('unit-panel').hidden) void this.open(this.state.unit, false);
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

  /** Draws the live parts for the current input now (a changed engine or mode). */
  redrawFrame(): void {
    const { model } = this.state;
    const x = model && this.state.input.current(model);
    if (x) this.onFrame(x, true);
  }

  /** A unit was chosen: everything that depends only on the unit. `fresh`: a new unit (the optimized image goes). */
  async open(unit: number, fresh = true): Promise<void> {
    const { model, layer } = this.state;
    if (!model || !layer) return;
    $('unit-panel').hidden = false;
    $('unit-empty').hidden = true;
    $('unit-h').textContent = `${layer.name} — unit ${unit}`;
    const label = this.classOf(layer, unit);
    $('unit-class').textContent = label ? `class “${label}”` : '';
    this.redrawFrame();
    drawWeights(model, layer, unit, this.boost);
    const topk = drawTopK(this.state, model, layer, unit, this.boost).then((n) => {
      if (n >= 0) $canvas('unit-topk').dataset.count = String(n);
    });
    if (fresh) {
      $canvas('unit-topk').dataset.count = '0';
      const canvas = $canvas('unit-opt');
      canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
      delete canvas.dataset.state;
      $('unit-opt-caption').textContent = 'maximized image: press Maximize';
    }
    await Promise.all([
      topk,
      this.specificity(layer, unit),
      fresh ? unitFileImage(this.state, layer, unit) : null,
      atlasImages(this.state, layer, unit),
    ]);
  }

  /** The class a logits or softmax unit stands for, if the model names its classes. */
  classOf(layer: LayerInfo, unit: number): string | null {
    const model = this.state.model!;
    const out = model.layers[model.layers.length - 1].name;
    const isClass = layer.name === out || layer.name === model.logitsLayer;
    return isClass
      ? (model.labels?.[unit] ?? this.state.config.data?.classNames?.[unit] ?? null)
      : null;
  }

  /** Every computed frame: the live parts (activation map always, the backprop view every few frames). */
  onFrame(x: tf.Tensor3D, now = false): void {
    const { model, layer, unit, acts } = this.state;
    if (!model || !layer || unit == null || !acts || $('unit-panel').hidden) return;
    const [H, W, C] = model.input.shape;
    const base = toImage(x.dataSync(), [H, W, C], pictureNorm(this.boost, model.input.range));
    $('unit-map-caption').textContent =
      acts.shape.length === 3
        ? 'where the unit fires on this input'
        : 'the unit’s value on this input, against the layer’s largest';
    if (acts.shape.length === 3) {
      const [h, w, c] = acts.shape;
      const map = new Float32Array(h * w);
      for (let p = 0; p < h * w; p++) map[p] = Math.max(0, acts.values[p * c + unit]);
      drawImage(
        $canvas('unit-map'),
        heatOverlay(base, upsample(map, h, w, H, W), { percentile: heatPercentile(this.boost) }),
      );
    } else {
      // A dense unit has no map: the input, labelled with the unit's value against the layer's largest.
      const v = acts.values[unit];
      const max = Math.max(...Array.from(acts.values));
      drawImage(
        $canvas('unit-map'),
        grid([base], { labels: [`${v.toPrecision(3)} / max ${max.toPrecision(2)}`], minTile: 168 }),
      );
    }
    if (!now && this.frame++ % 5 !== 0) return;
    this.backprop.draw(model, layer, unit, x, acts, this.boost);
  }

  private async specificity(layer: LayerInfo, unit: number): Promise<void> {
    const box = $('unit-spec');
    const data = this.state.config.data;
    const fits =
      data != null &&
      this.state.model != null &&
      data.shape.join() === this.state.model.input.shape.join();
    const page = this.state.page;
    if ((this.state.served < 0 && !page) || !data?.labelled || !fits) {
      box.replaceChildren();
      $('unit-spec-caption').textContent = this.state.scanning
        ? 'class specificity: scanning the data set for this model…'
        : !data
          ? 'class specificity: no data set served (start deepvis serve with --data)'
          : !data.labelled
            ? 'class specificity: the served data set has no labels'
            : `class specificity: the served data set (${data.shape.join('×')}) does not fit this model`;
      return;
    }
    try {
      const s =
        this.state.served < 0
          ? page!.specificity(this.state.model!, layer.name)
          : await fetchSpecificity(this.state.served, layer.name);
      if (this.state.unit !== unit) return;
      const classes = s.units[unit].classMeans.map(
        (_, k) => this.state.model?.labels?.[k] ?? data.classNames?.[k] ?? String(k),
      );
      box.replaceChildren(
        specificityChart(s, unit, classes, Math.max(240, Math.min(400, box.clientWidth || 360))),
      );
      $('unit-spec-caption').textContent =
        `class specificity: mean activation per class — ${specificityVerdict(s, unit, classes)}; a unit is specific to the classes more than ${Math.round(100 * s.threshold)}% above its overall mean (orange)`;
    } catch (e) {
      $('unit-spec-caption').textContent = `class specificity: ${(e as Error).message}`;
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
    const words = maximizeMethods().find((m) => m.value === method)?.title ?? method;
    const steps = this.steps();
    const t0 = performance.now();
    const canvas = $canvas('unit-opt');
    const start = featureVis.method(method).needs?.image ? this.state.input.current(model) : null;
    try {
      const spatial = layer.outputShape.length === 3 && readsNeuron(method);
      const neuron = spatial ? centreNeuron(layer) : undefined;
      const [h, w, c] = model.input.shape;
      const box = neuron ? boxAt(receptiveFields(model, layer.name), neuron[0], neuron[1]) : null;
      const picture = (v: Float32Array, shape: [number, number, number] = [h, w, c]) => {
        const cut =
          box && shape[0] === h && shape[1] === w ? crop(v, shape, box) : { values: v, shape };
        drawImage(canvas, toImage(cut.values, cut.shape));
      };
      // The previous result goes: what shows now is this run, as it forms.
      canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.state = 'running';
      $('unit-opt-caption').textContent = `${words}: starting…`;
      const r = await runMaximize(
        model,
        layer,
        [unit],
        method,
        steps,
        signal,
        (f) => (bar.value = f),
        {
          neuron,
          start,
          config: this.state.config,
          live: (v, step, shape) => {
            if (signal.aborted) return;
            picture(itemOf(v, 0, shape), shape);
            $('unit-opt-caption').textContent = `${words}: running, step ${step + 1} of ${steps}`;
          },
        },
      );
      const v = itemOf(r.images.dataSync() as Float32Array, 0, [h, w, c]);
      r.images.dispose();
      picture(v);
      const what = signal.aborted ? 'cancelled' : 'done';
      if (!signal.aborted) bar.value = 1;
      const gpu = r.ahead ? `; ${aheadWords(r.ahead)}` : '';
      $('unit-opt-caption').textContent =
        `${words}${neuron ? ' (centre neuron, its receptive field)' : ''}: activation ${r.activations[0].toPrecision(3)} (${what}, ${((performance.now() - t0) / 1000).toFixed(1)}s${gpu})`;
      // For the page's tests and the bench: the run's seconds, to the ms.
      canvas.dataset.seconds = ((performance.now() - t0) / 1000).toFixed(3);
      if (r.ahead) canvas.dataset.aheadSteps = String(r.ahead.steps);
      else delete canvas.dataset.aheadSteps;
      canvas.dataset.state = what;
    } catch (e) {
      canvas.dataset.state = 'error';
      $('unit-opt-caption').textContent = `${words} failed: ${(e as Error).message}`;
      status(`optimization failed: ${(e as Error).message}`);
    } finally {
      run.disabled = false;
      cancel.disabled = true;
      this.signal = null;
    }
  }
}
