/**
 * What `deepvis serve` tells the page at /api/config: the one type the server builds and the web
 * app (web/app/src/api.ts) reads, so the two cannot drift apart.
 */
export interface ServedModel {
  name: string;
  /** The model's JSON, under /models/<i>/. */
  url: string;
  /** /api/index/<i> when the model has a top-k index, else null. */
  index: string | null;
  /** Per-unit images in the model's report/: folder → units. */
  report: Record<string, number[]>;
  /** The model's report site (deepvis serve --report), under /reports/<i>/, and the layers it has pages for; else null. */
  atlas: { url: string; layers: string[] } | null;
  layers: number;
  input: readonly [number, number, number];
  range: readonly [number, number];
  labels: readonly string[] | null;
}

export interface ServeConfig {
  models: ServedModel[];
  data: {
    spec: string | undefined;
    count: number;
    shape: readonly [number, number, number];
    classNames: readonly string[] | null;
    labelled: boolean;
  } | null;
}
