/**
 * The web app is built with Vite on first `deepvis serve` and rebuilt only when a source file (the
 * app's or the library's) is newer than the build, so serving stays one command after `npm ci`.
 * On a read-only install it is built into a private folder made by mkdtemp (0700, removed at
 * exit) — never a predictable $TMPDIR/deepvis-app that another local user could plant an
 * index.html in — and Vite is kept from writing into the package: its config is loaded by the
 * module runner (not bundled into node_modules/.vite-temp) and its cache lives in the build folder.
 */
import { constants as fsConstants, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeepvisError } from '../errors.js';
import { onExit } from '../io/cleanup.js';

/** The package root: this file sits in src/serve/ (tsx) or dist/serve/ (compiled). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const APP_SOURCE = path.join(PACKAGE_ROOT, 'web/app');

/**
 * The newest mtime under `dir`. `skip` sees each path relative to `dir`: a package installed in a
 * project sits under node_modules, so a filter on the absolute path would skip every file.
 */
export async function newest(
  dir: string,
  skip: (rel: string) => boolean,
  root = dir,
): Promise<number> {
  let t = 0;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (skip(path.relative(root, p))) continue;
    t = Math.max(t, e.isDirectory() ? await newest(p, skip, root) : (await fs.stat(p)).mtimeMs);
  }
  return t;
}

const isInside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

/** Whether the package can be written to (else the app is built into a private temp folder). */
export async function packageWritable(): Promise<boolean> {
  return fs.access(APP_SOURCE, fsConstants.W_OK).then(
    () => true,
    () => false,
  );
}

/** A fresh private folder (mkdtemp: unpredictable name, mode 0700), removed when the process exits. */
export async function privateBuildDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deepvis-app-'));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The package's own web/app/dist, or a private temp folder when the package is installed read-only. */
async function defaultOutDir(): Promise<string> {
  return (await packageWritable()) ? path.join(APP_SOURCE, 'dist') : privateBuildDir();
}

/**
 * Waits for, then holds, the build lock of `outDir` (a file created exclusively beside it): two
 * processes that find the app stale at once (two `serve`s after an upgrade, two test files) build
 * one after the other, and the second finds the first's build fresh, instead of one emptying the
 * folder the other is writing. A lock older than ten minutes is a crashed build's, and is taken.
 */
export async function buildLock(outDir: string): Promise<() => Promise<void>> {
  const lock = `${outDir}.building`;
  for (;;) {
    try {
      await fs.mkdir(path.dirname(lock), { recursive: true });
      const h = await fs.open(lock, 'wx');
      await h.close();
      return () => fs.rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await fs.stat(lock).then(
        (st) => Date.now() - st.mtimeMs,
        () => 0,
      );
      if (age > 10 * 60_000) await fs.rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function ensureApp(
  args: { outDir?: string; rebuild?: boolean; log?: (s: string) => void } = {},
): Promise<string> {
  const outDir = args.outDir ?? (await defaultOutDir());
  const release = await buildLock(outDir);
  try {
    return await buildIfStale(outDir, args);
  } finally {
    await release();
  }
}

async function buildIfStale(
  outDir: string,
  args: { rebuild?: boolean; log?: (s: string) => void },
): Promise<string> {
  const built = await fs
    .stat(path.join(outDir, 'index.html'))
    .then((s) => s.mtimeMs)
    .catch(() => 0);
  const skip = (rel: string) =>
    rel.split(path.sep).includes('node_modules') || rel.endsWith('.test.ts');
  const inApp = (rel: string) => skip(rel) || isInside(path.join(APP_SOURCE, rel), outDir);
  const sources = Math.max(
    await newest(APP_SOURCE, inApp),
    await newest(path.join(PACKAGE_ROOT, 'src'), skip),
  );
  if (!args.rebuild && built > 0 && built >= sources) return outDir;
  if (sources === 0) throw new DeepvisError(`the web app's sources are missing (${APP_SOURCE})`);
  args.log?.(
    'building the web app with Vite (once per install or source change; about a minute on 2 cores)…',
  );
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new DeepvisError('building the web app needs vite (npm install in the deepvis folder)');
  }
  const writable = await packageWritable();
  await vite.build({
    configFile: path.join(APP_SOURCE, 'vite.config.ts'),
    // 'bundle' (the default) writes the bundled config to node_modules/.vite-temp: EACCES on a read-only install.
    configLoader: 'runner',
    ...(writable ? {} : { cacheDir: path.join(outDir, '.vite-cache') }),
    build: { outDir, emptyOutDir: true },
    logLevel: 'error',
  });
  if (!writable) await fs.rm(path.join(outDir, '.vite-cache'), { recursive: true, force: true });
  return outDir;
}
