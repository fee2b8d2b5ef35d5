/** What the server (src/serve/server.ts) offers the page. */
import type { analysis } from '../../../src/index.js';
import type { ServeConfig } from '../../../src/serve/config.js';

type LayerSpecificity = analysis.LayerSpecificity;
type TopKIndex = analysis.TopKIndex;

export type { ServedModel } from '../../../src/serve/config.js';
export type Config = ServeConfig;

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok)
    throw new Error(
      ((await res.json().catch(() => ({}))) as { error?: string }).error ??
        `${url}: HTTP ${res.status}`,
    );
  return (await res.json()) as T;
}

export const fetchConfig = () => json<Config>('./api/config');
export const fetchIndex = (url: string) => json<TopKIndex>(url);
export const fetchSpecificity = (model: number, layer: string) =>
  json<LayerSpecificity>(`./api/specificity/${model}/${encodeURIComponent(layer)}`);

/** Data-set images in [0, 1], [n, H, W, C] row-major, and their labels (−1: none). */
export async function fetchImages(
  indices: readonly number[],
): Promise<{ values: Float32Array; shape: [number, number, number]; labels: number[] }> {
  const res = await fetch(`./api/images?indices=${indices.join(',')}`);
  if (!res.ok)
    throw new Error(
      ((await res.json().catch(() => ({}))) as { error?: string }).error ??
        `images: HTTP ${res.status}`,
    );
  const shape = (res.headers.get('x-shape') ?? '').split(',').map(Number) as [
    number,
    number,
    number,
  ];
  const labels = (res.headers.get('x-labels') ?? '').split(',').map(Number);
  return { values: new Float32Array(await res.arrayBuffer()), shape, labels };
}
