/**
 * The file-system fence: every read and write of a tree deepvis owns or is handed (the atlas's
 * artifact store, report shards and their merge, an evaluation folder, a history folder, the files
 * `deepvis serve` hands out) goes through here. Inside such a tree:
 *   - no path component below the tree's root may be a symbolic link (lstat, component by
 *     component; the last one is also opened with O_NOFOLLOW), so a planted link can neither send
 *     a write, a copy or a removal outside the tree nor pull an outside file in;
 *   - only regular files are read: a FIFO, socket or device is refused before it is read (the open
 *     is non-blocking, so a FIFO cannot hang the process), and a file larger than the caller's
 *     limit is refused from its size, before its bytes are allocated;
 *   - removal unlinks regular files only, never follows a link, never recurses.
 * The tree's root itself is the user's choice (it may be a link to a folder). Every refusal is one
 * line naming the path. `readRegular` is the same open for a single file a loader was pointed at
 * (a model file, an IDX file): links there are the user's business, FIFOs and devices are not.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  promises as fs,
  readSync,
  rmSync,
  type Stats,
} from 'node:fs';
import * as path from 'node:path';
import { formatBytes, memoryBudget } from '../engine/memory.js';
import { DeepvisError, printable } from '../errors.js';
import { onExit } from './cleanup.js';
import { makeDirs } from './dirs.js';
import { mapPool } from './pool.js';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, O_CREAT, O_EXCL } = constants;

/** What a non-regular file is, in words. */
export function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const refused = (what: string, p: string, why: string) =>
  new DeepvisError(`${what}: ${printable(p)} is ${why}; refused`);

/** A relative path inside a tree, checked lexically: no absolute path, no '..', no NUL. */
export function relInside(rel: string, what: string, root: string): string[] {
  const parts = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (
    rel.includes('\0') ||
    path.isAbsolute(rel) ||
    parts.length === 0 ||
    parts.some((p) => p === '..')
  ) {
    throw new DeepvisError(
      `${what}: '${printable(rel)}' is not a path inside ${printable(root)}; refused`,
    );
  }
  return parts;
}

const missing = (e: unknown) =>
  ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * The folders from `root` down to the parent of `rel`, each checked to be a real folder (not a
 * link). `create` makes missing ones (one at a time, each checked after it is made).
 * Returns the absolute path of `rel`, or null when a folder on the way is missing (and not created).
 */
async function walk(
  root: string,
  rel: string,
  what: string,
  create: boolean,
): Promise<string | null> {
  const parts = relInside(rel, what, root);
  if (create) await makeDirs(root);
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at = path.join(at, part);
    let st = await fs.lstat(at).catch((e: unknown) => (missing(e) ? null : Promise.reject(e)));
    if (!st && create) {
      await fs
        .mkdir(at)
        .catch((e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
      st = await fs.lstat(at);
    }
    if (!st) return null;
    if (!st.isDirectory())
      throw refused(what, at, st.isSymbolicLink() ? 'a symbolic link' : 'not a folder');
  }
  return path.join(root, ...parts);
}

export interface ReadLimit {
  /** Largest size accepted, in bytes (default: no limit beyond the file's own size). */
  readonly maxBytes?: number;
  /** What the limit is, for the refusal (default 'the limit for such a file'). */
  readonly limitName?: string;
}

/** The read limit of a file whose bytes all land in memory: the memory budget. */
export const budgetLimit = (): ReadLimit => ({
  maxBytes: memoryBudget(),
  limitName: 'the memory budget (DEEPVIS_MEMORY_MB)',
});

/** Opens `file` read-only without blocking and without following a final link; refuses anything but a regular file. */
async function openRegular(
  file: string,
  what: string,
  follow: boolean,
  limit: ReadLimit,
): Promise<{ handle: fs.FileHandle; size: number }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw refused(what, file, 'a symbolic link');
    if (code === 'ENXIO') throw refused(what, file, 'a socket or a FIFO nobody writes to');
    throw e;
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    throw refused(what, file, kindOf(st));
  }
  if (limit.maxBytes != null && st.size > limit.maxBytes) {
    await handle.close();
    throw new DeepvisError(
      `${what}: ${printable(file)} is ${formatBytes(st.size)}, more than ${limit.limitName ?? 'the limit for such a file'} of ${formatBytes(limit.maxBytes)}; refused`,
    );
  }
  return { handle, size: st.size };
}

