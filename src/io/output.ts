/**
 * A command's outputs appear together or not at all. `OutputSession.open(dir)` runs before any
 * computation: it checks --out (empty, an existing file, /dev/null, a dangling symlink, a folder
 * that cannot be created or written: one line each), creates it, takes a lock file on it (a second
 * run on the same folder fails with one line), and makes a private staging folder inside it.
 * Files are written into the stage; `commit()` renames them into place at the end (same file
 * system, so each rename is atomic and the set lands within a few renames). An error removes the
 * stage, the lock and any folder the session created; so does SIGINT, SIGTERM or even SIGKILL,
 * through a watchdog: a tiny detached process (its own process group, so Ctrl-C does not reach
 * it) that waits for this one to end and, if the lock still names it, removes what it left. A JS
 * signal handler cannot do this: during synchronous wasm work Node never gets to run it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  openSync,
  promises as fs,
  readFileSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { DeepvisError, printable } from '../errors.js';
import type { RgbaImage } from '../render/image.js';
import { onExit } from './cleanup.js';
import { makeDirs } from './dirs.js';
import { writeError } from './fence.js';
import { PAPER, type FigureOptions } from '../render/figure.js';
import { figureFiles } from './figure_file.js';
import { pngBytes } from './png.js';

export const LOCK_FILE = '.deepvis-lock';
export const STAGE_PREFIX = '.deepvis-stage-';

const open = new Set<OutputSession>();

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOENT: 'the file system does not allow a folder there',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EEXIST: 'something else appeared there',
};
const reason = (e: unknown) =>
  REASONS[(e as NodeJS.ErrnoException).code ?? ''] ?? (e as Error).message.split('\n')[0];

async function lstatOrNull(p: string, flag = 'the output folder') {
  return fs.lstat(p).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new DeepvisError(`cannot use ${flag} ${printable(p)}: ${reason(e)}`);
  });
}

/**
 * Makes `dir` a usable folder; returns the folders it created (outermost first). Components are
 * created one at a time (not mkdir -p, which loops forever on some file systems such as /proc).
 */
async function ensureFolder(dir: string, flag: string): Promise<string[]> {
  const shown = `${flag} ${printable(dir)}`;
  const st = await lstatOrNull(dir, flag);
  if (st) {
    if (st.isSymbolicLink()) {
      const target = await fs.stat(dir).catch(() => null);
      if (!target) throw new DeepvisError(`${shown} is a dangling symbolic link`);
      if (!target.isDirectory())
        throw new DeepvisError(`${shown} links to something that is not a folder`);
    } else if (!st.isDirectory()) {
      throw new DeepvisError(`${shown} exists and is not a folder`);
    }
    return [];
  }
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
    const pst = await lstatOrNull(at, flag);
    if (pst) {
      const target = pst.isSymbolicLink() ? await fs.stat(at).catch(() => null) : pst;
      if (!target?.isDirectory())
        throw new DeepvisError(`cannot create ${shown}: ${printable(at)} is not a folder`);
      break;
    }
  }
  const created: string[] = [];
  try {
    for (const d of missing) {
      try {
        await fs.mkdir(d);
        created.push(d);
      } catch (e) {
        // Another process (a sibling --shard worker) made the same parent a moment ago: use it.
        if (
          (e as NodeJS.ErrnoException).code !== 'EEXIST' ||
          d === dir ||
          !(await fs.stat(d).catch(() => null))?.isDirectory()
        )
          throw e;
      }
    }
  } catch (e) {
    for (const d of created.reverse()) await fs.rmdir(d).catch(() => {});
    throw new DeepvisError(`cannot create ${shown}: ${reason(e)}`);
  }
  return created;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes dir/.deepvis-lock (exclusive create); a lock whose process is gone is taken over. */
function lock(dir: string, flag: string): string {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DeepvisError(`cannot write to ${flag} ${printable(dir)}: ${reason(e)}`);
      let pid = NaN;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // Unreadable lock: treat as held.
      }
      if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) {
        throw new DeepvisError(
          `${flag} ${printable(dir)} is in use by another deepvis run${Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : ''}; wait for it or pick another folder (stale lock: remove ${printable(file)})`,
        );
      }
      unlinkSync(file);
    }
  }
  throw new DeepvisError(`cannot lock ${flag} ${printable(dir)}`);
}

/** Runs detached: argv = pid, stage, lock, created folders (outermost first). */
const WATCHDOG = `
const fs = require('node:fs');
const [pid, stage, lock, ...created] = process.argv.slice(1);
const alive = () => { try { process.kill(Number(pid), 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const timer = setInterval(() => {
  if (alive()) return;
  clearInterval(timer);
  let holder = '';
  try { holder = fs.readFileSync(lock, 'utf8').trim(); } catch {}
  if (holder !== pid) return;
  fs.rmSync(stage, { recursive: true, force: true });
  try { fs.unlinkSync(lock); } catch {}
  for (const d of created.reverse()) { try { fs.rmdirSync(d); } catch {} }
}, 100);
`;

function watchdog(
  stage: string,
  lockFile: string,
  created: readonly string[],
): ChildProcess | null {
  try {
    const child = spawn(
      process.execPath,
      ['-e', WATCHDOG, String(process.pid), stage, lockFile, ...created],
      { detached: true, stdio: 'ignore' },
    );
    child.on('error', () => {});
    child.unref();
    return child;
  } catch {
    // No watchdog (e.g. no process spawning allowed): errors and exits still clean up.
    return null;
  }
}

export class OutputSession {
  private readonly folders = new Set<string>();
  private done = false;
  private readonly forget: () => void;
  private readonly guard: ChildProcess | null;

