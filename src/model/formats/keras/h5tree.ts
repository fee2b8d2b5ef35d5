/**
 * An HDF5 file in memory → a plain tree of groups, attributes and float32 datasets. The bytes go
 * into h5wasm's in-memory file system (the only way h5wasm opens a file in both Node and the
 * browser), are read in one walk, and the file is closed and deleted before returning, so nothing
 * above this module knows HDF5 or holds an open handle. Any failure of the HDF5 library (truncated,
 * corrupt) becomes one DeepvisError naming the file.
 */
import { formatBytes, memoryBudget } from '../../../engine/memory.js';
import { DeepvisError } from '../../../errors.js';
import { h5Module } from './h5module.js';

/**
 * Most a dataset may declare relative to the file's bytes: HDF5 can declare a dataset it never
 * stores (a fill value) or compress it, so a 26 KB file could claim 1 GB. Keras writes weights
 * uncompressed; gzip on float weights gains ~1.1×.
 */
export const MAX_DECLARED_RATIO = 64;

export interface H5Data {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface H5Group {
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly groups: ReadonlyMap<string, H5Group>;
  readonly datasets: ReadonlyMap<string, H5Data>;
}

let counter = 0;
/** Keeps two copies of this module (or two workers sharing an FS) from picking the same name. */
const tag = Math.random().toString(36).slice(2, 8);

/** Strings stay strings, string arrays become string[], numbers arrays become number[]. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value))
    return Array.from(value as unknown as ArrayLike<number | bigint>, Number);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

interface RawModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  get_dataset_data(file: bigint, path: string, a: null, b: null, c: null, ptr: bigint): number;
}

/** IEEE half-precision bits → float32 (h5wasm's value getter has no Float16). */
function halfToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? NaN
            : sign * Infinity
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/** A dataset's values as float32; float16 datasets (Keras models saved in half precision) read raw. */
function datasetValues(
  module: RawModule,
  d: {
    metadata: { type: number; size: number; total_size: number; littleEndian: boolean };
    file_id: bigint;
    path: string;
    value: unknown;
  },
): Float32Array {
  const m = d.metadata;
  if (m.type !== 1 || m.size !== 2) return toFloat32(d.value);
  if (!m.littleEndian) throw new Error(`${d.path}: big-endian float16 data`);
  const n = m.size * m.total_size;
  const ptr = module._malloc(n);
  try {
    module.get_dataset_data(d.file_id, d.path, null, null, null, BigInt(ptr));
    const bytes = module.HEAPU8.slice(ptr, ptr + n);
    return halfToFloat(new Uint16Array(bytes.buffer, 0, m.total_size));
  } finally {
    module._free(ptr);
  }
}

function toFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (ArrayBuffer.isView(value))
    return Float32Array.from(value as unknown as ArrayLike<number | bigint>, Number);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return Float32Array.of(Number(value));
  throw new Error('a dataset that is not numeric');
}

function brief(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 120);
}

/** A dataset's declared size, checked against the file's bytes and the budget left, before it is read. */
function checkDeclared(
  d: { path: string; metadata: { size: number; total_size: number } },
  fileBytes: number,
  tally: { bytes: number },
  source: string,
): void {
  const m = d.metadata;
  const stored = m.total_size * m.size;
  const kept = m.total_size * 4;
  const budget = memoryBudget();
  if (
    !Number.isSafeInteger(m.total_size) ||
    m.total_size < 0 ||
    stored > MAX_DECLARED_RATIO * fileBytes + (1 << 20)
  ) {
    throw new DeepvisError(
      `${source}: dataset ${d.path} declares ${m.total_size.toLocaleString('en')} values (${formatBytes(stored)}) in a file of ${formatBytes(fileBytes)}; refused`,
    );
  }
  if (kept > budget - tally.bytes)
    throw new DeepvisError(
      `${source}: dataset ${d.path} (${formatBytes(kept)} as float32) with the datasets before it is more than the memory budget of ${formatBytes(budget)}`,
    );
  tally.bytes += kept;
}

function readDataset(raw: RawModule, d: { path: string }, source: string): Float32Array {
  try {
    return datasetValues(raw, d as never);
  } catch (e) {
    throw new DeepvisError(
      `${source}: cannot read dataset ${d.path} (${brief(e)}): truncated or corrupt file, or a data type deepvis does not read`,
    );
  }
}

/** Reads the whole file. `group(tree, 'a/b')` then walks it. */
export async function readH5(bytes: Uint8Array, source: string): Promise<H5Group> {
  const h5 = await h5Module();
  const FS = h5.FS as unknown as {
    writeFile(p: string, d: Uint8Array): void;
    unlink(p: string): void;
  };
  const path = `/deepvis-keras-${tag}-${counter++}.h5`;
  FS.writeFile(path, bytes);
  // Errors as exceptions, not HDF5-DIAG dumps on stderr.
  (
    h5.Module as unknown as { activate_throwing_error_handler(): void }
  ).activate_throwing_error_handler();
  const raw = h5.Module as unknown as RawModule;
  let file: InstanceType<typeof h5.File> | null = null;
  try {
    file = new h5.File(path, 'r');
    const tally = { bytes: 0 };
    // Iterative, so a file nested thousands of groups deep cannot overflow the stack.
    type Node = {
      attrs: Record<string, unknown>;
      groups: Map<string, H5Group>;
      datasets: Map<string, H5Data>;
    };
    const fresh = (): Node => ({ attrs: {}, groups: new Map(), datasets: new Map() });
    const root = fresh();
    const stack: Array<[InstanceType<typeof h5.Group>, Node]> = [[file, root]];
    while (stack.length) {
      const [g, node] = stack.pop()!;
      for (const [k, a] of Object.entries(g.attrs)) node.attrs[k] = plain(a.value);
      for (const key of g.keys()) {
        const child = g.get(key);
        if (child instanceof h5.Group) {
          const sub = fresh();
          node.groups.set(key, sub);
          stack.push([child, sub]);
        } else if (child instanceof h5.Dataset) {
          checkDeclared(child as never, bytes.byteLength, tally, source);
          node.datasets.set(key, {
            shape: child.shape ?? [],
            values: readDataset(raw, child, source),
          });
        }
      }
    }
    return root;
  } catch (e) {
    if (e instanceof DeepvisError) throw e;
    const why = brief(e);
    throw new DeepvisError(
      `${source}: truncated or corrupt HDF5 file (${/H5Fopen|open file/.test(why) ? 'HDF5 cannot open it' : why})`,
    );
  } finally {
    try {
      file?.close();
    } finally {
      FS.unlink(path);
    }
  }
}

/** The group at a slash path, or null. */
export function group(root: H5Group, path: string): H5Group | null {
  let g: H5Group | undefined = root;
  for (const part of path.split('/').filter(Boolean)) {
    g = g?.groups.get(part);
    if (!g) return null;
  }
  return g ?? null;
}

/** The dataset at a slash path (groups then the last part), or null. */
export function dataset(root: H5Group, path: string): H5Data | null {
  const parts = path.split('/').filter(Boolean);
  const last = parts.pop();
  const g = group(root, parts.join('/'));
  return (last && g?.datasets.get(last)) || null;
}

/** An attribute that holds one string or a list of strings, as a list (empty when absent). */
export function stringList(value: unknown): string[] {
  if (value == null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
