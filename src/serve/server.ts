/**
 * The web app's server (Node): the built app, the models' files, a data set to browse, and what
 * only a scan of that data set can give — each model's top-k index (scanned at start, cached on
 * disk), per-layer specificity (computed on first request) and the per-unit images of its
 * report/ folder. All through the same library code as
 * the CLI. Headers make the page cross-origin isolated, so tfjs can use wasm threads there.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { scanTopK, type TopKIndex } from '../analysis/scan.js';
import { specificity, type LayerSpecificity } from '../analysis/specificity.js';
import { loadDataSplit } from '../data/load.js';
import { toRange, type ImageSet } from '../data/dataset.js';
import { DeepvisError } from '../errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { loadModel, resolveModelJson } from '../io/model_files.js';
import type { VisModel } from '../model/types.js';

export interface ServeArgs {
  readonly models: readonly string[];
  /** Data set spec (mnist, fashion-mnist, a folder, an IDX file); its evaluation split is served. */
  readonly data?: string;
  /** The built app (index.html + assets). */
  readonly appDir: string;
  readonly port?: number;
  readonly host?: string;
  /** Where scanned indexes are cached. */
  readonly cacheDir: string;
  readonly log?: (line: string) => void;
}

interface Served {
  /** Per-unit images in the model's report/ (maximize --unit-files): folder (e.g. conv2_pre-erhan) → units. */
  report: Record<string, number[]>;
  name: string;
  dir: string;
  json: string;
  model: VisModel;
  index: TopKIndex | null;
  specificity: Map<string, LayerSpecificity>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.bin': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = 'application/json', extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-cache',
    ...extra,
  });
  res.end(body);
}

async function indexFor(m: Served, set: ImageSet, spec: string, cacheDir: string, log: (s: string) => void): Promise<TopKIndex | null> {
  if (set.shape.join() !== m.model.input.shape.join()) {
    log(`${m.name}: data set images [${set.shape.join(', ')}] do not fit the model [${m.model.input.shape.join(', ')}]; no top-k index`);
    return null;
  }
  const stat = await fs.stat(m.json);
  const key = createHash('sha1').update(`${path.resolve(m.json)}|${stat.mtimeMs}|${spec}`).digest('hex').slice(0, 12);
  const file = path.join(cacheDir, `${m.name}-${key}-topk-index.json`);
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as TopKIndex;
  } catch {
    const index = await scanTopK(m.model, toRange(set, m.model.input.range), { k: 9, datasetSpec: `${spec}:eval`, modelPath: m.dir });
    await writeJsonAtomic(file, index);
    log(`${m.name}: scanned ${index.dataset.count} images in ${index.seconds.toFixed(1)}s (cached in ${file})`);
    return index;
  }
}

