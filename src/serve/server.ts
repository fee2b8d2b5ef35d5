/**
 * The web app's server (Node): the built app, the models' files, a data set to browse, and what
 * only a scan of that data set can give — each model's top-k index (scanned at start, cached in
 * the per-user cache), per-layer specificity (computed on first request) and the per-unit images
 * of its report/ folder. All through the same library code as the CLI. Headers make the page
 * cross-origin isolated, so tfjs can use wasm threads there.
 * Of a model's folder only the files the model consists of are served (model.json and the shards
 * its manifest lists, or the .onnx/.h5/.keras file and its sidecar, plus report/LAYER-METHOD/unit-N.png),
 * each realpath-checked to stay inside the folder, no dotfiles; requests pass guard.ts first.
 */
import { promises as fs } from 'node:fs';
import { itemOf } from '../engine/read.js';
import type { ServeConfig } from './config.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { scanTopK, type TopKIndex } from '../analysis/scan.js';
import { specificity, type LayerSpecificity } from '../analysis/specificity.js';
import { loadDataSplit } from '../data/load.js';
import { toRange, type ImageSet } from '../data/dataset.js';
import { DeepvisError, printable } from '../errors.js';
import { loadModel, resolveModelJson } from '../io/model_files.js';
import { insideFolder, modelFiles } from '../io/model_manifest.js';
import type { VisModel } from '../model/types.js';
import { contentKey, openCacheDir, readCached, writeCached } from './cache.js';
import { matchAtlases, readAtlasFile } from './atlas.js';
import { readFenced } from '../io/fence.js';
import { allowedHosts, pathParts, refusal, SECURITY_HEADERS } from './guard.js';

export interface ServeArgs {
  readonly models: readonly string[];
  /** Data set spec (mnist, fashion-mnist, a folder, an IDX file); its evaluation split is served. */
  readonly data?: string;
  /** The built app (index.html + assets). */
  readonly appDir: string;
  readonly port?: number;
  readonly host?: string;
  /** Where scanned indexes are cached: a folder of the user's own (created 0700, owner checked). */
  readonly cacheDir: string;
  /** Report sites (deepvis report --out DIR) of served models, matched by content hash (atlas.ts). */
  readonly reports?: readonly string[];
  readonly log?: (line: string) => void;
}

