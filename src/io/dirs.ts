/**
 * mkdir -p without Node's recursive mkdir, which loops forever at 100% CPU on file systems that
 * refuse new folders with ENOENT, such as /proc (`fs.mkdir('/proc/x', { recursive: true })` never
 * returns on Node 20). Components are created one at a time below the nearest existing ancestor;
 * any refusal is an ordinary error.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Creates `dir` and its missing parents; returns the folders it created, outermost first. */
export async function makeDirs(dir: string, mode?: number): Promise<string[]> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const exists = await fs.stat(at).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw e;
      },
    );
    if (exists) break;
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      await fs.mkdir(d, mode);
      created.push(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return created;
}
