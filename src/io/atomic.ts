/**
 * Atomic writes: a file appears whole or not at all (write to a sibling temp file, then rename),
 * so an error half-way never leaves a truncated PNG or JSON behind; the temp file is removed at exit
 * too. A command's whole output goes through an OutputSession (output.ts), which also survives kills.
 */
import { promises as fs, rmSync } from 'node:fs';
import * as path from 'node:path';
import { onExit } from './cleanup.js';
import { makeDirs } from './dirs.js';
import { writeError } from './fence.js';

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await makeDirs(path.dirname(file));
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`,
  );
  const forget = onExit(() => rmSync(tmp, { force: true }));
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw writeError(e, file, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  } finally {
    forget();
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes a set of files into `dir` so that either all of them land or none does. */
export async function writeFilesAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
): Promise<void> {
  await makeDirs(dir);
  const stage = await fs.mkdtemp(path.join(dir, '.stage-'));
  const forget = onExit(() => rmSync(stage, { recursive: true, force: true }));
  try {
    for (const [name, data] of Object.entries(files))
      await fs.writeFile(path.join(stage, name), data);
    for (const name of Object.keys(files))
      await fs.rename(path.join(stage, name), path.join(dir, name));
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
    forget();
  }
}
