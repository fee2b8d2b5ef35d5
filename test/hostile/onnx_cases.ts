/**
 * ONNX files a few KB long that claimed gigabytes or hung the loader (severe 6: a Conv with
 * pads=[100000]×4 kept `inspect` at 100% CPU for 400 s), written with our own encoder
 * (src/model/formats/onnx/encode.ts): every declared size is checked against the file's bytes,
 * the input's shape and the memory budget before anything is allocated, in one line naming the
 * file, the node or tensor, and the problem.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/io/model_files.js';
import {
  encodeOnnx,
  type EncGraph as ModelSpec,
  type EncNode as NodeSpec,
  type EncTensor as TensorSpec,
} from '../../src/model/formats/onnx/encode.js';
import { loadOnnx } from '../../src/model/formats/onnx/load.js';
import { fresh, refuses, withBudget, type Case } from './kit.js';

const W: TensorSpec = {
  name: 'w',
  dims: [2, 1, 3, 3],
  dtype: 'float32',
  data: new Array(18).fill(0.1),
};

/** x [1, 1, 8, 8] → nodes → y; `extra` initializers beside w. */
const model = (nodes: NodeSpec[], o: Partial<ModelSpec> = {}): Uint8Array =>
  encodeOnnx({
    opset: 17,
    inputs: [{ name: 'x', dims: [1, 1, 8, 8] }],
    outputs: [{ name: 'y' }],
    initializers: [W],
    nodes,
    ...o,
  });

const conv = (attrs: NodeSpec['attrs']): NodeSpec => ({
  op: 'Conv',
  inputs: ['x', 'w'],
  outputs: ['y'],
  attrs,
});
const pool = (op: string, attrs: NodeSpec['attrs']): NodeSpec => ({
  op,
  inputs: ['x'],
  outputs: ['y'],
  attrs: { kernel_shape: [2, 2], ...attrs },
});
const int64s = (name: string, v: number[], dims = [v.length]): TensorSpec => ({
  name,
  dims,
  dtype: 'int64',
  data: v,
});
const floats = (name: string, dims: number[], data: ArrayLike<number> = []): TensorSpec => ({
  name,
  dims,
  dtype: 'float32',
  data,
});

const noExternal = async (): Promise<Uint8Array> => new Uint8Array();

/** Loading `bytes` is refused in one line matching `re` (under a budget of `budgetMb` MB when given). */
const refused = (name: string, bytes: () => Uint8Array, re: RegExp, budgetMb?: number): Case => ({
  surface: 'onnx',
  name,
  run: () => {
    const load = () => refuses(() => loadOnnx(bytes(), 'hostile.onnx', noExternal), re, 10_000);
    return budgetMb == null ? load() : withBudget(budgetMb, load);
  },
});

/** The model file and an external-data entry made a folder or past its file. */
function externalCase(
  name: string,
  setup: (dir: string) => void,
  tensor: Partial<TensorSpec>,
  re: RegExp,
): Case {
  return {
    surface: 'onnx',
    name,
    run: async () => {
      const dir = fresh('onnx-ext');
      setup(dir);
      writeFileSync(
        path.join(dir, 'model.onnx'),
        model([conv({})], {
          initializers: [
            { ...floats('w', [2, 1, 3, 3]), external: { location: 'w.bin' }, ...tensor },
          ],
        }),
      );
      await refuses(() => loadModel(path.join(dir, 'model.onnx')), re);
    },
  };
}

