/**
 * NumPy's .npy format (versions 1.0, 2.0 and 3.0 of NEP 1): the magic `\x93NUMPY`, a version, a
 * header length, a Python-literal header `{'descr': '<f4', 'fortran_order': False, 'shape': (512,)}`,
 * then the raw array. Reads float16/32/64 and (u)int8/16/32/64 arrays, little- or big-endian, in C
 * order, as float32 — what a reference embedding computed elsewhere (a CLIP text embedding) is
 * saved as. Anything else is one line naming the file and what it holds.
 */
import { DeepvisError } from '../errors.js';

export interface NpyArray {
  readonly shape: number[];
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The array of an .npy file's bytes; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file = 'the .npy file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DeepvisError(`${file} is not a NumPy .npy file (no \\x93NUMPY magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new DeepvisError(`${file}: .npy version ${major}.${bytes[7]} is not one of 1.0, 2.0, 3.0`);
  const [len, start] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (start + len > bytes.length) throw new DeepvisError(`${file} is cut short inside its header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr == null || fortran == null || shapeText == null) throw new DeepvisError(`${file} has a header without descr, fortran_order and shape: ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DeepvisError(`${file} has a bad shape (${shapeText})`);
  const m = /^([<>|=])([fiu])(\d+)$/.exec(descr);
  const kind = m?.[2];
  const size = Number(m?.[3]);
  const ok = m && ((kind === 'f' && [2, 4, 8].includes(size)) || ((kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size)));
  if (!ok) throw new DeepvisError(`${file} holds dtype '${descr}'; deepvis reads float and integer arrays`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran === 'True' && shape.filter((d) => d > 1).length > 1) throw new DeepvisError(`${file} is in Fortran order; save it with np.save(f, np.ascontiguousarray(a))`);
  const body = start + len;
  if (body + count * size > bytes.length) throw new DeepvisError(`${file} holds ${Math.floor((bytes.length - body) / size)} values; its shape (${shape.join(', ')}) needs ${count}`);
  const little = m![1] !== '>';
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const o = body + i * size;
    if (kind === 'f') data[i] = size === 8 ? view.getFloat64(o, little) : size === 4 ? view.getFloat32(o, little) : half(view.getUint16(o, little));
    else if (size === 8) data[i] = Number(kind === 'i' ? view.getBigInt64(o, little) : view.getBigUint64(o, little));
    else if (size === 4) data[i] = kind === 'i' ? view.getInt32(o, little) : view.getUint32(o, little);
    else if (size === 2) data[i] = kind === 'i' ? view.getInt16(o, little) : view.getUint16(o, little);
    else data[i] = kind === 'i' ? view.getInt8(o) : view.getUint8(o);
  }
  return { shape, data };
}
