/**
 * A report site (`deepvis report --out DIR`) handed to `deepvis serve --report DIR`: matched to the
 * served model it was made of by the content hash in its index.json (the same modelHash the report
 * keys its artifacts by), then served read-only under /reports/<i>/ so the unit panel can show the
 * unit's precomputed pictures and link its atlas page. Only the site's own kinds of file (html,
 * json, png, css, js), no dotfiles, each realpath-checked to stay inside DIR.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeepvisError } from '../errors.js';
import { modelHash } from '../report/model_hash.js';

export interface Atlas {
  readonly dir: string;
  readonly realDir: string;
  /** Index of the served model it belongs to. */
  readonly model: number;
  /** The layers the report has pages for (its plan), so the page asks only for units that exist. */
  readonly layers: string[];
}

const KINDS = new Set(['.html', '.json', '.png', '.css', '.js']);

/** Reads each report's hash and pairs it with the served model of that hash; a report of no served model is refused. */
export async function matchAtlases(reports: readonly string[], modelPaths: readonly string[]): Promise<Atlas[]> {
  if (reports.length === 0) return [];
  const hashes = await Promise.all(modelPaths.map((p) => modelHash(p)));
  const out: Atlas[] = [];
  for (const dir of reports) {
    let hash: unknown;
    let layers: unknown;
    try {
      const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { hash?: unknown; plan?: { layers?: unknown } };
      hash = index.hash;
      layers = index.plan?.layers;
    } catch {
      throw new DeepvisError(`--report ${dir}: not a deepvis report folder (no readable index.json; make one with deepvis report --out)`);
    }
    const model = hashes.indexOf(String(hash));
    if (model < 0) throw new DeepvisError(`--report ${dir}: made of a model that is not served (content hash ${String(hash).slice(0, 12)}…); serve that model with --model`);
    out.push({ dir, realDir: await fs.realpath(dir), model, layers: Array.isArray(layers) ? layers.map(String) : [] });
  }
  return out;
}

/** The real path of a site file, or null (outside the folder, a dotfile, another kind of file, missing). */
export async function atlasFile(atlas: Atlas, rel: string): Promise<string | null> {
  if (!rel || rel.includes('\0') || rel.split('/').some((p) => p.startsWith('.') || p === '')) return null;
  if (!KINDS.has(path.extname(rel).toLowerCase())) return null;
  const lexical = path.resolve(atlas.realDir, rel);
  const inside = (p: string) => p.startsWith(atlas.realDir + path.sep);
  if (!inside(lexical)) return null;
  const real = await fs.realpath(lexical).catch(() => null);
  return real && inside(real) ? real : null;
}