export const ONNX_CASES: Case[] = [
  refused(
    'a Conv with pads=[100000]×4 is refused from its attributes (severe 6)',
    () => model([conv({ pads: [100000, 100000, 100000, 100000] })]),
    /hostile\.onnx: node 'Conv_0' \(Conv\): pads \[100000, 100000, 100000, 100000\] do not fit its input of 8×8 with a 3×3 window/,
  ),
  refused(
    'a Conv with one huge pad',
    () => model([conv({ pads: [0, 0, 0, 50000] })]),
    /pads \[0, 0, 0, 50000\] do not fit/,
  ),
  refused(
    'a Conv with a huge dilation',
    () => model([conv({ dilations: [100000, 100000] })]),
    /window .* does not fit its padded input of 8×8/,
  ),
  refused(
    'a Conv with stride 0',
    () => model([conv({ strides: [0, 0] })]),
    /strides \[0, 0\] must be two positive integers/,
  ),
  refused(
    'a Conv with negative pads',
    () => model([conv({ pads: [-3, -3, -3, -3] })]),
    /pads \[-3, -3, -3, -3\] must be non-negative integers/,
  ),
  refused(
    'a MaxPool with pads=[100000]×4',
    () => model([pool('MaxPool', { pads: [100000, 100000, 100000, 100000] })]),
    /\(MaxPool\): pads .* do not fit its input of 8×8/,
  ),
  refused(
    'an AveragePool with pads=[100000]×4',
    () => model([pool('AveragePool', { pads: [100000, 100000, 100000, 100000] })]),
    /\(AveragePool\): pads .* do not fit/,
  ),
  refused(
    'a MaxPool with a 0×0 kernel',
    () => model([pool('MaxPool', { kernel_shape: [0, 0] })]),
    /kernel \[0, 0\] must be positive integers/,
  ),
  refused(
    'a Pad of 1,000,000 on each side',
    () =>
      model([{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'] }], {
        initializers: [W, int64s('p', [0, 0, 1e6, 1e6, 0, 0, 1e6, 1e6])],
      }),
    /\(Pad\): pads .* do not fit its input \[1, 1, 8, 8\]: at most 16 on axis 2/,
  ),
  refused(
    'a ConstantOfShape of 10^5 × 10^5',
    () =>
      model(
        [
          { op: 'ConstantOfShape', inputs: ['s'], outputs: ['c'] },
          { op: 'Add', inputs: ['x', 'c'], outputs: ['y'] },
        ],
        { initializers: [W, int64s('s', [100000, 100000])] },
      ),
    /\(ConstantOfShape\): its output \[100000, 100000\] would hold 10,000,000,000 values .* the memory budget is 2\.0 GB/,
  ),
  refused(
    'a Range of 2·10^9 values',
    () =>
      model(
        [
          { op: 'Range', inputs: ['a', 'b', 'c'], outputs: ['r'] },
          { op: 'Add', inputs: ['x', 'r'], outputs: ['y'] },
        ],
        {
          initializers: [W, int64s('a', [0], []), int64s('b', [2e9], []), int64s('c', [1], [])],
        },
      ),
    /\(Range\): its range 0…\d+ by 1 would hold/,
  ),
  refused(
    'an Expand to [1, 1, 100000, 100000]',
    () =>
      model(
        [
          { op: 'Expand', inputs: ['one', 's'], outputs: ['e'] },
          { op: 'Add', inputs: ['x', 'e'], outputs: ['y'] },
        ],
        {
          initializers: [W, floats('one', [1, 1, 1, 1], [1]), int64s('s', [1, 1, 100000, 100000])],
        },
      ),
    /\(Expand\): its output \[1, 1, 100000, 100000\] would hold 10,000,000,000 values/,
  ),
  refused(
    'a Tile of 100000 × 100000 repeats',
    () =>
      model([{ op: 'Tile', inputs: ['x', 'r'], outputs: ['y'] }], {
        initializers: [W, int64s('r', [1, 1, 100000, 100000])],
      }),
    /\(Tile\): its output \[1, 1, 800000, 800000\] would hold/,
  ),
  refused(
    'a Resize to 10^6 × 10^6',
    () =>
      model([{ op: 'Resize', inputs: ['x', '', '', 'z'], outputs: ['y'] }], {
        initializers: [W, int64s('z', [1, 1, 1e6, 1e6])],
      }),
    /\(Resize\): its output \[1, 1, 1000000, 1000000\] would hold/,
  ),
  refused(
    'an initializer of dims [2^40] is refused, not allocated',
    () => model([conv({})], { initializers: [W, floats('big', [2 ** 40])] }),
    /tensor 'big' has shape \[1099511627776\]: a dimension of 1099511627776 is not a whole number from 0 to 2\^31−1/,
  ),
  refused(
    'an initializer of negative dims',
    () => model([conv({})], { initializers: [W, floats('neg', [-5, 3])] }),
    /tensor 'neg' has shape \[-5, 3\]: a dimension of -5/,
  ),
  refused(
    'a 1 GB weight declared in a file of a few hundred bytes (no data)',
    () => model([conv({})], { initializers: [W, floats('gb', [16384, 16384])] }),
    /tensor 'gb' of shape \[16384, 16384\] declares 268,435,456 values but the file holds none for it/,
  ),
  refused(
    'weights past the memory budget are refused before they are decoded',
    () =>
      model([conv({})], { initializers: [W, floats('w2', [300000], new Float32Array(300000))] }),
    /tensor 'w2' of shape \[300000\] declares 300,000 values .* more than the memory budget of 1 MB/,
    1,
  ),
  refused(
    'an input of [1, 1, 2^40, 8]',
    () =>
      encodeOnnx({
        opset: 17,
        inputs: [{ name: 'x', dims: [1, 1, 2 ** 40, 8] }],
        outputs: [{ name: 'y' }],
        initializers: [W],
        nodes: [conv({})],
      }),
    /an input of \[N, 1, 1099511627776, 8\] would take .* more than the memory budget/,
  ),
  refused(
    'an input with a negative dimension',
    () =>
      encodeOnnx({
        opset: 17,
        inputs: [{ name: 'x', dims: [1, 1, -5, 8] }],
        outputs: [{ name: 'y' }],
        initializers: [W],
        nodes: [conv({})],
      }),
    /input 'x' declares a dimension of -5/,
  ),
  externalCase(
    'an external-data location that is a folder',
    (dir) => mkdirSync(path.join(dir, 'w.bin')),
    {},
    /w\.bin is a folder; refused/,
  ),
  externalCase(
    'external data whose declared length is not what the shape needs',
    (dir) => writeFileSync(path.join(dir, 'w.bin'), Buffer.alloc(1 << 16)),
    { external: { location: 'w.bin', offset: 0, length: 1 << 16 } },
    /tensor 'w' of shape \[2, 1, 3, 3\] needs 72 bytes but its external data says length 65,536/,
  ),
  externalCase(
    'external data with an offset that is not a byte count',
    (dir) => writeFileSync(path.join(dir, 'w.bin'), Buffer.alloc(72)),
    { external: { location: 'w.bin', offset: '-8', length: 72 } },
    /external-data offset '-8', which is not a byte count/,
  ),
];
