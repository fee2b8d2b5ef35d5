/**
 * The web app is built with Vite on first `deepvis serve` and rebuilt only when a source file (the
 * app's or the library's) is newer than the build, so serving stays one command after `npm ci`.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeepvisError } from '../errors.js';

/** The package root: this file sits in src/serve/ (tsx) or dist/serve/ (compiled). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const APP_SOURCE = path.join(PACKAGE_ROOT, 'web/app');

async function newest(dir: string, skip: (p: string) => boolean): Promise<number> {
  let t = 0;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (skip(p)) continue;
    t = Math.max(t, e.isDirectory() ? await newest(p, skip) : (await fs.stat(p)).mtimeMs);
  }
  return t;
}

/** The package's own web/app/dist, or a temp folder when the package is installed read-only. */
async function defaultOutDir(): Promise<string> {
  const own = path.join(APP_SOURCE, 'dist');
  try {
    await fs.access(APP_SOURCE, fsConstants.W_OK);
    return own;
  } catch {
    return path.join(os.tmpdir(), 'deepvis-app');
  }
}

export async function ensureApp(args: { outDir?: string; rebuild?: boolean; log?: (s: string) => void } = {}): Promise<string> {
  const outDir = args.outDir ?? (await defaultOutDir());
  const built = await fs.stat(path.join(outDir, 'index.html')).then((s) => s.mtimeMs).catch(() => 0);
  const skip = (p: string) => p.startsWith(outDir) || p.includes('node_modules') || p.endsWith('.test.ts');
  const sources = Math.max(await newest(APP_SOURCE, skip), await newest(path.join(PACKAGE_ROOT, 'src'), skip));
  if (!args.rebuild && built > 0 && built >= sources) return outDir;
  if (sources === 0) throw new DeepvisError(`the web app's sources are missing (${APP_SOURCE})`);
  args.log?.('building the web app (vite)…');
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new DeepvisError('building the web app needs vite (npm install in the deepvis folder)');
  }
  await vite.build({ configFile: path.join(APP_SOURCE, 'vite.config.ts'), build: { outDir, emptyOutDir: true }, logLevel: 'error' });
  return outDir;
}
