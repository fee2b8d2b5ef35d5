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
import {
  appendFenced,
  listFenced,
  lstatFenced,
  readFenced,
  readFencedText,
  unlinkFenced,
  writeFenced,
  writeFencedMany,
} from '../io/fence.js';
import { mapPool } from '../io/pool.js';
import { figureSvgText } from '../io/figure_file.js';
import { pngBytes } from '../io/png.js';
import { PAPER } from '../render/figure.js';
import type { RgbaImage } from '../render/image.js';

export const ARTIFACTS = 'a';
/** The store's own list of the files it wrote (one site-relative path a line): all that prune() may remove. */
export const WRITTEN = `${ARTIFACTS}/.written`;
const WHAT = 'the atlas artifact store';
/** What a file the store wrote is called: a/KIND/KEY(-NAME.png|-NAME.svg|.json). */
const OWN = /^a\/[^/]+\/([0-9a-f]{20})[^/]*$/;

/** JSON with sorted object keys, so equal parameters give equal keys whatever their order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

export const contentKey = (parts: unknown): string =>
  createHash('sha256').update(stableJson(parts)).digest('hex').slice(0, 20);

/** What an artifact's JSON holds besides its own numbers: the key's parts and its image files (site-relative). */
export interface Stored<T> {
  readonly key: string;
  readonly kind: string;
  readonly parts: unknown;
  readonly data: T;
  readonly images: Record<string, string>;
}

/**
 * Every file goes through the fence (io/fence.ts): a link or a FIFO planted anywhere under DIR/a
 * is refused, never followed. Each file written is first recorded in a/.written; prune() removes
 * only regular files recorded there, so it can never remove what the store did not write.
 */
export class ArtifactStore {
  readonly computed: Record<string, number> = {};
  readonly reused: Record<string, number> = {};
  /** Keys this run used (computed or reused): what prune() keeps. */
  readonly touched = new Set<string>();

  constructor(readonly root: string) {}

  private rel(kind: string, key: string, suffix: string): string {
    return `${ARTIFACTS}/${kind}/${key}${suffix}`;
  }

  /** Records `rel` as the store's own, then writes it. */
  private async put(rel: string, data: Uint8Array | string): Promise<void> {
    await this.putMany([[rel, data]]);
  }

  /** put() for many files: one line each in the list, all recorded before any is written. */
  private async putMany(
    files: ReadonlyArray<readonly [string, Uint8Array | string]>,
  ): Promise<void> {
    if (files.length === 0) return;
    await appendFenced(this.root, WRITTEN, files.map(([rel]) => `${rel}\n`).join(''), WHAT);
    await writeFencedMany(this.root, files, WHAT);
  }

  async get<T>(kind: string, parts: unknown): Promise<Stored<T> | null> {
    const key = contentKey({ kind, parts });
    const text = await readFencedText(this.root, this.rel(kind, key, '.json'), WHAT);
    if (text == null) return null;
    try {
      return JSON.parse(text) as Stored<T>;
    } catch {
      return null;
    }
  }

  /** The stored artifact, or `compute`d, written (images first, JSON last) and counted. */
  async cached<T>(
    kind: string,
    parts: unknown,
    compute: () =>
      | Promise<{ data: T; images?: Record<string, RgbaImage> }>
      | { data: T; images?: Record<string, RgbaImage> },
  ): Promise<Stored<T>> {
    const hit = await this.get<T>(kind, parts);
    if (hit) {
      this.touched.add(hit.key);
      this.reused[kind] = (this.reused[kind] ?? 0) + 1;
      return hit;
    }
    const key = contentKey({ kind, parts });
    this.touched.add(key);
    const { data, images = {} } = await compute();
    // A chart (an image carrying its figure) is stored as SVG: text stays text at any zoom.
    const entries = Object.entries(images).map(
      ([name, img]) =>
        [name, img, this.rel(kind, key, `-${name}.${img.figure ? 'svg' : 'png'}`)] as const,
    );
    // An artifact can hold thousands of small images (a layer's example crops): encoded and
    // written several at a time, as each costs mostly a wait on another thread.
    const bytes = await mapPool(entries, 8, ([, img]): Promise<Uint8Array | string> =>
      img.figure ? figureSvgText(img.figure(PAPER)) : pngBytes(img),
    );
    await this.putMany(entries.map(([, , rel], i) => [rel, bytes[i]] as const));
    const files = Object.fromEntries(entries.map(([name, , rel]) => [name, rel]));
    const stored: Stored<T> = { key, kind, parts, data, images: files };
    await this.put(this.rel(kind, key, '.json'), JSON.stringify(stored) + '\n');
    this.computed[kind] = (this.computed[kind] ?? 0) + 1;
    return stored;
  }

  totalComputed(): number {
    return Object.values(this.computed).reduce((a, b) => a + b, 0);
  }

  /**
   * Copies another store's artifacts in (merging shards): same key, same content, so existing files
   * are kept. Only the shard's own kind of file is copied (a/KIND/KEY…); a link, FIFO or device
   * anywhere in the shard's store is refused.
   */
  async absorb(otherRoot: string): Promise<number> {
    let copied = 0;
    const what = `report shard ${otherRoot}`;
    for (const kind of (await listFenced(otherRoot, ARTIFACTS, what)) ?? []) {
      if (kind.kind !== 'folder') continue;
      const files = (await listFenced(otherRoot, `${ARTIFACTS}/${kind.name}`, what)) ?? [];
      // PNGs before JSONs, so a copied JSON never points at a missing image.
      const names = files
        .filter((f) => f.kind === 'file' && OWN.test(`${ARTIFACTS}/${kind.name}/${f.name}`))
        .map((f) => f.name);
      names.sort(
        (a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')) || (a < b ? -1 : 1),
      );
      for (const f of names) {
        const rel = `${ARTIFACTS}/${kind.name}/${f}`;
        if (await lstatFenced(this.root, rel, WHAT)) continue;
        const bytes = await readFenced(otherRoot, rel, what);
        if (!bytes) continue;
        await this.put(rel, bytes);
        copied++;
      }
    }
    return copied;
  }

  /**
   * Removes artifacts no page refers to any more (after the index is written): only files listed in
   * a/.written, only regular files, only through real folders. Returns how many went.
   */
  async prune(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    const listed = (await readFencedText(this.root, WRITTEN, WHAT)) ?? '';
    const kept = new Set<string>();
    for (const rel of new Set(listed.split('\n').filter(Boolean))) {
      const key = OWN.exec(rel)?.[1];
      if (!key) continue;
      if (keep.has(key)) {
        if (await lstatFenced(this.root, rel, WHAT).catch(() => null)) kept.add(rel);
        continue;
      }
      if (await unlinkFenced(this.root, rel, WHAT)) removed++;
    }
    await writeFenced(this.root, WRITTEN, [...kept].map((r) => `${r}\n`).join(''), WHAT);
    return removed;
  }
}
