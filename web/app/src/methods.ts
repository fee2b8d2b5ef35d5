/**
 * Method views on the current input, with sliders for their main parameters: maximize (Erhan,
 * Yosinski, Lucid), DeepDream, inversion and occlusion — the library's functions, driven a slice
 * of steps per frame with a progress bar and a cancel button.
 */
import * as tf from '@tensorflow/tfjs';
import {
  analysis,
  engine,
  featureVis,
  objectives,
  render,
  type LayerInfo,
  type RgbaImage,
  type VisModel,
} from '../../../src/index.js';
import { $, $button, $canvas, $input, drawImage, slider } from './draw.js';
import { status, type AppState } from './state.js';
import { aheadWords, runMaximize } from './maximize_run.js';

const { deepDream, parseUnits } = objectives;
const { dreamPhotoSteps, drive, invertSteps } = featureVis;
const { grid, heatOverlay, toImage } = render;
const { itemOf } = engine;
const { occlusion } = analysis;

/**
 * How much a dream changed the photo: the mean |Δ| as a fraction of the range, and the fraction of
 * pixels it pushed onto a bound (ending at black or white from at least 2% of the range away):
 * "visible" and "saturated" as numbers.
 */
export function dreamChange(
  before: ArrayLike<number>,
  after: ArrayLike<number>,
  [lo, hi]: readonly [number, number],
): { mean: number; clipped: number } {
  const span = hi - lo;
  let sum = 0;
  let clipped = 0;
  for (let i = 0; i < before.length; i++) {
    sum += Math.abs(after[i] - before[i]) / span;
    if (
      (after[i] >= hi && before[i] < hi - 0.02 * span) ||
      (after[i] <= lo && before[i] > lo + 0.02 * span)
    )
      clipped++;
  }
  return { mean: sum / before.length, clipped: clipped / before.length };
}

type View = 'maximize' | 'dream' | 'invert' | 'occlusion';
const VIEWS: View[] = ['maximize', 'dream', 'invert', 'occlusion'];

export class MethodsPanel {
  private view: View = 'maximize';
  private signal: { aborted: boolean } | null = null;
  private running: Promise<void> | null = null;
  private readonly p = {
    maxSteps: slider('max-steps'),
    octaves: slider('dream-octaves'),
    dreamSteps: slider('dream-steps'),
    dreamLr: slider('dream-lr'),
    dreamSize: slider('dream-size'),
    invSteps: slider('inv-steps'),
    invTv: slider('inv-tv'),
    occSize: slider('occ-size'),
    occStride: slider('occ-stride'),
  };

  constructor(private readonly state: AppState) {
    for (const v of VIEWS) {
      const tab = $button(`tab-${v}`);
      tab.addEventListener('click', () => this.show(v));
      tab.addEventListener('keydown', (e) => {
        const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (!d) return;
        const next = VIEWS[(VIEWS.indexOf(v) + d + VIEWS.length) % VIEWS.length];
        this.show(next);
        $button(`tab-${next}`).focus();
      });
    }
    $button('method-run').addEventListener('click', () => {
      this.running = this.run();
    });
    $button('method-cancel').addEventListener(
      'click',
      () => this.signal && (this.signal.aborted = true),
    );
    // One tab in the Tab order (the selected one); arrows move between tabs.
    this.show(this.view);
  }

  /** Stops running work and waits until it has let go of the model. */
  async cancel(): Promise<void> {
    if (this.signal) this.signal.aborted = true;
    await this.running;
  }

  show(view: View): void {
    this.view = view;
    for (const v of VIEWS) {
      $(`view-${v}`).hidden = v !== view;
      $button(`tab-${v}`).setAttribute('aria-selected', String(v === view));
      $button(`tab-${v}`).tabIndex = v === view ? 0 : -1;
    }
  }

  private async run(): Promise<void> {
    const { model, layer } = this.state;
    if (!model || !layer) return;
    const x = this.state.input.current(model);
    if (!x && this.view !== 'maximize') {
      status('choose an input first (webcam, video, image or data set)');
      return;
    }
    const signal = { aborted: false };
    this.signal = signal;
    const bar = $('method-progress') as HTMLProgressElement;
    const out = $canvas('method-out');
    out.dataset.state = 'running';
    // The previous result goes: it does not describe this run.
    out.getContext('2d')!.clearRect(0, 0, out.width, out.height);
    $('method-info').textContent = `${this.view} on ${layer.name}: running…`;
    $button('method-run').disabled = true;
    $button('method-cancel').disabled = false;
    bar.value = 0;
    const t0 = performance.now();
    const input = x ? tf.clone(x) : null;
    try {
      const r = await this.compute(model, layer, input, signal, (f) => (bar.value = f));
      drawImage(out, r.image);
      const what = signal.aborted ? 'cancelled' : 'done';
      out.dataset.state = what;
      $('method-info').textContent =
        `${this.view} on ${layer.name}: ${r.info} (${what}, ${((performance.now() - t0) / 1000).toFixed(1)}s)`;
    } catch (e) {
      out.dataset.state = 'error';
      $('method-info').textContent = `${this.view} failed: ${(e as Error).message}`;
    } finally {
      input?.dispose();
      bar.value = 1;
      $button('method-run').disabled = false;
      $button('method-cancel').disabled = true;
      this.signal = null;
    }
  }

