/**
 * The live view (Yosinski et al. 2015: "continuously plots the activations of each layer"): every animation
 * frame, if the input changed, one forward pass gives the selected layer and the output; the layer
 * is drawn as a tile per channel and the predictions listed. Each frame runs in tf.tidy, so the
 * tensor count stays flat however long it runs.
 */
import { tidyDataAll } from '../../../src/engine/read.js';
import * as tf from '@tensorflow/tfjs';
import { analysis, render } from '../../../src/index.js';
import { $, $canvas, drawImage, roomFor } from './draw.js';
import { centreBox } from './fit_input.js';
import type { AppState } from './state.js';

const { activationGrid, gridLayout, toImage, unitAt } = render;
const { predictionsFrom } = analysis;
type GridLayout = render.GridLayout;

/** Each channel scaled so its own maximum is the layer's: activationGrid's one scale then stretches every tile. */
export function perTile(values: Float32Array, c: number): Float32Array {
  const max = new Float32Array(c);
  for (let i = 0; i < values.length; i++) max[i % c] = Math.max(max[i % c], values[i]);
  const top = Math.max(...max);
  return values.map((v, i) => (max[i % c] > 0 ? (v * top) / max[i % c] : v));
}

/** "unit 5: mean 0.12, max 0.9" for a channel; "unit 3 “three”: 4.2" for a class unit. */
export function describeUnit(state: AppState, u: number): string {
  const acts = state.acts!;
  const model = state.model!;
  const layer = state.layer!;
  if (acts.shape.length === 3) {
    const c = acts.shape[2];
    let [sum, max, n] = [0, -Infinity, 0];
    for (let i = u; i < acts.values.length; i += c) {
      sum += acts.values[i];
      max = Math.max(max, acts.values[i]);
      n++;
    }
    return `${layer.name} unit ${u}: mean ${(sum / n).toPrecision(3)}, strongest ${max.toPrecision(3)} (click to open)`;
  }
  const isClass =
    layer.name === model.layers[model.layers.length - 1].name || layer.name === model.logitsLayer;
  const name = isClass ? (model.labels?.[u] ?? state.config.data?.classNames?.[u]) : undefined;
  return `${layer.name} unit ${u}${name != null ? ` “${name}”` : ''}: ${acts.values[u].toPrecision(3)} (click to open)`;
}

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

  constructor(
    private readonly state: AppState,
    private readonly hooks: LiveHooks,
  ) {
    const grid = $canvas('grid');
    grid.addEventListener('click', (e) => {
      const u = this.unitAtEvent(e);
      if (u != null) this.select(u);
    });
    grid.addEventListener('keydown', (e) => this.key(e));
    grid.addEventListener('mousemove', (e) => this.hover(this.unitAtEvent(e)));
    grid.addEventListener('mouseleave', () => this.hover(null));
    // The cursor's blue frame shows only while the grid has the keyboard.
    grid.addEventListener('focus', () => this.refresh());
    grid.addEventListener('blur', () => this.refresh());
    window.addEventListener('resize', () => this.refresh());
  }

  /** Moves the keyboard cursor (and says so in its own live region, which frames do not overwrite). */
  moveCursor(d: number): void {
    if (!this.layout) return;
    this.cursor = Math.max(0, Math.min(this.layout.units - 1, this.cursor + d));
    this.refresh();
    $('grid-cursor').textContent = `unit ${this.cursor} of ${this.layout.units} (Enter opens it)`;
  }

  get cursorUnit(): number {
    return this.cursor;
  }

  /** Forces a recompute on the next frame (layer or model changed). */
  refresh(): void {
    this.seen = -1;
  }

  /** Per tile (each channel stretched to its own maximum) or per layer (one scale: bright = responds more than the others). */
  brightness: 'layer' | 'tile' = 'layer';

  /** What the unit under the mouse is and what it says now. */
  private hover(u: number | null): void {
    const el = $('grid-hover');
    const acts = this.state.acts;
    if (u == null || !acts) {
      el.textContent = '';
      return;
    }
    el.textContent = describeUnit(this.state, u);
  }

  private unitAtEvent(e: MouseEvent): number | null {
    if (!this.layout) return null;
    const grid = $canvas('grid');
    const r = grid.getBoundingClientRect();
    return unitAt(
      this.layout,
      ((e.clientX - r.left) * grid.width) / r.width,
      ((e.clientY - r.top) * grid.height) / r.height,
    );
  }

  private key(e: KeyboardEvent): void {
    if (!this.layout) return;
    const L = this.layout;
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: L.cols,
      ArrowUp: -L.cols,
    };
    if (e.key in moves) {
      this.moveCursor(moves[e.key]);
      e.preventDefault();
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.select(this.cursor);
      e.preventDefault();
    }
  }

  select(u: number): void {
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
    // A still or frozen input has no frame rate: say so even when nothing is recomputed.
    if (!input.live) $('fps').textContent = input.frozen ? 'frozen' : 'still input';
    const focused = document.activeElement === $canvas('grid');
    const key = `${layer.name}|${this.state.unit}|${this.cursor}|${focused}`;
    if (!x || (input.version === this.seen && key === this.layerKey)) return;
    this.seen = input.version;
    this.layerKey = key;
    const out = model.layers[model.layers.length - 1].name;
    // The output layer itself (softmax) is asked for once: a sub-model cannot list an output twice.
    const names = layer.name === out ? [out] : [layer.name, out];
    const got = tidyDataAll(() => model.activations(x.expandDims(0) as tf.Tensor4D, names));
    const [acts, probs] = names.length === 1 ? [got[0], got[0]] : got;
    const shape = layer.outputShape as number[];
    this.state.acts = { shape, values: acts };
    const minTile = this.tileSize(shape);
    this.layout = gridLayout(shape, { minTile });
    const shown = this.brightness === 'tile' && shape.length === 3 ? perTile(acts, shape[2]) : acts;
    drawImage(
      $canvas('grid'),
      activationGrid(
        { shape, values: shown },
        { minTile, selected: this.state.unit, cursor: focused ? this.cursor : null },
      ),
    );
    this.classList(layer.name, acts);
    const [h, w, c] = model.input.shape;
    drawImage(
      $canvas('input-view'),
      toImage(x.dataSync(), [h, w, c], { mode: 'range', range: model.input.range }),
    );
    this.raw(h, w);
    this.predictions(predictionsFrom(probs, model.labels, 5));
    this.hooks.onFrame(x);
    const now = performance.now();
    this.times.push(now);
    while (this.times.length > 30) this.times.shift();
    this.state.frames++;
    if (this.times.length > 1)
      this.state.fps = (1000 * (this.times.length - 1)) / (now - this.times[0]);
    if (input.live) $('fps').textContent = `${this.state.fps.toFixed(1)} fps`;
    const info = `${layer.name}: ${shape.join('×')} — ${this.layout.units} ${shape.length === 3 ? 'channels' : 'units'}; click a tile (or arrows + Enter)`;
    if ($('grid-info').textContent !== info) $('grid-info').textContent = info;
  }

  /**
   * Tiles as large as the panel allows at a whole number of device pixels per activation, so the
   * grid is drawn 1:1 on the screen instead of stretched by a fraction in CSS.
   */
  private tileSize(shape: number[]): number {
    if (shape.length !== 3) return 24;
    const dpr = window.devicePixelRatio || 1;
    const cols = Math.ceil(Math.sqrt(shape[2]));
    const room = roomFor($canvas('grid')) * dpr;
    const factor = Math.max(1, Math.min(16, (Math.floor((room - 1) / cols - 1) / shape[1]) | 0));
    return factor * shape[1];
  }

  /** The raw source next to the model's input, with the centre crop outlined. */
  private raw(H: number, W: number): void {
    const src = this.state.input.raw;
    $('raw-figure').hidden = !src;
    if (!src) return;
    const sw = src instanceof HTMLVideoElement ? src.videoWidth : src.width;
    const sh = src instanceof HTMLVideoElement ? src.videoHeight : src.height;
    if (!sw || !sh) return;
    const c = $canvas('raw-view');
    const cw = 160;
    const ch = Math.max(1, Math.round((cw * sh) / sw));
    if (c.width !== cw || c.height !== ch) [c.width, c.height] = [cw, ch];
    const g = c.getContext('2d')!;
    g.drawImage(src, 0, 0, cw, ch);
    const [y1, x1, y2, x2] = centreBox(sh, sw, H, W);
    g.strokeStyle = '#ff8c00';
    g.lineWidth = 2;
    g.strokeRect(x1 * cw + 1, y1 * ch + 1, (x2 - x1) * cw - 2, (y2 - y1) * ch - 2);
  }

  /** Logits and softmax tiles stand for classes: their names and values, largest first, under the grid. */
  private classList(layer: string, acts: Float32Array): void {
    const list = $('grid-classes');
    const model = this.state.model!;
    const isClass =
      layer === model.layers[model.layers.length - 1].name || layer === model.logitsLayer;
    const names = model.labels ?? this.state.config.data?.classNames;
    list.hidden = !isClass || !names;
    if (list.hidden) return;
    const order = Array.from(acts, (v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    list.replaceChildren(
      ...order.map(([v, i]) => {
        const li = document.createElement('li');
        li.textContent = `unit ${i} = “${names![i] ?? i}”: ${v.toPrecision(3)}`;
        return li;
      }),
    );
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
