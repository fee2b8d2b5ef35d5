/**
 * A report site (`deepvis report --out DIR`) handed to `deepvis serve --report DIR`: matched to the
 * served model it was made of by the content hash in its index.json (the same modelHash the report
 * keys its artifacts by), then served read-only under /reports/<i>/ so the unit panel can show the
 * unit's precomputed pictures and link its atlas page. Only the site's own kinds of file (html,
 * json, png, css, js), no dotfiles, read at request time through the fence (io/fence.ts): no link
 * anywhere under DIR is followed, no FIFO or device is opened, whatever was there at startup.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeepvisError } from '../errors.js';
import { lstatFenced, readFenced, readFencedText } from '../io/fence.js';
import { modelHash } from '../report/model_hash.js';

export interface Atlas {
  readonly dir: string;
  readonly realDir: string;
  /** Index of the served model it belongs to. */
  readonly model: number;
  /** The layers the report has pages for (its plan), so the page asks only for units that exist. */
  readonly layers: string[];
}

const KINDS = new Set(['.html', '.json', '.png', '.svg', '.css', '.js']);

/** Reads each report's hash and pairs it with the served model of that hash; a report of no served model is refused. */
export async function matchAtlases(
  reports: readonly string[],
  modelPaths: readonly string[],
): Promise<Atlas[]> {
  if (reports.length === 0) return [];
  const hashes = await Promise.all(modelPaths.map((p) => modelHash(p)));
  const out: Atlas[] = [];
  for (const dir of reports) {
    let hash: unknown;
    let layers: unknown;
    try {
      const index = JSON.parse(
        (await readFencedText(dir, 'index.json', `--report ${dir}`, { maxBytes: 256 << 20 })) ?? '',
      ) as { hash?: unknown; plan?: { layers?: unknown } };
      hash = index.hash;
      layers = index.plan?.layers;
    } catch {
      throw new DeepvisError(
        `--report ${dir}: not a deepvis report folder (no readable index.json; make one with deepvis report --out)`,
      );
    }
    const model = hashes.indexOf(String(hash));
    if (model < 0)
      throw new DeepvisError(
        `--report ${dir}: made of a model that is not served (content hash ${String(hash).slice(0, 12)}…); serve that model with --model`,
      );
    out.push({
      dir,
      realDir: await fs.realpath(dir),
      model,
      layers: Array.isArray(layers) ? layers.map(String) : [],
    });
  }
  return out;
}

const allowed = (rel: string) =>
  Boolean(rel) &&
  !rel.includes('\0') &&
  !rel.split('/').some((p) => p.startsWith('.') || p === '') &&
  KINDS.has(path.extname(rel).toLowerCase());

/** The path of a site file, or null (outside the folder, a dotfile, another kind of file, missing, a link or a special file on the way). */
export async function atlasFile(atlas: Atlas, rel: string): Promise<string | null> {
  if (!allowed(rel)) return null;
  const st = await lstatFenced(atlas.realDir, rel, 'serve --report').catch(() => null);
  return st?.isFile() ? path.join(atlas.realDir, rel) : null;
}

/** A site file's bytes, checked at request time (see atlasFile), or null. */
export async function readAtlasFile(atlas: Atlas, rel: string): Promise<Buffer | null> {
  if (!allowed(rel)) return null;
  return readFenced(atlas.realDir, rel, 'serve --report').catch(() => null);
}
