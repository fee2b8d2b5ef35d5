/**
 * The report's artifact cache: content-addressed. Every artifact (a method's images for a group of
 * units, a data-set scan slice, a unit's example crops, a layer's specificity…) is stored under
 * DIR/a/KIND/KEY, KEY a hash of everything that determines it (model-file hash, layer, units,
 * method, resolved parameters, data set). The site's pages point at these files directly, so the
 * cache is the site's image folder and nothing is copied. Each file is written atomically and the
 * JSON last: an artifact whose JSON exists is complete, so a run killed half-way resumes where it
 * stopped, and a run with a changed parameter recomputes only the artifacts whose key changed.
 * `computed` counts what this process computed, per kind (what the cache tests check).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { pngBytes } from '../io/png.js';
import type { RgbaImage } from '../render/image.js';

export const ARTIFACTS = 'a';

/** JSON with sorted object keys, so equal parameters give equal keys whatever their order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export const contentKey = (parts: unknown): string => createHash('sha256').update(stableJson(parts)).digest('hex').slice(0, 20);

/** What an artifact's JSON holds besides its own numbers: the key's parts and its image files (site-relative). */
export interface Stored<T> {
  readonly key: string;
  readonly kind: string;
  readonly parts: unknown;
  readonly data: T;
  readonly images: Record<string, string>;
}

export class ArtifactStore {
  readonly computed: Record<string, number> = {};
  readonly reused: Record<string, number> = {};
  /** Keys this run used (computed or reused): what prune() keeps. */
  readonly touched = new Set<string>();

  constructor(readonly root: string) {}

  private rel(kind: string, key: string, suffix: string): string {
    return `${ARTIFACTS}/${kind}/${key}${suffix}`;
  }

  async get<T>(kind: string, parts: unknown): Promise<Stored<T> | null> {
    const key = contentKey({ kind, parts });
    try {
      return JSON.parse(await fs.readFile(path.join(this.root, this.rel(kind, key, '.json')), 'utf8')) as Stored<T>;
    } catch {
      return null;
    }
  }

  /** The stored artifact, or `compute`d, written (images first, JSON last) and counted. */
  async cached<T>(kind: string, parts: unknown, compute: () => Promise<{ data: T; images?: Record<string, RgbaImage> }> | { data: T; images?: Record<string, RgbaImage> }): Promise<Stored<T>> {
    const hit = await this.get<T>(kind, parts);
    if (hit) {
      this.touched.add(hit.key);
      this.reused[kind] = (this.reused[kind] ?? 0) + 1;
      return hit;
    }
    const key = contentKey({ kind, parts });
    this.touched.add(key);
    const { data, images = {} } = await compute();
    const files: Record<string, string> = {};
    for (const [name, img] of Object.entries(images)) {
      const rel = this.rel(kind, key, `-${name}.png`);
      await writeFileAtomic(path.join(this.root, rel), await pngBytes(img));
      files[name] = rel;
    }
    const stored: Stored<T> = { key, kind, parts, data, images: files };
    await writeFileAtomic(path.join(this.root, this.rel(kind, key, '.json')), JSON.stringify(stored) + '\n');
    this.computed[kind] = (this.computed[kind] ?? 0) + 1;
    return stored;
  }

  totalComputed(): number {
    return Object.values(this.computed).reduce((a, b) => a + b, 0);
  }

  /** Copies another store's artifacts in (merging shards): same key, same content, so existing files are kept. */
  async absorb(otherRoot: string): Promise<number> {
    let copied = 0;
    const base = path.join(otherRoot, ARTIFACTS);
    const kinds = await fs.readdir(base).catch(() => [] as string[]);
    for (const kind of kinds) {
      const files = await fs.readdir(path.join(base, kind));
      // PNGs before JSONs, so a copied JSON never points at a missing image.
      files.sort((a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')) || (a < b ? -1 : 1));
      for (const f of files) {
        if (f.startsWith('.')) continue;
        const to = path.join(this.root, ARTIFACTS, kind, f);
        if (await fs.stat(to).catch(() => null)) continue;
        await writeFileAtomic(to, await fs.readFile(path.join(base, kind, f)));
        copied++;
      }
    }
    return copied;
  }

  /** Removes artifacts no page refers to any more (after the index is written). */
  async prune(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    const base = path.join(this.root, ARTIFACTS);
    for (const kind of await fs.readdir(base).catch(() => [] as string[])) {
      for (const f of await fs.readdir(path.join(base, kind))) {
        const key = f.slice(0, 20);
        if (!keep.has(key)) {
          await fs.rm(path.join(base, kind, f), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}
