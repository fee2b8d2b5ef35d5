/**
 * A method's picture: its docs example run through the CLI in this process (the command shown on
 * its page is the one that made the picture), the PNGs and the JSON copied into the site. Runs are
 * cached in docs/.cache under a hash of the command, the library's sources and the model's files,
 * so a rebuild after editing prose runs nothing and any change to the code runs everything.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { argvOf, type Example } from './examples.js';

export interface Picture {
  /** Site-relative paths: the run's grid first, then its extra figures. */
  readonly files: readonly string[];
  /** The run's JSON, as the command wrote it. */
  readonly json: Record<string, unknown>;
  /** Seconds the run took (0 when it came from the cache), and of them the process's CPU seconds. */
  readonly seconds: number;
  readonly cpu: number;
  /** The grid's width and height in pixels. */
  readonly size: readonly [number, number];
}

/** A file, or every file under a folder (recursively, sorted), hashed with its path. */
function hashTree(h: ReturnType<typeof createHash>, at: string): void {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]))
      .sort();
  for (const f of statSync(at).isDirectory() ? walk(at) : [at]) {
    h.update(f);
    h.update(readFileSync(f));
  }
}

/** What the pictures depend on besides their commands: the library, the docs runs, the models. */
export function codeHash(root: string, modelDirs: readonly string[]): string {
  const h = createHash('sha256');
  for (const d of ['src', 'docs/build/examples.ts', ...modelDirs]) hashTree(h, path.join(root, d));
  return h.digest('hex');
}

/** Runs the CLI with `argv`; its "wrote …" line is kept out of the build's output. */
async function runQuietly(argv: string[]): Promise<void> {
  const log = console.log;
  console.log = () => {};
  try {
    const code = await main(argv);
    if (code !== 0) throw new Error(`deepvis ${argv.join(' ')} failed (its message is above)`);
  } finally {
    console.log = log;
  }
}

/** The picture of `e`, from the cache or made now, copied into `site` under `dest` (no extension). */
export async function pictureOf(
  e: Example,
  where: {
    readonly site: string;
    readonly dest: string;
    readonly cache: string;
    readonly code: string;
  },
): Promise<Picture> {
  const key = createHash('sha256')
    .update(where.code)
    .update(JSON.stringify(e.lines))
    .digest('hex')
    .slice(0, 24);
  const cached = path.join(where.cache, key);
  let seconds = 0;
  let cpu = 0;
  if (!existsSync(path.join(cached, 'done'))) {
    const out = mkdtempSync(path.join(tmpdir(), 'deepvis-docs-'));
    try {
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      await runQuietly(argvOf(e, out));
      seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu0);
      cpu = (used.user + used.system) / 1e6;
      rmSync(cached, { recursive: true, force: true });
      mkdirSync(cached, { recursive: true });
      for (const f of readdirSync(out).filter((n) => /\.(png|json)$/.test(n))) {
        cpSync(path.join(out, f), path.join(cached, f));
      }
      writeFileSync(path.join(cached, 'done'), '');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const names = readdirSync(cached);
  const json = names.find((n) => n.endsWith('.json'));
  if (!json) throw new Error(`deepvis ${e.lines.flat().join(' ')} wrote no JSON`);
  const stem = json.slice(0, -'.json'.length);
  // The grid (STEM.png) first, then the run's extra figures (STEM-alpha.png, …).
  const pngs = names
    .filter((n) => n.endsWith('.png') && n.startsWith(stem))
    .sort((a, b) => a.length - b.length || a.localeCompare(b));
  if (pngs[0] !== `${stem}.png`)
    throw new Error(`deepvis ${e.lines.flat().join(' ')} wrote no ${stem}.png`);
  const files = pngs.map((n) => `${where.dest}${n.slice(stem.length)}`);
  mkdirSync(path.dirname(path.join(where.site, where.dest)), { recursive: true });
  pngs.forEach((n, i) => cpSync(path.join(cached, n), path.join(where.site, files[i])));
  const png = readFileSync(path.join(cached, pngs[0]));
  const size = [png.readUInt32BE(16), png.readUInt32BE(20)] as const;
  const run = JSON.parse(readFileSync(path.join(cached, json), 'utf8'));
  return { files, json: run, seconds, cpu, size };
}