  private constructor(
    /** The final folder (--out). */
    readonly dir: string,
    /** The private staging folder inside it. */
    readonly stage: string,
    private readonly lockFile: string,
    private readonly created: readonly string[],
    /** How grids and charts are laid out (--scale). */
    readonly figure: FigureOptions,
  ) {
    this.forget = onExit(() => this.removeSync());
    this.guard = watchdog(stage, lockFile, created);
    open.add(this);
  }

  /** Checks and creates `dir`, locks it and stages inside it; `flag` names it in messages. */
  static async open(
    dir: string | undefined,
    flag = '--out',
    figure: FigureOptions = PAPER,
  ): Promise<OutputSession> {
    if (dir == null) throw new DeepvisError(`${flag} is required`);
    if (dir.trim() === '') throw new DeepvisError(`${flag} is empty; give a folder`);
    const abs = path.resolve(dir);
    const created = await ensureFolder(abs, flag);
    let lockFile: string;
    try {
      lockFile = lock(abs, flag);
    } catch (e) {
      for (const d of [...created].reverse()) rmdirQuiet(d);
      throw e;
    }
    let stage: string;
    try {
      stage = await fs.mkdtemp(path.join(abs, STAGE_PREFIX));
    } catch (e) {
      rmQuiet(lockFile);
      for (const d of [...created].reverse()) rmdirQuiet(d);
      throw new DeepvisError(`cannot write to ${flag} ${printable(dir)}: ${reason(e)}`);
    }
    return new OutputSession(abs, stage, lockFile, created, figure);
  }

  /** Where `rel` (a relative path inside --out) is staged; its folder exists. */
  async path(rel: string): Promise<string> {
    if (this.done) throw new Error('output session already closed');
    const norm = path.normalize(rel);
    if (
      path.isAbsolute(norm) ||
      norm === '..' ||
      norm.startsWith('..' + path.sep) ||
      norm === '.'
    ) {
      throw new DeepvisError(`output name '${printable(rel)}' would leave ${printable(this.dir)}`);
    }
    const file = path.join(this.stage, norm);
    await makeDirs(path.dirname(file));
    return file;
  }

  /** `rel` under --out, as it will be after commit (for messages). */
  final(rel: string): string {
    return path.join(this.dir, rel);
  }

  /** Stages `rel`; a full disk is one line naming the file and the bytes it needed. */
  async write(rel: string, data: Uint8Array | string): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    try {
      await fs.writeFile(await this.path(rel), data);
    } catch (e) {
      throw e instanceof DeepvisError ? e : writeError(e, this.final(rel), bytes);
    }
    return this.final(rel);
  }

  json(rel: string, value: unknown): Promise<string> {
    return this.write(rel, JSON.stringify(value, null, 2) + '\n');
  }

  /**
   * Stages a PNG. A grid or chart (an image carrying its figure) is laid out for this session's
   * figure options and written twice: the PNG (text drawn in a real font) and the SVG next to it.
   */
  async png(rel: string, img: RgbaImage): Promise<string> {
    const files = await figureFiles(img, this.figure);
    if (!files) return this.write(rel, await pngBytes(img));
    await this.write(rel.replace(/(\.png)?$/i, '.svg'), files.svg);
    return this.write(rel, files.png);
  }

  /** A folder under --out that is replaced as a whole at commit (no stale files of a bigger earlier run). */
  replaceFolder(rel: string): void {
    this.folders.add(path.normalize(rel));
  }

  /** The staged folder for `rel` (created), for writers that take a folder (saveLayersModel). */
  async folder(rel: string): Promise<string> {
    const dir =
      rel === '' || rel === '.' ? this.stage : path.dirname(await this.path(path.join(rel, '_')));
    await makeDirs(dir);
    return dir;
  }

  /** Renames everything staged into place, then removes the stage and the lock. */
  async commit(): Promise<void> {
    if (this.done) return;
    try {
      await this.move('');
    } catch (e) {
      throw e instanceof DeepvisError ? e : writeError(e, this.dir, 0);
    }
    this.close();
  }

  /** Moves stage/rel into dir/rel: files renamed over, folders merged, replaceFolder() ones swapped. */
  private async move(rel: string): Promise<void> {
    const from = path.join(this.stage, rel);
    for (const e of await fs.readdir(from, { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      const target = path.join(this.dir, r);
      if (e.isDirectory() && !this.folders.has(r)) {
        const st = await lstatOrNull(target);
        if (st && !st.isDirectory()) await fs.rm(target, { force: true });
        if (!st || !st.isDirectory()) await fs.mkdir(target);
        await this.move(r);
        continue;
      }
      if (e.isDirectory() && (await lstatOrNull(target))) {
        // Swap: the old folder goes into the stage, which is removed afterwards.
        await fs.rename(
          target,
          path.join(this.stage, `${STAGE_PREFIX}old-${this.folders.size}-${e.name}`),
        );
      }
      await fs.rename(path.join(from, e.name), target);
    }
  }

  /** Removes the stage, the lock and the folders this session created (when still empty). */
  async abort(): Promise<void> {
    if (this.done) return;
    this.removeSync();
    this.close();
  }

  private removeSync(): void {
    rmSync(this.stage, { recursive: true, force: true });
    rmQuiet(this.lockFile);
    for (const d of [...this.created].reverse()) rmdirQuiet(d);
  }

  private close(): void {
    rmSync(this.stage, { recursive: true, force: true });
    rmQuiet(this.lockFile);
    this.done = true;
    this.forget();
    this.guard?.kill();
    open.delete(this);
  }
}

/** Aborts every session still open (the CLI calls this when a command fails). */
export async function abortOpenOutputs(): Promise<void> {
  for (const s of [...open]) await s.abort();
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (something else lives there) or already gone: leave it.
  }
}
