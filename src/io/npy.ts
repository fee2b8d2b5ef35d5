/**
 * NumPy's .npy format (version 1–3): the header (a Python dict literal with descr, fortran_order
 * and shape) and the little-endian float or integer payload, read as Float32 values. What users
 * save with `np.save` (a CLIP text embedding, a set of directions) arrives through here. A file
 * this cannot read is one line naming it and the reason.
 */
import { DeepvisError } from '../errors.js';

export interface NpyArray {
  readonly shape: number[];
  readonly data: Float32Array;
}

const READERS: Record<string, { size: number; read: (v: DataView, o: number) => number }> = {
  '<f4': { size: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { size: 8, read: (v, o) => v.getFloat64(o, true) },
  '<f2': { size: 2, read: (v, o) => half(v.getUint16(o, true)) },
  '<i4': { size: 4, read: (v, o) => v.getInt32(o, true) },
  '<i8': { size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
};

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const bad = (why: string) => new DeepvisError(`${file}: not a .npy array deepvis reads (${why})`);
  if (
    bytes.length < 10 ||
    bytes[0] !== 0x93 ||
    String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY'
  )
    throw bad('no \\x93NUMPY magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const [headerLen, start] =
    major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (start + headerLen > bytes.length) throw bad('header runs past the end');
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr == null || fortran == null || shapeText == null)
    throw bad('a header without descr, fortran_order or shape');
  const reader = READERS[descr.replace(/^\|/, '<').replace(/^=/, '<')];
  if (!reader) throw bad(`dtype ${descr}; save it as float32: arr.astype("float32")`);
  if (fortran === 'True') throw bad('Fortran order; save np.ascontiguousarray(arr)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (offset + count * reader.size > bytes.length)
    throw bad(
      `${count} values of ${descr} announced, ${Math.floor((bytes.length - offset) / reader.size)} present`,
    );
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, offset + i * reader.size);
  return { shape, data };
}