async function readAll(handle: fs.FileHandle, size: number): Promise<Buffer> {
  try {
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    await handle.close();
  }
}

/** A regular file's bytes (links followed: the caller checked where it points). FIFOs, sockets, devices, folders refused. */
export async function readRegular(
  file: string,
  what: string,
  limit: ReadLimit = {},
): Promise<Buffer> {
  const { handle, size } = await openRegular(file, what, true, limit);
  return readAll(handle, size);
}

/** `rel` inside `root`: the bytes of a regular file reached through real folders only; null when absent. */
export async function readFenced(
  root: string,
  rel: string,
  what: string,
  limit: ReadLimit = {},
): Promise<Buffer | null> {
  const file = await walk(root, rel, what, false);
  if (!file) return null;
  try {
    const { handle, size } = await openRegular(file, what, false, limit);
    return await readAll(handle, size);
  } catch (e) {
    if (missing(e)) return null;
    throw e;
  }
}

export async function readFencedText(
  root: string,
  rel: string,
  what: string,
  limit: ReadLimit = {},
): Promise<string | null> {
  return (await readFenced(root, rel, what, limit))?.toString('utf8') ?? null;
}

/** lstat of `rel` inside `root` through real folders only (null when absent); the entry itself may be anything. */
export async function lstatFenced(root: string, rel: string, what: string): Promise<Stats | null> {
  const file = await walk(root, rel, what, false);
  if (!file) return null;
  return fs.lstat(file).catch((e: unknown) => (missing(e) ? null : Promise.reject(e)));
}

/**
 * Writes `rel` inside `root` atomically: missing folders are made, every folder on the way must be
 * real; the bytes go to a new sibling temp file (O_EXCL, O_NOFOLLOW) that is renamed over the name,
 * so a link planted at the name is replaced, never written through.
 */
export async function writeFenced(
  root: string,
  rel: string,
  data: Uint8Array | string,
  what: string,
): Promise<string> {
  const file = (await walk(root, rel, what, true))!;
  await replaceFile(file, data, what);
  return file;
}

/**
 * writeFenced for many files at once (an atlas artifact's images): each folder on the way is
 * walked once, not once per file, and up to `parallel` files are written at a time. Each file is
 * still written to its own exclusive, non-following temporary file and renamed into place.
 */
export async function writeFencedMany(
  root: string,
  files: ReadonlyArray<readonly [string, Uint8Array | string]>,
  what: string,
  parallel = 16,
): Promise<void> {
  const folders = new Map<string, Promise<string>>();
  const target = (rel: string) => {
    const parts = relInside(rel, what, root);
    const dir = parts.slice(0, -1).join('/');
    if (!folders.has(dir))
      folders.set(
        dir,
        walk(root, rel, what, true).then((f) => path.dirname(f!)),
      );
    return folders.get(dir)!.then((d) => path.join(d, parts[parts.length - 1]));
  };
  await mapPool(files, parallel, async ([rel, data]) => replaceFile(await target(rel), data, what));
}

/** Writes `file` (its folders already checked) through an exclusive temporary file and a rename. */
async function replaceFile(file: string, data: Uint8Array | string, what: string): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file).slice(0, 100)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  const forget = onExit(() => rmSync(tmp, { force: true }));
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    await handle.writeFile(data);
    await handle.close();
    handle = null;
    const st = await fs.lstat(file).catch(() => null);
    if (st?.isDirectory()) throw refused(what, file, 'a folder');
    await fs.rename(tmp, file);
  } catch (e) {
    await handle?.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e instanceof DeepvisError
      ? e
      : writeError(e, file, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  } finally {
    forget();
  }
}