export async function serve(args: ServeArgs): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const log = args.log ?? ((s: string) => console.log(s));
  try {
    await fs.access(path.join(args.appDir, 'index.html'));
  } catch {
    throw new DeepvisError(`the web app is not built in ${args.appDir}`);
  }
  const served: Served[] = [];
  const names = new Set<string>();
  for (const p of args.models) {
    const json = await resolveModelJson(p);
    const dir = path.dirname(json);
    let name = path.basename(dir);
    while (names.has(name)) name += '_';
    names.add(name);
    const report: Record<string, number[]> = {};
    for (const e of await fs.readdir(path.join(dir, 'report'), { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      const files = await fs.readdir(path.join(dir, 'report', e.name));
      report[e.name] = files.flatMap((f) => /^unit-(\d+)\.png$/.exec(f)?.[1] ?? []).map(Number).sort((a, b) => a - b);
    }
    served.push({ name, dir, json, report, model: await loadModel(p), index: null, specificity: new Map() });
  }
  let data: ImageSet | null = null;
  if (args.data) {
    const shape = served[0]?.model.input.shape ?? [28, 28, 1];
    data = (await loadDataSplit(args.data, shape, 0)).test;
    for (const m of served) m.index = await indexFor(m, data, args.data, args.cacheDir, log);
  }

  const config = () => ({
    models: served.map((m, i) => ({
      name: m.name, url: `/models/${i}/${path.basename(m.json)}`, index: m.index ? `/api/index/${i}` : null,
      report: m.report, layers: m.model.layers.length, input: m.model.input.shape, range: m.model.input.range, labels: m.model.labels,
    })),
    data: data ? { spec: args.data, count: data.count, shape: data.shape, classNames: data.classNames, labelled: data.labels != null } : null,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'api') {
      if (parts[1] === 'config') return send(res, 200, JSON.stringify(config()));
      if (parts[1] === 'index') {
        const m = served[Number(parts[2])];
        return m?.index ? send(res, 200, JSON.stringify(m.index)) : send(res, 404, '{"error":"no top-k index for this model"}');
      }
      if (parts[1] === 'images') {
        if (!data) return send(res, 404, '{"error":"no data set served (start with --data)"}');
        const indices = (url.searchParams.get('indices') ?? '').split(',').filter(Boolean).map(Number);
        if (indices.length === 0 || indices.length > 1024 || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= data!.count)) {
          return send(res, 400, JSON.stringify({ error: `indices must be 1–1024 integers in 0–${data.count - 1}` }));
        }
        const size = data.shape[0] * data.shape[1] * data.shape[2];
        const out = new Float32Array(indices.length * size);
        indices.forEach((i, k) => out.set(data!.images.subarray(i * size, (i + 1) * size), k * size));
        const labels = indices.map((i) => data!.labels?.[i] ?? -1).join(',');
        return send(res, 200, new Uint8Array(out.buffer), 'application/octet-stream', { 'x-shape': data.shape.join(','), 'x-labels': labels });
      }
      if (parts[1] === 'specificity') {
        const m = served[Number(parts[2])];
        if (!m || !data?.labels) return send(res, 404, '{"error":"specificity needs a labelled data set that fits the model"}');
        if (data.shape.join() !== m.model.input.shape.join()) return send(res, 404, '{"error":"the data set does not fit this model"}');
        try {
          const layer = m.model.layer(parts[3] ?? '').name;
          let s = m.specificity.get(layer);
          if (!s) {
            s = specificity(m.model, toRange(data, m.model.input.range), layer);
            m.specificity.set(layer, s);
          }
          return send(res, 200, JSON.stringify(s));
        } catch (e) {
          return send(res, 400, JSON.stringify({ error: (e as Error).message }));
        }
      }
      return send(res, 404, '{"error":"unknown endpoint"}');
    }
    if (parts[0] === 'models') {
      const m = served[Number(parts[1])];
      const file = parts.slice(2).join('/');
      if (!m || !file || file.includes('..')) return send(res, 404, '{"error":"no such model file"}');
      try {
        return send(res, 200, await fs.readFile(path.join(m.dir, file)), TYPES[path.extname(file)] ?? 'application/octet-stream');
      } catch {
        return send(res, 404, '{"error":"no such model file"}');
      }
    }
    const rel = parts.length === 0 ? 'index.html' : parts.join('/');
    if (rel.includes('..')) return send(res, 404, 'not found', 'text/plain');
    try {
      return send(res, 200, await fs.readFile(path.join(args.appDir, rel)), TYPES[path.extname(rel)] ?? 'application/octet-stream');
    } catch {
      return send(res, 404, 'not found', 'text/plain');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, JSON.stringify({ error: String((e as Error).message) })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new DeepvisError(`port ${args.port} is in use; pick another with --port`) : e));
    server.listen(args.port ?? 8080, args.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as { port: number };
  const url = `http://${args.host ?? '127.0.0.1'}:${addr.port}/`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
        served.forEach((m) => m.model.dispose());
      }),
  };
}
