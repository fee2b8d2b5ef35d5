/**
 * The class-specificity profile as SVG at its display size (text stays text, readable at any
 * zoom): one bar per class, the classes the unit is specific to in the accent colour, dashed lines
 * at the overall mean and at the threshold above it. Numbers only from the library's specificity().
 */
import type { analysis } from '../../../src/index.js';

type LayerSpecificity = analysis.LayerSpecificity;

const NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

/** The unit's verdict in words, for the caption: "specific to three, eight" or "non-specific". */
export function specificityVerdict(
  s: LayerSpecificity,
  unit: number,
  classes: readonly string[],
): string {
  const u = s.units[unit];
  return u.specificTo.length
    ? `${u.modality}, specific to ${u.specificTo.map((k) => classes[k]).join(', ')}`
    : u.modality;
}

export function specificityChart(
  s: LayerSpecificity,
  unit: number,
  classes: readonly string[],
  width: number,
): SVGSVGElement {
  const u = s.units[unit];
  const n = u.classMeans.length;
  const height = 150;
  const [left, right, top, bottom] = [34, 44, 8, 22];
  const threshold = u.overallMean * (1 + s.threshold);
  const values = [...u.classMeans, u.overallMean, threshold, 0];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const y = (v: number) => top + ((hi - v) / span) * (height - top - bottom);
  const slot = (width - left - right) / n;
  const svg = el('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    class: 'spec-chart',
  });
  svg.append(
    el(
      'title',
      {},
      `mean activation of unit ${unit} per class; specific to ${u.specificTo.map((k) => classes[k]).join(', ') || 'no class'}`,
    ),
  );
  svg.append(el('line', { x1: left, x2: width - right, y1: y(0), y2: y(0), class: 'axis' }));
  for (const v of [hi, lo])
    svg.append(
      el(
        'text',
        { x: left - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' },
        v.toPrecision(2),
      ),
    );
  const specific = new Set(u.specificTo);
  u.classMeans.forEach((m, k) => {
    const [y0, y1] = [y(Math.max(0, m)), y(Math.min(0, m))];
    const bar = el('rect', {
      x: left + k * slot + slot * 0.15,
      y: y0,
      width: slot * 0.7,
      height: Math.max(1, y1 - y0),
      class: specific.has(k) ? 'bar specific' : 'bar',
    });
    bar.append(el('title', {}, `${classes[k]}: ${m.toPrecision(3)}`));
    svg.append(bar);
    const label = classes[k].length > 6 && slot < 48 ? `${classes[k].slice(0, 5)}…` : classes[k];
    svg.append(
      el(
        'text',
        {
          x: left + (k + 0.5) * slot,
          y: height - bottom + 14,
          'text-anchor': 'middle',
          class: 'tick',
        },
        label,
      ),
    );
  });
  for (const [v, name, cls] of [
    [u.overallMean, 'mean', 'mean'],
    [threshold, `+${Math.round(100 * s.threshold)}%`, 'threshold'],
  ] as const) {
    svg.append(
      el('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: `ref ${cls}` }),
    );
    svg.append(el('text', { x: width - right + 4, y: y(v) + 4, class: `tick ${cls}` }, name));
  }
  return svg;
}
