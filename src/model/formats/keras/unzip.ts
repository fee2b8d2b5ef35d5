/**
 * The entries of a .keras zip that deepvis reads, inflated as a stream with caps (a zip bomb — a
 * 3 MB file of 3 GB of zeros — is refused after a few MB of output, not after 3 GB): each entry at
 * most MAX_RATIO times its compressed size once past RATIO_FLOOR bytes, at most what it declares,
 * and all of them together within the memory budget. Entries not asked for are never inflated.
 */
import { Unzip, UnzipInflate, unzipSync, type UnzipFile } from 'fflate';
import { formatBytes, memoryBudget } from '../../../engine/memory.js';
import { DeepvisError } from '../../../errors.js';

/** Most an entry may inflate relative to its compressed bytes (weights of floats deflate by ~1.1×; zeros by ~1000×). */
export const MAX_RATIO = 200;
/** Below this an entry's ratio is not checked (small JSON files compress well). */
export const RATIO_FLOOR = 1 << 20;
const CHUNK = 1 << 14;

/** The wanted entries' bytes, and the names of every entry in the zip. */
export function unzipCapped(
  bytes: Uint8Array,
  wanted: ReadonlySet<string>,
  source: string,
): { files: Record<string, Uint8Array>; names: string[] } {
  const budget = memoryBudget();
  // The central directory first, inflating nothing: a cut file fails here, as it always did.
  const listed = new Map<string, number>();
  try {
    unzipSync(bytes, {
      filter: (f) => {
        listed.set(f.name, f.originalSize);
        return false;
      },
    });
  } catch (e) {
    throw new DeepvisError(
      `${source}: truncated or corrupt .keras zip (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const out: Record<string, Uint8Array> = {};
  let total = 0;
  let problem: string | null = null;
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file: UnzipFile) => {
    if (!wanted.has(file.name) || problem) return;
    const declared = Math.max(file.originalSize ?? 0, listed.get(file.name) ?? 0);
    if (declared > budget - total) {
      problem = `entry ${file.name} declares ${formatBytes(declared)}, more than the memory budget of ${formatBytes(budget)}`;
      return;
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    file.ondata = (err, chunk, final) => {
      if (problem) return;
      if (err) {
        problem = `entry ${file.name} is corrupt (${err.message})`;
        return;
      }
      size += chunk.length;
      total += chunk.length;
      const ratio = size / (file.size || bytes.length);
      if (file.originalSize != null && size > file.originalSize)
        problem = `entry ${file.name} inflates past the ${formatBytes(file.originalSize)} it declares`;
      else if (size > RATIO_FLOOR && ratio > MAX_RATIO)
        problem = `entry ${file.name} inflates more than ${MAX_RATIO} times its ${formatBytes(file.size || bytes.length)} (a zip bomb?)`;
      else if (total > budget)
        problem = `its entries inflate past the memory budget of ${formatBytes(budget)}`;
      if (problem) {
        file.terminate();
        return;
      }
      parts.push(chunk);
      if (final) {
        const joined = new Uint8Array(size);
        let at = 0;
        for (const p of parts) {
          joined.set(p, at);
          at += p.length;
        }
        out[file.name] = joined;
      }
    };
    file.start();
  };
  try {
    for (let at = 0; at < bytes.length && !problem; at += CHUNK)
      unzip.push(
        bytes.subarray(at, Math.min(bytes.length, at + CHUNK)),
        at + CHUNK >= bytes.length,
      );
  } catch (e) {
    throw new DeepvisError(
      `${source}: truncated or corrupt .keras zip (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (problem) throw new DeepvisError(`${source}: refused: ${problem}`);
  return { files: out, names: [...listed.keys()] };
}
