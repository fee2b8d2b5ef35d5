/**
 * The embedding view (TensorBoard's projector, Agrawal & Balani §4.3): a dense layer's activations over
 * the first N images of the served data set, reduced to 2-D by the library's embed() (t-SNE, UMAP
 * or PCA), drawn as points coloured by label. Hovering a point shows its image; clicking it (or
 * Enter on the keyboard point, moved with the arrows) opens that image as the input.
 */
import { analysis, data, engine, render, type VisModel } from '../../../src/index.js';
import type { EmbeddingMethod } from '../../../src/analysis/embedding.js';
import { $, $button, $canvas, drawImage } from './draw.js';
import { dataFits, pageSet } from './page_data.js';
import type { AppState } from './state.js';

const { embed, scannableLayers } = analysis;
const { itemOf } = engine;
const { subset } = data;
const { toImage } = render;

/** Ten colours that stay apart (Tableau 10), one per class. */
export const CLASS_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const SIZE = 360;

interface Shown {
  model: VisModel;
  xy: Array<[number, number]>;
  labels: number[] | null;
  images: Float32Array;
  shape: [number, number, number];
  cursor: number;
}

export class EmbeddingView {
  private shown: Shown | null = null;

  constructor(
    private readonly state: AppState,
    private readonly open: (index: number) => void,
  ) {
    $button('embed-run').addEventListener('click', () => void this.run());
    const c = $canvas('embed-plot');
    c.addEventListener('mousemove', (e) => this.hover(this.pointAt(e)));
    c.addEventListener('mouseleave', () => this.hover(null));
    c.addEventListener('click', (e) => {
      const i = this.pointAt(e);
      if (i != null) this.open(i);
    });
    c.addEventListener('keydown', (e) => {
      if (!this.shown) return;
      const d =
        e.key === 'ArrowRight' || e.key === 'ArrowDown'
          ? 1
          : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
            ? -1
            : 0;
      if (d) {
        this.shown.cursor = (this.shown.cursor + d + this.shown.xy.length) % this.shown.xy.length;
        this.hover(this.shown.cursor);
        e.preventDefault();
      } else if (e.key === 'Enter') {
        this.open(this.shown.cursor);
        e.preventDefault();
      }
    });
  }

  /** A new model: the dense layers it offers, and whether the served data fits it. */
  reset(model: VisModel): void {
    this.shown = null;
    const select = $('embed-layer') as HTMLSelectElement;
    const dense = scannableLayers(model).filter((l) => l.outputShape.length === 1);
    select.replaceChildren(...dense.map((l) => new Option(`${l.name} (${l.units})`, l.name)));
    // A hidden dense layer is the usual choice: the logits and softmax are one axis per class.
    const out = [model.layers[model.layers.length - 1].name, model.logitsLayer];
    const hidden = dense.filter((l) => !out.includes(l.name));
    if (hidden.length) select.value = hidden[hidden.length - 1].name;
    const fits = dataFits(this.state.config, model);
    $button('embed-run').disabled = !fits || dense.length === 0;
    $canvas('embed-plot').getContext('2d')!.clearRect(0, 0, SIZE, SIZE);
    $('embed-info').textContent = !this.state.config.data
      ? 'needs a served data set (deepvis serve --data)'
      : !fits
        ? 'the served data set does not fit this model'
        : dense.length === 0
          ? 'this model has no dense layer'
          : 'choose a layer and press Embed';
    this.hover(null);
  }

