/**
 * What the hostile-file table (test/hostile.test.ts, issue 27) builds its fixtures with: a scratch
 * folder and a "victim" folder outside every tree deepvis is given (its files must survive and
 * never be read), FIFOs (mkfifo), sockets, symbolic links, and a guard that turns a hang into a
 * failure (and unblocks a FIFO a reverted fix would be stuck on, so the process can still end).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { memoryBudget, setMemoryBudget } from '../../src/engine/memory.js';
import { DeepvisError } from '../../src/errors.js';

export interface Case {
  /** The surface: fence, store, merge, evaluation, serve, xss, fifo, onnx, keras, idx, names, deep, sentences, budget, diverge. */
  readonly surface: string;
  readonly name: string;
  readonly run: () => void | Promise<void>;
  /** ms; default 30 s. */
  readonly timeout?: number;
}

export const root = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(root, 'scripts/deepvis-dev.ts');

let scratch: string | null = null;
/** A fresh folder under the run's scratch folder. */
export function fresh(name: string): string {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'deepvis-hostile-'));
  const d = mkdtempSync(path.join(scratch, `${name.replace(/[^\w-]/g, '_').slice(0, 40)}-`));
  return d;
}
export const scratchRoot = () => scratch;

/** A folder outside every tree under test, with a secret file and a subfolder; `intact` checks it. */
export function victim(): { dir: string; secret: string; intact: () => void } {
  const dir = fresh('victim');
  mkdirSync(path.join(dir, 'sub'));
  const secret = path.join(dir, 'secret.txt');
  writeFileSync(secret, 'SECRET-27\n');
  writeFileSync(path.join(dir, 'sub', 'deep.png'), 'not really a png');
  writeFileSync(path.join(dir, '0123456789abcdef0123-x.png'), 'named like an artifact');
  const listing = () => readdirSync(dir, { recursive: true }).map(String).sort();
  const before = listing();
  return {
    dir,
    secret,
    intact: () => {
      assert.deepEqual(listing(), before, `the victim folder ${dir} changed`);
      assert.equal(readFileSync(secret, 'utf8'), 'SECRET-27\n');
    },
  };
}

export function mkfifo(p: string): string {
  mkdirSync(path.dirname(p), { recursive: true });
  const r = spawnSync('mkfifo', [p]);
  assert.equal(r.status, 0, `mkfifo ${p}: ${r.stderr}`);
  return p;
}

const servers: Server[] = [];
/** A listening Unix socket at `p` (closed at the end of the run). */
export async function socketAt(p: string): Promise<string> {
  mkdirSync(path.dirname(p), { recursive: true });
  const s = createServer();
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(p, resolve));
  return p;
}
export const closeSockets = () =>
  Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));

/** Opens and closes the write end of a FIFO: a reader stuck on it (a reverted fix) gets EOF. */
export function unblock(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // No reader waiting: nothing to unblock.
  }
}

/** `p` settles within `ms`, else the case fails as a hang; FIFOs named are unblocked either way. */
export async function within<T>(
  ms: number,
  p: Promise<T> | (() => Promise<T>),
  fifos: readonly string[] = [],
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      typeof p === 'function' ? p() : p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hung for more than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    for (const f of fifos) unblock(f);
  }
}

/** The promise rejects with one DeepvisError line matching `re`. */
export async function refuses(
  p: Promise<unknown> | (() => unknown),
  re: RegExp,
  ms = 20_000,
  fifos: readonly string[] = [],
): Promise<void> {
  let error: unknown = null;
  try {
    await within(ms, async () => (typeof p === 'function' ? await p() : await p), fifos);
  } catch (e) {
    error = e;
  }
  assert.ok(
    error instanceof DeepvisError,
    `expected a one-line refusal matching ${re}, got ${error instanceof Error ? error.stack : String(error)}`,
  );
  assert.match(error.message, re);
  assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in its own process (tsx), with a timeout. */
export function deepvis(
  args: readonly string[],
  env: Record<string, string> = {},
  timeout = 240_000,
): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A CLI run that failed with exactly one line on stderr matching `re`. */
export function oneLine(r: Run, re: RegExp): void {
  assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
}

export const exists = existsSync;

/** Runs `f` under a memory budget of `mb` MB (the engine's, as DEEPVIS_MEMORY_MB sets it in the CLI), restored after. */
export async function withBudget<T>(mb: number, f: () => T | Promise<T>): Promise<T> {
  const old = memoryBudget();
  setMemoryBudget(mb * 2 ** 20);
  try {
    return await f();
  } finally {
    setMemoryBudget(old);
  }
}
