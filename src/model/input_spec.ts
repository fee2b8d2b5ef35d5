/**
 * Works out what a model needs as input: image shape, value range, channel order — from the model
 * itself, from deepvis metadata, from flags (which always win), or as a stated assumption.
 */
import { DeepvisError } from '../errors.js';
import type {
  ChannelOrder,
  DeepvisMetadata,
  InputOverrides,
  InputSpec,
  Provenance,
} from './types.js';

function squareImage(n: number): [number, number, number] | null {
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(n / c));
    if (side * side * c === n) return [side, side, c];
  }
  return null;
}

export function resolveInputSpec(
  nativeShape: readonly (number | null)[],
  meta: DeepvisMetadata,
  overrides: InputOverrides,
  hints: { rescales255?: boolean } = {},
): InputSpec {
  let shape: [number, number, number] | null = null;
  let shapeFrom: Provenance = 'model';
  const known = nativeShape.every((d) => d != null && d > 0);
  if (overrides.shape) {
    shape = [...overrides.shape] as [number, number, number];
    shapeFrom = 'flag';
  } else if (nativeShape.length === 3 && known) {
    shape = nativeShape as [number, number, number];
  } else if (meta.imageShape) {
    shape = [...meta.imageShape] as [number, number, number];
    shapeFrom = 'metadata';
  } else if (nativeShape.length === 1 && known) {
    shape = squareImage(nativeShape[0] as number);
    shapeFrom = 'assumed';
  } else if (nativeShape.length === 2 && known) {
    shape = [nativeShape[0] as number, nativeShape[1] as number, 1];
    shapeFrom = 'assumed';
  }
  if (shape == null) {
    throw new DeepvisError(
      `cannot tell the input image shape from the model's input [${nativeShape.map((d) => d ?? '?').join(', ')}]; pass --input-shape H,W,C`,
    );
  }
  const native = known ? (nativeShape as number[]) : shape;
  const nativeSize = native.reduce((a, b) => a * b, 1);
  if (shape[0] * shape[1] * shape[2] !== nativeSize) {
    throw new DeepvisError(
      `input shape ${shape.join('×')} does not match the model's input [${native.join(', ')}]`,
    );
  }

  let range: readonly [number, number] = [0, 1];
  let rangeFrom: Provenance = 'assumed';
  if (overrides.range) [range, rangeFrom] = [overrides.range, 'flag'];
  else if (meta.inputRange) [range, rangeFrom] = [meta.inputRange, 'metadata'];
  else if (hints.rescales255) [range, rangeFrom] = [[0, 255], 'model'];

  let order: ChannelOrder = shape[2] === 1 ? 'gray' : shape[2] === 3 ? 'rgb' : 'none';
  let orderFrom: Provenance = shape[2] === 3 ? 'assumed' : 'model';
  if (overrides.channelOrder) [order, orderFrom] = [overrides.channelOrder, 'flag'];
  else if (meta.channelOrder) [order, orderFrom] = [meta.channelOrder, 'metadata'];

  const [normalize, normalizeFrom] = normalization(shape[2], meta, overrides);
  return {
    shape,
    nativeShape: native,
    range,
    channelOrder: order,
    normalize,
    provenance: {
      range: rangeFrom,
      channelOrder: orderFrom,
      shape: shapeFrom,
      normalize: normalizeFrom,
    },
  };
}

/** --mean/--std (or the metadata's), one value per channel or one for all; std must be positive. */
function normalization(
  channels: number,
  meta: DeepvisMetadata,
  overrides: InputOverrides,
): [InputSpec['normalize'], Provenance] {
  const flag = overrides.mean != null || overrides.std != null;
  const mean = flag ? overrides.mean : meta.mean;
  const std = flag ? overrides.std : meta.std;
  if (mean == null && std == null) return [null, 'assumed'];
  const from: Provenance = flag ? 'flag' : 'metadata';
  const fit = (v: readonly number[] | undefined, name: string, fill: number): number[] => {
    const vals = v ?? [fill];
    if (vals.length !== 1 && vals.length !== channels) {
      throw new DeepvisError(
        `${name} has ${vals.length} values but the model's input has ${channels} channels`,
      );
    }
    if (vals.some((x) => !Number.isFinite(x)))
      throw new DeepvisError(`${name} must be numbers; got ${vals.join(',')}`);
    return vals.length === 1 ? Array(channels).fill(vals[0]) : [...vals];
  };
  const m = fit(mean, 'mean', 0),
    s = fit(std, 'std', 1);
  if (s.some((x) => x <= 0)) throw new DeepvisError(`std must be positive; got ${s.join(',')}`);
  return [{ mean: m, std: s }, from];
}