  private async compute(
    model: VisModel,
    layer: LayerInfo,
    x: tf.Tensor3D | null,
    signal: { aborted: boolean },
    progress: (f: number) => void,
  ): Promise<{ image: RgbaImage; info: string }> {
    const [h, w, c] = model.input.shape;
    const range = model.input.range;
    const pic = (
      v: ArrayLike<number>,
      shape: [number, number, number],
      norm: 'minmax' | 'range' = 'range',
    ) => toImage(v, shape, norm === 'range' ? { mode: 'range', range } : { mode: 'minmax' });
    if (this.view === 'maximize') {
      const units = parseUnits($input('max-units').value, layer, 64);
      const method = ($('max-method') as HTMLSelectElement).value;
      const steps = this.p.maxSteps();
      const tilesOf = (v: Float32Array, shape: [number, number, number] = [h, w, c]) =>
        units.map((_, i) => pic(itemOf(v, i, shape), shape, 'minmax'));
      const r = await runMaximize(model, layer, units, method, steps, signal, progress, {
        start: x,
        config: this.state.config,
        live: (v, step, shape) => {
          if (signal.aborted) return;
          drawImage(
            $canvas('method-out'),
            grid(tilesOf(v, shape), { labels: units.map(String), minTile: 112 }),
          );
          $('method-info').textContent =
            `maximize on ${layer.name}: running, step ${step + 1} of ${steps}`;
        },
      });
      const v = r.images.dataSync() as Float32Array;
      r.images.dispose();
      return {
        image: grid(tilesOf(v), {
          labels: units.map((u, i) => `${u} ${r.activations[i].toPrecision(3)}`),
          minTile: 112,
        }),
        info: `${method}, ${units.length} units at once${r.ahead ? `; ${aheadWords(r.ahead)}` : ''}`,
      };
    }
    if (this.view === 'dream') {
      const octaves = this.p.octaves();
      const steps = this.p.dreamSteps();
      const size = this.p.dreamSize();
      const photo = tf.tidy(() => tf.image.resizeBilinear(x!, [h * size, w * size], true));
      try {
        let done = 0;
        const r = await drive(
          dreamPhotoSteps(model, photo, {
            objective: deepDream(layer),
            octaves,
            stepsPerOctave: steps,
            lr: this.p.dreamLr(),
            signal,
            onStep: () => progress(++done / (octaves * steps)),
          }),
        );
        const [H, W] = r.image.shape;
        const v = r.image.dataSync();
        r.image.dispose();
        const before = photo.dataSync();
        const change = dreamChange(before, v, range);
        const out = $canvas('method-out');
        out.dataset.meanChange = change.mean.toFixed(4);
        out.dataset.clipped = change.clipped.toFixed(4);
        return {
          image: grid([pic(before, [H, W, c]), pic(v, [H, W, c])], {
            labels: ['input', 'dream'],
            minTile: 112,
          }),
          info: `${octaves} octaves × ${steps} steps, ${H}×${W}: pixels changed by ${(100 * change.mean).toFixed(1)}% of the range on average, ${(100 * change.clipped).toFixed(1)}% pushed to black or white`,
        };
      } finally {
        photo.dispose();
      }
    }
    if (this.view === 'invert') {
      const steps = this.p.invSteps();
      const r = await drive(
        invertSteps(model, x!, {
          layer: layer.name,
          restarts: 2,
          steps,
          lambdaTV: this.p.invTv(),
          signal,
          onStep: ({ step }) => progress((step + 1) / steps),
        }),
      );
      const v = r.images.dataSync();
      r.images.dispose();
      const tiles = [
        pic(x!.dataSync(), [h, w, c]),
        ...r.errors.map((_, i) => pic(itemOf(v, i, [h, w, c]), [h, w, c])),
      ];
      return {
        image: grid(tiles, {
          labels: ['input', ...r.errors.map((e) => `error ${e.toFixed(3)}`)],
          minTile: 112,
        }),
        info: `reconstructions from ${layer.name}, normalized errors ${r.errors.map((e) => e.toFixed(3)).join(', ')}`,
      };
    }
    // Occlusion: one batched pass, given a frame to paint the progress bar first.
    await new Promise((r) => setTimeout(r, 0));
    // The target is on the selected layer: the open unit, else the layer’s strongest unit for this input.
    const unit = this.state.unit;
    const o = occlusion(model, x!, {
      size: Math.min(this.p.occSize(), h, w),
      stride: this.p.occStride(),
      layer: layer.name,
      ...(unit != null ? { units: [unit] } : {}),
      ...(layer.outputShape.length === 3 ? { neuron: 'max' as const } : {}),
    });
    const base = pic(x!.dataSync(), [h, w, c]);
    const isOut =
      layer.name === model.layers[model.layers.length - 1].name || layer.name === model.logitsLayer;
    const label = isOut ? (model.labels?.[o.unit] ?? `class ${o.unit}`) : `unit ${o.unit}`;
    const where = o.neuron ? ` at (${o.neuron.join(', ')})` : '';
    return {
      image: grid(
        [
          base,
          heatOverlay(
            base,
            o.heat.map((v) => Math.max(0, v)),
          ),
        ],
        { labels: ['input', `drop of ${label}`], minTile: 112 },
      ),
      info: `${label}${where} (activation ${o.base.toPrecision(3)}), square ${o.size}, stride ${o.stride}`,
    };
  }
}