  private async run(): Promise<void> {
    const model = this.state.model;
    if (!model) return;
    const layer = ($('embed-layer') as HTMLSelectElement).value;
    const method = ($('embed-method') as HTMLSelectElement).value as EmbeddingMethod;
    const count = Math.min(
      Number(($('embed-count') as HTMLSelectElement).value),
      this.state.config.data!.count,
    );
    $button('embed-run').disabled = true;
    const words = ({ tsne: 't-SNE', umap: 'UMAP', pca: 'PCA' } as const)[method];
    $('embed-info').textContent = `${words} of ${count} images at ${layer}: computing…`;
    try {
      const all = await pageSet(this.state.config, model);
      const set = subset(
        all,
        Array.from({ length: count }, (_, i) => i),
      );
      // Let the caption paint before the (synchronous) reduction.
      await new Promise((r) => setTimeout(r, 30));
      const e = embed(model, set, layer, { method });
      if (this.state.model !== model) return;
      this.shown = {
        model,
        xy: this.scale(e.points),
        labels: e.labels,
        images: set.images,
        shape: [...set.shape] as [number, number, number],
        cursor: 0,
      };
      this.draw();
      $canvas('embed-plot').dataset.points = String(e.points.length);
      const knn =
        e.knnAccuracy == null
          ? ''
          : `; a point’s 5 nearest neighbours share its label ${(100 * e.knnAccuracy).toFixed(0)}% of the time`;
      $('embed-info').textContent =
        `${words} of ${count} images at ${e.layer} (${e.dims} dimensions in), ${e.seconds.toFixed(1)} s${knn}. Hover a point to see its image; click to open it.`;
      this.legend(set.classNames ?? model.labels);
    } catch (err) {
      $('embed-info').textContent = `embedding failed: ${(err as Error).message}`;
    } finally {
      $button('embed-run').disabled = false;
    }
  }

  private scale(points: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const pad = 8;
    return points.map(([x, y]) => [
      pad + ((x - x0) / (x1 - x0 || 1)) * (SIZE - 2 * pad),
      pad + ((y - y0) / (y1 - y0 || 1)) * (SIZE - 2 * pad),
    ]);
  }

  private draw(highlight: number | null = null): void {
    const s = this.shown;
    const c = $canvas('embed-plot');
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== SIZE * dpr) [c.width, c.height] = [SIZE * dpr, SIZE * dpr];
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, SIZE, SIZE);
    if (!s) return;
    s.xy.forEach(([x, y], i) => {
      g.fillStyle = CLASS_COLOURS[(s.labels?.[i] ?? 0) % CLASS_COLOURS.length];
      g.beginPath();
      g.arc(x, y, 2.5, 0, 2 * Math.PI);
      g.fill();
    });
    if (highlight != null) {
      const [x, y] = s.xy[highlight];
      g.strokeStyle = '#1b1b22';
      g.lineWidth = 2;
      g.beginPath();
      g.arc(x, y, 6, 0, 2 * Math.PI);
      g.stroke();
    }
  }

  private legend(names: readonly string[] | null): void {
    const labels = [...new Set(this.shown?.labels ?? [])].sort((a, b) => a - b);
    $('embed-legend').replaceChildren(
      ...labels.map((l) => {
        const li = document.createElement('li');
        const dot = document.createElement('span');
        dot.className = 'dot';
        dot.style.background = CLASS_COLOURS[l % CLASS_COLOURS.length];
        li.append(dot, names?.[l] ?? String(l));
        return li;
      }),
    );
  }

  private pointAt(e: MouseEvent): number | null {
    const s = this.shown;
    if (!s) return null;
    const r = $canvas('embed-plot').getBoundingClientRect();
    const [mx, my] = [
      ((e.clientX - r.left) * SIZE) / r.width,
      ((e.clientY - r.top) * SIZE) / r.height,
    ];
    let best = -1;
    let bd = 64;
    s.xy.forEach(([x, y], i) => {
      const d = (x - mx) ** 2 + (y - my) ** 2;
      if (d < bd) [best, bd] = [i, d];
    });
    return best >= 0 ? best : null;
  }

  private hover(i: number | null): void {
    const s = this.shown;
    const tip = $('embed-hover');
    this.draw(i);
    if (i == null || !s) {
      tip.hidden = true;
      return;
    }
    tip.hidden = false;
    const [lo, hi] = s.model.input.range;
    drawImage(
      $canvas('embed-thumb'),
      toImage(itemOf(s.images, i, s.shape), s.shape, { mode: 'range', range: [lo, hi] }),
    );
    const label = s.labels?.[i];
    const names = this.state.config.data?.classNames ?? s.model.labels;
    $('embed-hover-caption').textContent =
      `image #${i}${label != null ? `, label ${names?.[label] ?? label}` : ''} (Enter or click opens it)`;
  }
}