interface Served {
  /** Per-unit images in the model's report/ (maximize --unit-files): folder (e.g. conv2_pre-erhan) → units. */
  report: Record<string, number[]>;
  name: string;
  dir: string;
  json: string;
  /** What /models/i/… may hand out: a path relative to the folder → its real path. */
  files: Map<string, string>;
  /** The model's own files (real paths, main first): what its cache key is made of. */
  parts: string[];
  model: VisModel;
  index: TopKIndex | null;
  specificity: Map<string, LayerSpecificity>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function send(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  type = 'application/json',
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const hidden = (rel: string) => rel.split(/[\\/]/).some((p) => p.startsWith('.'));

/** The files a served model consists of, plus its report/ unit images: relative path → real path. */
async function servedFiles(
  json: string,
): Promise<{ files: Map<string, string>; parts: string[]; report: Record<string, number[]> }> {
  const dir = path.dirname(json);
  const realDir = await fs.realpath(dir);
  const files = new Map<string, string>();
  const parts = await modelFiles(json);
  const [main, ...rest] = parts;
  files.set(path.basename(json), main);
  for (const f of rest) {
    const rel = path.relative(realDir, f).split(path.sep).join('/');
    if (!hidden(rel)) files.set(rel, f);
  }
  const report: Record<string, number[]> = {};
  for (const e of await fs
    .readdir(path.join(dir, 'report'), { withFileTypes: true })
    .catch(() => [])) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const units: number[] = [];
    for (const f of await fs
      .readdir(path.join(dir, 'report', e.name))
      .catch(() => [] as string[])) {
      const unit = /^unit-(\d+)\.png$/.exec(f)?.[1];
      const rel = `report/${e.name}/${f}`;
      const real = unit != null ? await insideFolder(dir, rel, json).catch(() => null) : null;
      if (unit == null || !real) continue;
      files.set(rel, real);
      units.push(Number(unit));
    }
    if (units.length) report[e.name] = units.sort((a, b) => a - b);
  }
  return { files, parts, report };
}

/**
 * A model file's bytes, checked now, not only at startup: the name must still resolve to the same
 * real file it did then (a file swapped for a link since resolves elsewhere), and that real path is
 * read through the fence (no link on the way, regular files only, never a FIFO).
 */
async function servedBytes(m: Served, rel: string): Promise<Buffer | null> {
  const real = m.files.get(rel);
  if (!real) return null;
  const lexical = rel === path.basename(m.json) ? m.json : path.join(m.dir, rel);
  const now = await fs.realpath(lexical).catch(() => null);
  if (now !== real) return null;
  return readFenced(
    path.parse(real).root,
    path.relative(path.parse(real).root, real),
    'serve',
  ).catch(() => null);
}

async function indexFor(
  m: Served,
  set: ImageSet,
  spec: string,
  cacheDir: string | null,
  log: (s: string) => void,
): Promise<TopKIndex | null> {
  if (set.shape.join() !== m.model.input.shape.join()) {
    log(
      `${m.name}: data set images [${set.shape.join(', ')}] do not fit the model [${m.model.input.shape.join(', ')}]; no top-k index`,
    );
    return null;
  }
  // Keyed by what the model is (its files' bytes) and what was scanned, not by a path and a time.
  const key = await contentKey(m.parts, `topk-index v1 k9 ${spec}:eval`);
  const cached = cacheDir
    ? await readCached<TopKIndex>(cacheDir, key, `${m.name.replace(/[^\w.-]/g, '_')}-topk-index`)
    : null;
  if (cached && cached.version === 1 && Array.isArray(cached.layers)) return cached;
  const index = await scanTopK(m.model, toRange(set, m.model.input.range), {
    k: 9,
    datasetSpec: `${spec}:eval`,
    modelPath: m.dir,
  });
  // A cache that cannot be written (a full disk, a read-only home) costs the next start a rescan, nothing more.
  const where = !cacheDir
    ? 'not cached'
    : await writeCached(cacheDir, key, `${m.name.replace(/[^\w.-]/g, '_')}-topk-index`, index).then(
        (f) => `cached in ${f}`,
        (e: Error) => `not cached: ${printable(e.message.split('\n')[0])}`,
      );
  log(
    `${m.name}: scanned ${index.dataset.count} images in ${index.seconds.toFixed(1)}s (${where})`,
  );
  return index;
}

export async function serve(
  args: ServeArgs,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
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
    const { files, parts, report } = await servedFiles(json);
    served.push({
      name,
      dir,
      json,
      files,
      parts,
      report,
      model: await loadModel(p),
      index: null,
      specificity: new Map(),
    });
  }
  const atlases = await matchAtlases(args.reports ?? [], args.models);
  let data: ImageSet | null = null;
  if (args.data) {
    // A refused cache (a link, another user's) stops serve; one that cannot be made (a full disk) only goes unused.
    const cacheDir = await openCacheDir(args.cacheDir).catch((e: Error) => {
      if (e instanceof DeepvisError) throw e;
      log(
        `cache ${printable(args.cacheDir)} cannot be used (${printable(e.message.split('\n')[0])}): top-k indexes are not cached`,
      );
      return null;
    });
    const shape = served[0]?.model.input.shape ?? [28, 28, 1];
    data = (await loadDataSplit(args.data, shape, 0)).test;
    for (const m of served) m.index = await indexFor(m, data, args.data, cacheDir, log);
  }

  const atlasOf = (i: number) => {
    const k = atlases.findIndex((a) => a.model === i);
    return k < 0 ? null : { url: `/reports/${k}/`, layers: atlases[k].layers };
  };
  const config = (): ServeConfig => ({
    models: served.map((m, i) => ({
      name: m.name,
      url: `/models/${i}/${path.basename(m.json)}`,
      index: m.index ? `/api/index/${i}` : null,
      report: m.report,
      atlas: atlasOf(i),
      layers: m.model.layers.length,
      input: m.model.input.shape,
      range: m.model.input.range,
      labels: m.model.labels,
    })),
    data: data
      ? {
          spec: args.data,
          count: data.count,
          shape: data.shape,
          classNames: data.classNames,
          labelled: data.labels != null,
        }
      : null,
  });

