/**
 * The unit's precomputed pictures, when the server has them: the maximized image in the model's
 * report/ folder (maximize --unit-files) drawn as the unit's optimized image, and, when serve was
 * given the model's report site (--report), that site's unit page: its feature visualizations, top
 * crops and their deconvnet projections as pictures, and a link to the page itself.
 */
import { models, render, type LayerInfo } from '../../../src/index.js';
import { $, $canvas } from './draw.js';
import type { AppState } from './state.js';

const { fileStem } = render;
const { refName } = models;

/** The unit-files image into #unit-opt; false when there is none. */
export async function unitFileImage(
  state: AppState,
  layer: LayerInfo,
  unit: number,
): Promise<boolean> {
  if (state.served < 0) return false;
  const canvas = $canvas('unit-opt');
  const report = state.config.models[state.served]?.report ?? {};
  for (const stem of [fileStem(refName({ name: layer.name, pre: true })), fileStem(layer.name)]) {
    if (!report[`${stem}-erhan`]?.includes(unit)) continue;
    const res = await fetch(`./models/${state.served}/report/${stem}-erhan/unit-${unit}.png`);
    if (!res.ok || state.unit !== unit) continue;
    const bitmap = await createImageBitmap(await res.blob());
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    canvas.dataset.state = 'report';
    $('unit-opt-caption').textContent =
      `Erhan’s maximized image, from the model’s report folder (${stem}-erhan); Maximize recomputes it here`;
    return true;
  }
  return false;
}

interface UnitJson {
  methods?: Array<{ method: string; image: string; activation: number }>;
  examples?: { crops?: string[]; deconv?: string[] };
}

const img = (src: string, alt: string) => {
  const i = document.createElement('img');
  i.src = src;
  i.alt = alt;
  i.title = alt;
  return i;
};

/** The report site's pictures of the unit into #unit-atlas (hidden without a site or a page for the unit). */
export async function atlasImages(state: AppState, layer: LayerInfo, unit: number): Promise<void> {
  const box = $('unit-atlas');
  const atlas = state.served >= 0 ? state.config.models[state.served]?.atlas : null;
  box.hidden = true;
  box.dataset.count = '0';
  if (!atlas?.layers.includes(layer.name)) return;
  const base = atlas.url;
  const page = `${base}units/${fileStem(layer.name)}/${unit}`;
  const res = await fetch(`.${page}.json`).catch(() => null);
  if (!res?.ok || state.unit !== unit || state.layer !== layer) return;
  const u = (await res.json()) as UnitJson;
  const at = (rel: string) => `.${base}${rel}`;
  const rows: Array<[string, HTMLImageElement[]]> = [
    [
      'feature visualizations',
      (u.methods ?? []).map((m) =>
        img(at(m.image), `${m.method}, activation ${m.activation.toPrecision(3)}`),
      ),
    ],
    ['top crops', (u.examples?.crops ?? []).map((c, r) => img(at(c), `top example ${r + 1}`))],
    [
      'their deconvnet projections',
      (u.examples?.deconv ?? []).map((c, r) =>
        img(at(c), `deconvnet projection of top example ${r + 1}`),
      ),
    ],
  ];
  const link = document.createElement('a');
  link.href = `.${page}.html`;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = `open ${layer.name} unit ${unit} in the report`;
  const parts = rows
    .filter(([, imgs]) => imgs.length)
    .map(([title, imgs]) => {
      const fig = document.createElement('figure');
      const strip = document.createElement('div');
      strip.className = 'strip';
      strip.append(...imgs);
      const cap = document.createElement('figcaption');
      cap.textContent = `from the report: ${title}`;
      fig.append(strip, cap);
      return fig;
    });
  $('unit-atlas-body').replaceChildren(...parts, link);
  box.dataset.count = String(rows.reduce((n, [, i]) => n + i.length, 0));
  box.hidden = false;
}
