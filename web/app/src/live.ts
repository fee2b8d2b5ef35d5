/**
 * The live view (seed 004: "continuously plots the activations of each layer"): every animation
 * frame, if the input changed, one forward pass gives the selected layer and the output; the layer
 * is drawn as a tile per channel and the predictions listed. Each frame runs in tf.tidy, so the
 * tensor count stays flat however long it runs.
 */
import { tidyDataAll } from '../../../src/engine/read.js';
import * as tf from '@tensorflow/tfjs';
import { activationGrid, gridLayout, predictionsFrom, toImage, unitAt, type GridLayout } from '../../../src/index.js';
import { $, $canvas, drawImage } from './draw.js';
import type { AppState } from './state.js';

export interface LiveHooks {
  /** Called after every computed frame (the unit panel refreshes its live parts). */
  onFrame(x: tf.Tensor3D): void;
  onUnit(unit: number): void;
}

export class LiveView {
  private layout: GridLayout | null = null;
  private seen = -1;
  private layerKey = '';
  private times: number[] = [];
  private cursor = 0;

  constructor(private readonly state: AppState, private readonly hooks: LiveHooks) {
    const grid = $canvas('grid');
    grid.addEventListener('click', (e) => {
      const u = this.unitAtEvent(e);
      if (u != null) this.select(u);
    });
    grid.addEventListener('keydown', (e) => this.key(e));
  }

  /** Forces a recompute on the next frame (layer or model changed). */
  refresh(): void {
    this.seen = -1;
  }

  private unitAtEvent(e: MouseEvent): number | null {
    if (!this.layout) return null;
    const grid = $canvas('grid');
    const r = grid.getBoundingClientRect();
    return unitAt(this.layout, ((e.clientX - r.left) * grid.width) / r.width, ((e.clientY - r.top) * grid.height) / r.height);
  }

  private key(e: KeyboardEvent): void {
    if (!this.layout) return;
    const L = this.layout;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: L.cols, ArrowUp: -L.cols };
    if (e.key in moves) {
      this.cursor = Math.max(0, Math.min(L.units - 1, this.cursor + moves[e.key]));
      this.state.unit = null;
      this.refresh();
      $('grid-info').textContent = `unit ${this.cursor} (Enter opens it)`;
      e.preventDefault();
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.select(this.cursor);
      e.preventDefault();
    }
  }

  private select(u: number): void {
    this.cursor = u;
    this.state.unit = u;
    this.refresh();
    this.hooks.onUnit(u);
  }

  /** One animation frame. */
  tick(): void {
    const { model, layer, input } = this.state;
    if (!model || !layer) return;
    const x = input.current(model);
    const key = `${layer.name}|${this.state.unit}|${this.cursor}`;
    if (!x || (input.version === this.seen && key === this.layerKey)) return;
    this.seen = input.version;
    this.layerKey = key;
    const out = model.layers[model.layers.length - 1].name;
    const [acts, probs] = tidyDataAll(() => model.activations(x.expandDims(0) as tf.Tensor4D, [layer.name, out]));
    const shape = layer.outputShape as number[];
    this.state.acts = { shape, values: acts };
    this.layout = gridLayout(shape);
    drawImage($canvas('grid'), activationGrid({ shape, values: acts }, { selected: this.state.unit ?? this.cursor }));
    const [h, w, c] = model.input.shape;
    drawImage($canvas('input-view'), toImage(x.dataSync(), [h, w, c], { mode: 'range', range: model.input.range }));
    this.predictions(predictionsFrom(probs, model.labels, 5));
    this.hooks.onFrame(x);
    const now = performance.now();
    this.times.push(now);
    while (this.times.length > 30) this.times.shift();
    this.state.frames++;
    if (this.times.length > 1) this.state.fps = (1000 * (this.times.length - 1)) / (now - this.times[0]);
    $('fps').textContent = input.live ? `${this.state.fps.toFixed(1)} fps` : 'still input';
    $('grid-info').textContent = `${layer.name}: ${shape.join('×')} — ${this.layout.units} ${shape.length === 3 ? 'channels' : 'units'}; click a tile (or arrows + Enter)`;
  }

  private predictions(preds: ReturnType<typeof predictionsFrom>): void {
    const list = $('predictions');
    list.replaceChildren(
      ...preds.map((p) => {
        const li = document.createElement('li');
        li.dataset.index = String(p.index);
        const label = document.createElement('span');
        label.textContent = `${p.label} ${(100 * p.probability).toFixed(1)}%`;
        const bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.width = `${Math.max(1, 100 * p.probability)}%`;
        li.append(label, bar);
        return li;
      }),
    );
  }
}