  let allowed = new Set<string>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refusal(req.method, req.headers.host, allowed);
    if (refused)
      return send(
        res,
        refused[0],
        JSON.stringify({ error: refused[1] }),
        'application/json',
        refused[0] === 405 ? { allow: 'GET, HEAD' } : {},
      );
    const parsed = pathParts(req.url);
    if (!parsed) return send(res, 400, '{"error":"malformed URL encoding"}');
    const { url, parts } = parsed;
    if (parts[0] === 'api') {
      if (parts[1] === 'config') return send(res, 200, JSON.stringify(config()));
      if (parts[1] === 'index') {
        const m = served[Number(parts[2])];
        return m?.index
          ? send(res, 200, JSON.stringify(m.index))
          : send(res, 404, '{"error":"no top-k index for this model"}');
      }
      if (parts[1] === 'images') {
        if (!data) return send(res, 404, '{"error":"no data set served (start with --data)"}');
        const indices = (url.searchParams.get('indices') ?? '')
          .split(',')
          .filter(Boolean)
          .map(Number);
        if (
          indices.length === 0 ||
          indices.length > 1024 ||
          indices.some((i) => !Number.isInteger(i) || i < 0 || i >= data!.count)
        ) {
          return send(
            res,
            400,
            JSON.stringify({ error: `indices must be 1–1024 integers in 0–${data.count - 1}` }),
          );
        }
        const size = data.shape[0] * data.shape[1] * data.shape[2];
        const out = new Float32Array(indices.length * size);
        indices.forEach((i, k) => out.set(itemOf(data!.images, i, data!.shape), k * size));
        const labels = indices.map((i) => data!.labels?.[i] ?? -1).join(',');
        return send(res, 200, new Uint8Array(out.buffer), 'application/octet-stream', {
          'x-shape': data.shape.join(','),
          'x-labels': labels,
        });
      }
      if (parts[1] === 'specificity') {
        const m = served[Number(parts[2])];
        if (!m || !data?.labels)
          return send(
            res,
            404,
            '{"error":"specificity needs a labelled data set that fits the model"}',
          );
        if (data.shape.join() !== m.model.input.shape.join())
          return send(res, 404, '{"error":"the data set does not fit this model"}');
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
    if (parts[0] === 'reports') {
      const a = atlases[Number(parts[1])];
      const rel = parts.slice(2).join('/');
      const bytes = a ? await readAtlasFile(a, rel) : null;
      if (!bytes) return send(res, 404, '{"error":"no such report file"}');
      return send(
        res,
        200,
        bytes,
        TYPES[path.extname(rel).toLowerCase()] ?? 'application/octet-stream',
      );
    }
    if (parts[0] === 'models') {
      const m = served[Number(parts[1])];
      const rel = parts.slice(2).join('/');
      const bytes = m ? await servedBytes(m, rel) : null;
      if (!bytes) return send(res, 404, '{"error":"no such model file"}');
      return send(res, 200, bytes, TYPES[path.extname(rel)] ?? 'application/octet-stream');
    }
    const rel = parts.length === 0 ? 'index.html' : parts.join('/');
    if (rel.includes('..') || hidden(rel) || rel.includes('\0'))
      return send(res, 404, 'not found', 'text/plain');
    const bytes = await readFenced(args.appDir, rel, 'serve').catch(() => null);
    return bytes
      ? send(res, 200, bytes, TYPES[path.extname(rel)] ?? 'application/octet-stream')
      : send(res, 404, 'not found', 'text/plain');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, '{"error":"internal error"}'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new DeepvisError(`port ${args.port} is in use; pick another with --port`)
          : e,
      ),
    );
    server.listen(args.port ?? 8080, args.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as { port: number };
  const host = args.host ?? '127.0.0.1';
  allowed = allowedHosts(host, addr.port);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/`;
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