/** A write that failed, as one line: a full disk names the path and the bytes it needed. */
export function writeError(e: unknown, file: string, bytes: number): DeepvisError {
  if (e instanceof DeepvisError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new DeepvisError(
      `no space left on the device for ${printable(file)}${bytes > 0 ? ` (${formatBytes(bytes)} to write)` : ''}; free some space and run again`,
    );
  if (code === 'EROFS')
    return new DeepvisError(`cannot write ${printable(file)}: read-only file system`);
  if (code === 'EACCES' || code === 'EPERM')
    return new DeepvisError(`cannot write ${printable(file)}: permission denied`);
  return new DeepvisError(
    `cannot write ${printable(file)}: ${printable(((e as Error).message ?? String(e)).split('\n')[0])}`,
  );
}

export interface Entry {
  readonly name: string;
  readonly kind: 'file' | 'folder';
}

/**
 * The entries of folder `rel` inside `root` (rel '' is the root itself), dotfiles left out; a link,
 * FIFO, socket or device among them is refused (`strict`) or left out.
 */
export async function listFenced(
  root: string,
  rel: string,
  what: string,
  strict = true,
): Promise<Entry[] | null> {
  let dir = root;
  if (rel !== '' && rel !== '.') {
    const st = await lstatFenced(root, rel, what);
    if (!st) return null;
    dir = path.join(root, ...relInside(rel, what, root));
    if (!st.isDirectory()) throw refused(what, dir, kindOf(st));
  }
  const out: Entry[] = [];
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (missing(e)) return null;
    throw e;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isFile()) out.push({ name: e.name, kind: 'file' });
    else if (e.isDirectory()) out.push({ name: e.name, kind: 'folder' });
    else if (strict)
      throw refused(
        what,
        path.join(dir, e.name),
        e.isSymbolicLink()
          ? 'a symbolic link'
          : e.isFIFO()
            ? 'a FIFO (named pipe)'
            : e.isSocket()
              ? 'a socket'
              : 'a device',
      );
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Unlinks `rel` inside `root` if it is a regular file reached through real folders; anything else is left alone. */
export async function unlinkFenced(root: string, rel: string, what: string): Promise<boolean> {
  let file: string | null;
  try {
    file = await walk(root, rel, what, false);
  } catch {
    return false;
  }
  if (!file) return false;
  const st = await fs.lstat(file).catch(() => null);
  if (!st?.isFile()) return false;
  await fs.unlink(file).catch((e: unknown) => (missing(e) ? undefined : Promise.reject(e)));
  return true;
}

/** Checks that `dir` (a tree's root) is a folder; a link to a folder is accepted for the root only. */
export async function checkRoot(dir: string, what: string): Promise<void> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st) throw new DeepvisError(`${what}: ${printable(dir)} does not exist`);
  if (!st.isDirectory()) throw refused(what, dir, kindOf(st));
}

/** Appends a line to `rel` inside `root` (created if absent; never through a link). */
export async function appendFenced(
  root: string,
  rel: string,
  text: string,
  what: string,
): Promise<void> {
  const file = (await walk(root, rel, what, true))!;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(
      file,
      constants.O_WRONLY | constants.O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK,
      0o644,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw refused(what, file, 'a symbolic link');
    throw writeError(e, file, Buffer.byteLength(text));
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw refused(what, file, kindOf(st));
    await handle.appendFile(text);
  } catch (e) {
    throw e instanceof DeepvisError ? e : writeError(e, file, Buffer.byteLength(text));
  } finally {
    await handle.close();
  }
}

/** readRegular, synchronously (onnxruntime's re-read of a model file for a new session). */
export function readRegularSync(file: string, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, O_RDONLY | O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO')
      throw refused(what, file, 'a socket or a FIFO nobody writes to');
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(what, file, kindOf(st));
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}
