/**
 * The per-user cache of scanned top-k indexes: $XDG_CACHE_HOME/deepvis (default ~/.cache/deepvis),
 * mode 0700 and owned by the user, never a predictable shared path such as /tmp/deepvis-cache
 * where another local user can plant a file. Entries are keyed by a SHA-256 of the model's files'
 * contents and the data set, and what is read back is verified: owned by us, not writable by
 * others, and carrying the same key inside. Anything else is ignored and rescanned.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeepvisError, printable } from '../errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { readRegular } from '../io/fence.js';
import { makeDirs } from '../io/dirs.js';

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : path.join(os.homedir(), '.cache');
  return path.join(base, 'deepvis');
}

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** Creates `dir` (0700) or checks an existing one: a real folder, ours, no access for others. */
export async function openCacheDir(dir: string): Promise<string> {
  await makeDirs(dir, 0o700);
  const st = await fs.lstat(dir);
  if (!st.isDirectory())
    throw new DeepvisError(
      `cache ${printable(dir)} is not a folder (a symbolic link is not accepted)`,
    );
  if (uid() >= 0 && st.uid !== uid())
    throw new DeepvisError(
      `cache ${printable(dir)} belongs to another user (uid ${st.uid}); pick your own with --cache`,
    );
  if ((st.mode & 0o077) !== 0) await fs.chmod(dir, 0o700);
  return dir;
}

/** SHA-256 over the files (in order, with their names) and the extra strings. */
export async function contentKey(files: readonly string[], ...extra: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${path.basename(f)}\0`);
    h.update(await readRegular(f, 'model file'));
  }
  for (const e of extra) h.update(`\0${e}`);
  return h.digest('hex');
}

interface Entry<T> {
  key: string;
  value: T;
}

/** The cached value under `key`, or null when absent, not ours, writable by others or for another key. */
export async function readCached<T>(dir: string, key: string, name: string): Promise<T | null> {
  const file = path.join(dir, `${name}-${key.slice(0, 16)}.json`);
  try {
    const st = await fs.lstat(file);
    if (!st.isFile() || (uid() >= 0 && st.uid !== uid()) || (st.mode & 0o022) !== 0) return null;
    const entry = JSON.parse((await readRegular(file, 'serve cache')).toString('utf8')) as Entry<T>;
    return entry && entry.key === key ? entry.value : null;
  } catch {
    return null;
  }
}

export async function writeCached<T>(
  dir: string,
  key: string,
  name: string,
  value: T,
): Promise<string> {
  const file = path.join(dir, `${name}-${key.slice(0, 16)}.json`);
  await writeJsonAtomic(file, { key, value } satisfies Entry<T>);
  await fs.chmod(file, 0o600);
  return file;
}
